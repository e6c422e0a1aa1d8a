package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/kefu-im/kefu/chat"
)

// attachmentColumns are a message's attachment as readers are told of it
// (a's columns, all NULL for a message without one); never its bytes.
const attachmentColumns = `a.token, a.name, a.content_type, a.size, a.width, a.height`

// attachmentRow scans attachmentColumns.
type attachmentRow struct {
	token, name, contentType *string
	size                     *int64
	width, height            *int
}

func (r attachmentRow) attachment() *chat.Attachment {
	if r.token == nil {
		return nil
	}
	return &chat.Attachment{Token: *r.token, Name: *r.name, ContentType: *r.contentType, Size: *r.size,
		Width: *r.width, Height: *r.height}
}

// newFileToken is an attachment's token: 32 random bytes, which no one
// guesses.
func newFileToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// attachment is the statement that stores the upload of the message just
// inserted, in its transaction (nothing for a message without one).
func (in *insertion) attachment() statement {
	a, f := in.msg.Attachment, in.file
	if a == nil || f == nil {
		return statement{}
	}
	return statement{sql: `INSERT INTO attachments (message_id, conversation_id, token, name, content_type, size, width, height, data, thumb)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		args: []any{in.msg.ID, in.msg.ConversationID, a.Token, a.Name, a.ContentType, a.Size, a.Width, a.Height, f.Data, f.Thumb}}
}

// File returns the attachment with token, its conversation and its bytes
// (its thumbnail when thumb is set and it has one), whoever asks: the
// caller checks that they may read the conversation (the host API, by its
// key). A token that names nothing is ErrNotFound.
func (db *DB) File(ctx context.Context, token string, thumb bool) (chat.Attachment, int64, []byte, error) {
	var r attachmentRow
	var conv int64
	var data []byte
	err := db.pool.QueryRow(ctx, "SELECT "+attachmentColumns+`, a.conversation_id, CASE WHEN $2 THEN coalesce(a.thumb, a.data) ELSE a.data END
		FROM attachments a WHERE a.token = $1`, token, thumb).
		Scan(&r.token, &r.name, &r.contentType, &r.size, &r.width, &r.height, &conv, &data)
	if err != nil {
		return chat.Attachment{}, 0, nil, fmt.Errorf("store: file: %w", mapErr(err))
	}
	return *r.attachment(), conv, data, nil
}

// FileFor returns the attachment with token, and its bytes (its thumbnail
// when thumb is set and it has one), if viewer may see its conversation
// (the access rule of every read, visibleTo); ErrNotFound otherwise, as
// for a token that names nothing.
func (db *DB) FileFor(ctx context.Context, token string, v chat.Viewer, thumb bool) (chat.Attachment, []byte, error) {
	var r attachmentRow
	var data []byte
	err := db.pool.QueryRow(ctx, "SELECT "+attachmentColumns+`, CASE WHEN $4 THEN coalesce(a.thumb, a.data) ELSE a.data END
		FROM attachments a JOIN conversations c ON c.id = a.conversation_id
		WHERE a.token = $3 AND `+visibleTo, v.UserID, v.IsAgent, token, thumb).
		Scan(&r.token, &r.name, &r.contentType, &r.size, &r.width, &r.height, &data)
	if err != nil {
		return chat.Attachment{}, nil, fmt.Errorf("store: file for user %d: %w", v.UserID, mapErr(err))
	}
	return *r.attachment(), data, nil
}
