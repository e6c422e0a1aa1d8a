package chat

import (
	"slices"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/i18n"
)

// lines are samples of every line kefu writes, with their arguments and
// their words in English.
var lines = []struct {
	code    SystemCode
	args    []string
	english string
}{
	{LineJoined, []string{"Sam"}, "Sam joined the chat."},
	{LineNoAnswer, []string{"Sam"}, "Sam did not answer in time, so the chat is back in the queue."},
	{LineWentOffline, []string{"Sam"}, "Sam went offline, so the chat is back in the queue."},
	{LineTargetAway, []string{"Sam"}, "Sam is not available right now, so the chat joined the general queue."},
	{LineResolved, []string{"Sam"}, "Sam marked the chat resolved."},
	{LineTransferred, []string{"Sam", "李娜"}, "Sam transferred the chat to 李娜."},
	{LineVisitorSignedIn, []string{"42"}, "The visitor signed in; the chat goes on in their conversation #42."},
	{LineGroupCreated, []string{"Ann", "Support <team>"}, `Ann created the group "Support <team>".`},
	{LineMembersAdded, []string{"Ann", "Bob", "Cat", "王芳"}, "Ann added Bob, Cat, 王芳."},
	{LineMembersAdded, []string{"Ann", "Bob"}, "Ann added Bob."},
	{LineMemberRemoved, []string{"Ann", "Bob"}, "Ann removed Bob."},
	{LineMemberLeft, []string{"Bob"}, "Bob left the group."},
	{LineOwnerLeft, []string{"Ann", "Bob"}, "Ann left the group; Bob owns it now."},
	{LineGroupRenamed, []string{"Ann", "客服组"}, `Ann renamed the group "客服组".`},
	{NoteRated, []string{"4", ""}, "The visitor rated this chat 4 out of 5."},
	{NoteRated, []string{"5", "Quick and kind"}, "The visitor rated this chat 5 out of 5: Quick and kind"},
}

// TestLinesInEnglish: what machines read (SystemText) and an English reader
// sees (LineIn) is the same sentence.
func TestLinesInEnglish(t *testing.T) {
	for _, l := range lines {
		if got := SystemText(l.code, l.args); got != l.english {
			t.Errorf("SystemText(%s, %q) = %q, want %q", l.code, l.args, got, l.english)
		}
		if got := LineIn(i18n.For("en"), l.code, l.args); got != l.english {
			t.Errorf("%s %q in English = %q, want %q", l.code, l.args, got, l.english)
		}
	}
}

// TestLinesInChinese: every line has its Chinese words, with each of its
// arguments in them.
func TestLinesInChinese(t *testing.T) {
	zh := i18n.For("zh-CN")
	for _, l := range lines {
		got := LineIn(zh, l.code, l.args)
		if got == l.english || strings.HasPrefix(got, "line.") || !strings.ContainsFunc(got, isHan) {
			t.Errorf("%s %q in Chinese = %q", l.code, l.args, got)
		}
		for _, a := range l.args {
			if !strings.Contains(got, a) {
				t.Errorf("%s in Chinese = %q, which lacks %q", l.code, got, a)
			}
		}
	}
	if got, want := LineIn(zh, LineMembersAdded, []string{"Ann", "Bob", "Cat"}), "Ann 添加了 Bob、Cat。"; got != want {
		t.Errorf("members added in Chinese = %q, want %q", got, want)
	}
}

// TestLineFromANewerKefu: a code this kefu does not know shows its code and
// arguments rather than nothing.
func TestLineFromANewerKefu(t *testing.T) {
	if got := LineIn(i18n.For("zh-CN"), "merged", []string{"Ann", "7"}); got != "merged Ann, 7" {
		t.Errorf("an unknown line = %q", got)
	}
}

func isHan(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }

