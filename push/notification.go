package push

// What a notification says. The outbox holds facts; the words are written
// here, when a notification is sent, from the facts as they stand then.

import (
	"cmp"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
)

// maxTitle and previewLen bound, in characters, a notification's title and
// the message text its body previews.
const (
	maxTitle   = 100
	previewLen = 120
)

// notification is what the service worker (static/sw.js) shows.
type notification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// URL is the console page a click opens.
	URL string `json:"url"`
	// Tag is the same as the Topic: a newer notification of the
	// conversation replaces the one shown.
	Tag  string `json:"tag"`
	Kind string `json:"kind"`
}

// describe writes d's words in its recipient's language, else in
// language, the instance's.
func describe(d store.DuePush, language string) notification {
	loc := i18n.For(cmp.Or(d.Language, language))
	n := notification{URL: "/console/c/" + strconv.FormatInt(d.ConversationID, 10), Tag: Topic(d.ConversationID), Kind: d.Kind}
	switch d.Kind {
	case store.PushMessage, store.PushRevoked:
		// A revoke has the message's tag: the notification shown of the message is replaced.
		n.Title = loc.T("push.wrote", "Name", chat.NameIn(loc, d.Sender))
	case store.PushAssigned:
		n.Title = loc.T("push.assigned", "Name", chat.NameIn(loc, d.Visitor))
	default:
		n.Title = loc.T("push.waiting")
	}
	if r := []rune(n.Title); len(r) > maxTitle {
		n.Title = string(r[:maxTitle])
	}
	switch {
	case d.Kind == store.PushRevoked:
		n.Body = loc.T("push.revoked")
	case d.HideText || d.Kind == store.PushMessage && d.Text == "": // hidden, or a forwarded chat history: no text of its own
		n.Body = loc.T("push.newMessage")
	default:
		n.Body = preview(d.Text)
	}
	return n
}

// recordSize is the size of every push's encrypted body (RFC 8188's record
// size, which encrypt pads a push to): room for the longest notification
// describe can write, so that a push service cannot tell one notification
// from another by its size, in less than half of the 4096 bytes a record may
// hold (RFC 8291 §4). maxPayload is the longest payload it holds: the body
// also carries its header (headerLen: the salt, the record size and the
// sender's key), the padding delimiter and the authentication tag.
const (
	recordSize = 1536
	maxPayload = recordSize - headerLen - 1 - 16
)

// payload is what d's push carries: its words, as JSON.
func payload(d store.DuePush, language string) ([]byte, error) {
	return json.Marshal(describe(d, language))
}

// preview is text on one line, its spaces collapsed, cut to previewLen
// characters with an ellipsis.
func preview(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > previewLen {
		text = string(r[:previewLen-1]) + "…"
	}
	return text
}

// Urgency is how soon a push service should wake a device for a
// notification of kind: a message can wait for the device to be in use;
// a chat assigned or waiting is work to pick up now.
func Urgency(kind string) string {
	if kind == store.PushMessage {
		return "normal"
	}
	return "high"
}

// TTL is how long a push service keeps a notification for a browser that
// is offline: a message stays unread until it is read, so it is worth
// showing for a day; an assignment is news for an hour; a waiting chat is
// taken or answered within minutes, so later it would only be noise.
func TTL(kind string) time.Duration {
	switch kind {
	case store.PushMessage:
		return 24 * time.Hour
	case store.PushAssigned:
		return time.Hour
	default:
		return 10 * time.Minute
	}
}

// Topic is the Topic header of conversation id's notifications, the same
// as the payload's tag: a push service holding an undelivered notification
// replaces it with a newer one of the same topic.
func Topic(conversationID int64) string { return "c" + strconv.FormatInt(conversationID, 10) }
