package thread

import (
	"context"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// Text is what message m says to the reader of ctx: its body, or the words
// of the line kefu wrote as a code, in the reader's language (the message
// line.<code>, with the line's arguments by name). chat.SystemText is the
// same line for machines (the API, webhooks), always in English.
func Text(ctx context.Context, m chat.Message) string {
	if m.Code == "" {
		return m.Body
	}
	return Line(ctx, m.Code, m.Args)
}

// Line is the system line code with args, in the language of ctx.
func Line(ctx context.Context, code chat.SystemCode, args []string) string {
	a := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	names, ok := lineArgs[code]
	if !ok {
		// A line from a newer kefu, read during an upgrade.
		return strings.TrimSpace(string(code) + " " + strings.Join(args, ", "))
	}
	var data []any
	for i, name := range names {
		data = append(data, name, a(i))
	}
	if code == chat.LineMembersAdded {
		// Everyone added, listed the language's way.
		data = append(data, "People", strings.Join(args[min(1, len(args)):], i18n.T(ctx, "line.separator")))
	}
	id := "line." + string(code)
	return i18n.T(ctx, id, data...)
}

// lineArgs names, for each line kefu writes, its arguments in the order
// they are stored: the names its messages use.
var lineArgs = map[chat.SystemCode][]string{
	chat.LineJoined:          {"Agent"},
	chat.LineNoAnswer:        {"Agent"},
	chat.LineWentOffline:     {"Agent"},
	chat.LineTargetAway:      {"Agent"},
	chat.LineResolved:        {"Agent"},
	chat.LineTransferred:     {"From", "To"},
	chat.LineVisitorSignedIn: {"Conversation"},
	chat.LineGroupCreated:    {"Owner", "Title"},
	chat.LineMembersAdded:    {"Actor"},
	chat.LineMemberRemoved:   {"Actor", "Person"},
	chat.LineMemberLeft:      {"Person"},
	chat.LineOwnerLeft:       {"Person", "Owner"},
	chat.LineGroupRenamed:    {"Actor", "Title"},
	chat.NoteRated:           {"Rating", "Comment"},
}