// TestLinesForVisitors: a visitor is shown what happens to their chat
// (someone joined, it was resolved), never how the team shares chats out
// nor agents' notes; every line kefu writes is decided here.
func TestLinesForVisitors(t *testing.T) {
	want := map[SystemCode]bool{
		LineJoined:          true,
		LineNoAnswer:        false,
		LineWentOffline:     false,
		LineTargetAway:      true,
		LineResolved:        true,
		LineTransferred:     false,
		LineVisitorSignedIn: false,
		LineGroupCreated:    false,
		LineMembersAdded:    false,
		LineMemberRemoved:   false,
		LineMemberLeft:      false,
		LineOwnerLeft:       false,
		LineGroupRenamed:    false,
		// A group's role events happen in groups, where there is no visitor.
		LineAdminAppointed: false,
		LineAdminDismissed: false,
		LineHandedOver:     false,
		LineSilenced:       false,
		LineSilencedOpen:   false,
		LineUnsilenced:     false,
		LineAllSilenced:    false,
		LineAllUnsilenced:  false,
		LineNoticeSet:      false,
		LineNoticeCleared:  false,
		LinePinned:         false,
		LineUnpinned:       false,
		LineJoinAsked:      false,
		LineJoinApproved:   false,
		LineJoinRefused:    false,
		NoteRated:          false,
		// Snoozing sorts the agent's own work: never the visitor's business.
		LineSnoozed:      false,
		LineSnoozedReply: false,
		LineWoke:         false,
		LineWokeReply:    false,
		LineReopened:     true,
		// Auto-replies are the team speaking to the visitor.
		LineAutoWaiting: true,
		LineAutoOutside: true,
		"merged":        false, // from a newer kefu
	}
	for code := range systemLines {
		if _, ok := want[code]; !ok {
			t.Errorf("line %s: not decided whether visitors see it", code)
		}
	}
	var codes []string
	for code, visible := range want {
		if got := code.ForVisitors(); got != visible {
			t.Errorf("%s.ForVisitors() = %v, want %v", code, got, visible)
		}
		if visible {
			codes = append(codes, string(code))
		}
	}
	slices.Sort(codes)
	if got := VisitorLines(); !slices.Equal(got, codes) {
		t.Errorf("VisitorLines() = %q, want %q", got, codes)
	}
}

// TestReaderSees: who is shown which message: people's messages by all,
// notes by agents alone, and of the system lines, visitors see theirs.
func TestReaderSees(t *testing.T) {
	text := Message{Type: Text, Body: "hi"}
	note := Message{Type: Note, Body: "prefers email"}
	rated := Message{Type: Note, Code: NoteRated, Args: []string{"5", ""}}
	joined := Message{Type: System, Code: LineJoined, Args: []string{"Sam"}}
	moved := Message{Type: System, Code: LineTransferred, Args: []string{"Sam", "Ann"}}
	renamed := Message{Type: System, Code: LineGroupRenamed, Args: []string{"Ann", "Team"}}
	tests := []struct {
		reader Reader
		m      Message
		want   bool
	}{
		{ReaderAgent, text, true}, {ReaderMember, text, true}, {ReaderVisitor, text, true},
		{ReaderAgent, note, true}, {ReaderMember, note, false}, {ReaderVisitor, note, false},
		{ReaderAgent, rated, true}, {ReaderMember, rated, false}, {ReaderVisitor, rated, false},
		{ReaderAgent, joined, true}, {ReaderMember, joined, true}, {ReaderVisitor, joined, true},
		{ReaderAgent, moved, true}, {ReaderMember, moved, true}, {ReaderVisitor, moved, false},
		{ReaderAgent, renamed, true}, {ReaderMember, renamed, true}, {ReaderVisitor, renamed, false},
	}
	for _, tt := range tests {
		if got := tt.reader.Sees(tt.m); got != tt.want {
			t.Errorf("reader %d sees %s %s: %v, want %v", tt.reader, tt.m.Type, tt.m.Code, got, tt.want)
		}
	}
}
