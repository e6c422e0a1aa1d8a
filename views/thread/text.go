package thread

import (
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// Text is what message m says to the reader of ctx: its body, or the line
// kefu wrote as a code, in the reader's language (chat.LineIn).
func Text(ctx context.Context, m chat.Message) string {
	if m.Code == "" {
		return m.Body
	}
	return chat.LineIn(i18n.From(ctx), m.Code, m.Args)
}
