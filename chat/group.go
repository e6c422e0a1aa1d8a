package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a member may do in a group.
type Role string

// Roles in a group: one owner, any number of admins, and plain members.
const (
	Owner  Role = "owner"
	Admin  Role = "admin"
	Member Role = "member"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == Owner || r == Admin || r == Member }

// Manages reports whether r is the owner or an admin.
func (r Role) Manages() bool { return r == Owner || r == Admin }

// GroupAction is a change to a group that its roles decide.
type GroupAction string

// Group actions. Those with a target act on one member.
const (
	ActAdd        GroupAction = "add"         // add people (an invitation accepted for them)
	ActApprove    GroupAction = "approve"     // approve or refuse a request to join
	ActRemove     GroupAction = "remove"      // target
	ActSilence    GroupAction = "silence"     // target: mute or let speak again
	ActSilenceAll GroupAction = "silence_all" // mute or let speak every plain member
	ActAppoint    GroupAction = "appoint"     // target: make or dismiss an admin
	ActHandOver   GroupAction = "hand_over"   // target: make the owner
	ActNotice     GroupAction = "notice"      // set the notice
	ActPin        GroupAction = "pin"         // pin or unpin a message
	ActMentionAll GroupAction = "mention_all" // write @all
	ActRename     GroupAction = "rename"
)

// MayInGroup reports whether a member with role actor may do act, to a
// member with role target when act has one (otherwise target is ignored).
// The owner may do everything; admins manage plain members and the group's
// words, but cannot touch the owner or another admin, appoint admins or
// hand the group over; plain members may only rename it.
func MayInGroup(actor Role, act GroupAction, target Role) bool {
	switch act {
	case ActRename:
		return actor.Valid()
	case ActAppoint, ActHandOver:
		return actor == Owner && target != Owner && target.Valid()
	case ActRemove, ActSilence:
		switch actor {
		case Owner:
			return target == Admin || target == Member
		case Admin:
			return target == Member
		}
		return false
	case ActAdd, ActApprove, ActSilenceAll, ActNotice, ActPin, ActMentionAll:
		return actor.Manages()
	}
	return false
}

// Refusals of a message in a group, by its role rules.
var (
	// ErrSilenced: the sender was muted in the group, or everyone is.
	ErrSilenced = errors.New("muted in the group")
	// ErrMentionAll: only the group's owner and admins may write @all.
	ErrMentionAll = errors.New("only owners and admins mention everyone")
)

// MentionAllWord is what a message says to mention every member.
const MentionAllWord = "@all"

// MentionsAll reports whether body mentions every member: @all standing
// alone as a word.
func MentionsAll(body string) bool {
	for rest := body; ; {
		i := strings.Index(rest, MentionAllWord)
		if i < 0 {
			return false
		}
		before, after := rest[:i], rest[i+len(MentionAllWord):]
		if (before == "" || !wordRune(lastRune(before))) && MentionEnds(MentionAllWord, after) {
			return true
		}
		rest = after
	}
}

// MayMention reports whether body may be written in a group by a member
// with role: @all is for owners and admins.
func MayMention(role Role, body string) error {
	if MentionsAll(body) && !MayInGroup(role, ActMentionAll, "") {
		return ErrMentionAll
	}
	return nil
}

func wordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > utf8.RuneSelf && r != '\u3000'
}

func lastRune(s string) rune  { r, _ := utf8.DecodeLastRuneInString(s); return r }
func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }

// Mention is a member a message names.
type Mention struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// Segment is a piece of a message's body: plain text, or a mention to show
// highlighted.
type Segment struct {
	Text    string
	Mention bool
}

