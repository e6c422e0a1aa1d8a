package thread

import (
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// Text is what message m says to the reader of ctx: its body, or the line
// kefu wrote as a code, in the reader's language (chat.LineIn).
// A revoked message says it was; a merged one how many it holds.
func Text(ctx context.Context, m chat.Message) string {
	switch {
	case m.RevokedAt != nil:
		return i18n.T(ctx, "thread.revoked")
	case m.Type == chat.Merged:
		return i18n.N(ctx, "thread.merged", len(m.Forwarded))
	case m.Code == "":
		return m.Body
	}
	return chat.LineIn(i18n.From(ctx), m.Code, m.Args)
}

// Preview is what a list shows of m as a conversation's last message: its
// Text, or, for a merged message, that it is a chat history, since a list
// does not read what the history holds.
func Preview(ctx context.Context, m chat.Message) string {
	if m.Type == chat.Merged && m.RevokedAt == nil {
		return i18n.T(ctx, "thread.mergedPreview")
	}
	return Text(ctx, m)
}