// Segments cuts body, written by sender, into plain text and the mentions
// it holds. At each "@" the longest name that ends there (see
// MentionEnds) is taken, among the names of mentions, @all when all, and
// the sender's own name, which is never highlighted: the same choice the
// store makes among a group's members when it finds whom a message
// mentions, so that what is highlighted is who was mentioned.
func Segments(body, sender string, mentions []Mention, all bool) []Segment {
	type candidate struct {
		name    string
		mention bool
	}
	var names []candidate
	for _, m := range mentions {
		if m.Name != "" {
			names = append(names, candidate{m.Name, true})
		}
	}
	if all {
		names = append(names, candidate{MentionAllWord[1:], true})
	}
	if len(names) == 0 {
		return []Segment{{Text: body}}
	}
	if sender != "" {
		names = append(names, candidate{sender, false})
	}
	var out []Segment
	plain := 0
	for i := 0; i < len(body); {
		if body[i] != '@' {
			i++
			continue
		}
		rest := body[i+1:]
		var best candidate
		for _, c := range names {
			if len(c.name) > len(best.name) || len(c.name) == len(best.name) && c.mention {
				if strings.HasPrefix(rest, c.name) && MentionEnds(c.name, rest[len(c.name):]) {
					best = c
				}
			}
		}
		if best.name == "" {
			i++
			continue
		}
		n := 1 + len(best.name)
		if best.mention {
			if plain < i {
				out = append(out, Segment{Text: body[plain:i]})
			}
			out = append(out, Segment{Text: body[i : i+n], Mention: true})
			plain = i + n
		}
		i += n
	}
	if plain < len(body) {
		out = append(out, Segment{Text: body[plain:]})
	}
	return out
}

// runeRange is the code points from lo to hi, both included.
type runeRange struct{ lo, hi rune }

// nameEnders are where an @name may end: whitespace and punctuation
// (ASCII's, general, CJK and full-width), other symbols and emoji.
var nameEnders = []runeRange{{0x01, '/'}, {':', '@'}, {'[', '^'}, {'`', '`'}, {'{', 0xbf}, {0xd7, 0xd7}, {0xf7, 0xf7},
	{0x2000, 0x2bff}, {0x3000, 0x303f}, {0xfe10, 0xfe1f}, {0xfe30, 0xfe4f},
	{0xff00, 0xff0f}, {0xff1a, 0xff20}, {0xff3b, 0xff40}, {0xff5b, 0xff65}, {0x1f000, 0x1faff}}

// cjk are the scripts written without spaces between words: Chinese,
// Japanese kana and Korean.
var cjk = []runeRange{{0x2e80, 0x2fdf}, {0x3040, 0x9fff}, {0xac00, 0xd7af}, {0xf900, 0xfaff}, {0x20000, 0x3ffff}}

func inRanges(r rune, rs []runeRange) bool {
	for _, x := range rs {
		if x.lo <= r && r <= x.hi {
			return true
		}
	}
	return false
}

// MentionEnds reports whether "@" and name, followed by rest, mention
// name: when rest is empty or starts with whitespace or punctuation, so
// that "@Alice" does not mention Al; or, since Chinese has no spaces, when
// name ends in a CJK character ("@小明你好"), where the longest name that
// matches is taken.
func MentionEnds(name, rest string) bool {
	return rest == "" || inRanges(firstRune(rest), nameEnders) || inRanges(lastRune(name), cjk)
}

// MentionEndPattern and CJKPattern are the runes of MentionEnds as
// bracket expressions of PostgreSQL's regular expressions, for the store
// to make the same choice in SQL.
var (
	MentionEndPattern = bracket(nameEnders)
	CJKPattern        = bracket(cjk)
)

func bracket(rs []runeRange) string {
	var b strings.Builder
	b.WriteByte('[')
	for _, r := range rs {
		b.WriteString(codePoint(r.lo) + "-" + codePoint(r.hi))
	}
	b.WriteByte(']')
	return b.String()
}

func codePoint(r rune) string {
	if r > 0xffff {
		return fmt.Sprintf(`\U%08x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// Group notice and silence limits.
const (
	MaxNoticeChars = 1000
	// MaxPins is how many messages a group may have pinned at once.
	MaxPins = 5
	// MaxSilence is the longest a member may be muted for a time.
	MaxSilence = 30 * 24 * time.Hour
)

// ValidateNotice trims a group notice and checks its length ("" clears it).
func ValidateNotice(notice string) (string, error) {
	if !utf8.ValidString(notice) {
		return "", errNotUTF8()
	}
	notice = strings.TrimSpace(notice)
	if n := utf8.RuneCountInString(notice); n > MaxNoticeChars {
		return "", Invalid("notice", "error.group.noticeTooLong", "Length", n, "Max", MaxNoticeChars)
	}
	return notice, nil
}

// SilenceUntil is when a silence of d from now ends: 0 is until the member
// is let speak again. It refuses a negative or too long d.
func SilenceUntil(now time.Time, d time.Duration) (time.Time, error) {
	switch {
	case d == 0:
		return time.Time{}, nil
	case d < 0 || d > MaxSilence:
		return time.Time{}, Invalid("duration", "error.group.silenceDuration")
	}
	return now.Add(d), nil
}
