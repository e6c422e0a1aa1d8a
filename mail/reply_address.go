package mail

// The addresses kefu's emails carry back to it: Reply-To
// reply+<token>@<reply domain>, whose token signs the conversation, and the
// envelope sender (Return-Path) bounce+<token>@<reply domain>, whose token
// signs the email's outbox row, so that a delivery status notification names
// the email it reports on. Both are auth.SignAddress tokens: short, lower
// case, and verified without a lookup.

import (
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// Address purposes: a token signed for one reads nothing of the other, nor
// of a link's.
const (
	// ReplyPurpose signs a conversation's id: replies to it join the conversation.
	ReplyPurpose = "kefu mail reply"
	// BouncePurpose signs an outbox row's id: reports to it are that email's.
	BouncePurpose = "kefu mail bounce"
)

// How long the addresses work: a reply to an email may come months later,
// and is still checked against the visitor's address; reports of a failed
// delivery come within days (servers give up after about five).
const (
	ReplyAddressLife  = 90 * 24 * time.Hour
	BounceAddressLife = 30 * 24 * time.Hour
)

// The local parts' prefixes. A server in front of kefu routes them by these
// (a recipient_delimiter of +, or a pattern).
const (
	replyPrefix  = "reply+"
	bouncePrefix = "bounce+"
)

// ReplyAddress is the address replies to conversationID's emails go to,
// signed under secret from now.
func ReplyAddress(domain string, conversationID int64, secret string, now time.Time) string {
	return replyPrefix + auth.SignAddress(ReplyPurpose, conversationID, now.Add(ReplyAddressLife), secret) + "@" + domain
}

// BounceAddress is the envelope sender of email mailID: where reports of
// its delivery go.
func BounceAddress(domain string, mailID int64, secret string, now time.Time) string {
	return bouncePrefix + auth.SignAddress(BouncePurpose, mailID, now.Add(BounceAddressLife), secret) + "@" + domain
}

// addressBack gives m, the email d, its bounce address and, when it goes
// to a conversation's visitor, its reply address, when kefu takes email
// back (a reply domain is set). A member's email (a digest, an agent's
// copy of a transcript) has no reply address: only the visitor writes
// into a conversation by email.
func (c *courier) addressBack(m *gomail.Msg, d store.DueMail, now time.Time) error {
	if c.replyDomain == "" {
		return nil
	}
	if d.ConversationID != 0 && d.MemberID == 0 {
		if err := m.ReplyTo(ReplyAddress(c.replyDomain, d.ConversationID, c.secret, now)); err != nil {
			return err
		}
	}
	return m.EnvelopeFrom(BounceAddress(c.replyDomain, d.ID, c.secret, now))
}

// SenderDomain is the domain of sender, an address with a name or not
// ("": none).
func SenderDomain(sender string) string {
	a, err := netmail.ParseAddress(sender)
	if err != nil {
		return ""
	}
	return strings.ToLower(a.Address[strings.LastIndexByte(a.Address, '@')+1:])
}

// ValidDomain reports whether s is a domain reply addresses may be at:
// the part after the @ of an address kefu takes.
func ValidDomain(s string) bool {
	return s != "" && !strings.ContainsAny(s, "@[]") && chat.ValidEmail("reply+x@"+s)
}

// recipient is an address of kefu's as a recipient names it: which kind,
// and its token.
type recipient struct {
	bounce bool
	token  string
}

// parseRecipient reads to, a recipient of a message kefu receives, as one of
// its reply or bounce addresses at domain; false for anything else,
// including anything but a bare address.
func parseRecipient(to, domain string) (recipient, bool) {
	if !chat.ValidEmail(to) {
		return recipient{}, false
	}
	at := strings.LastIndexByte(to, '@')
	local, host := strings.ToLower(to[:at]), to[at+1:]
	if !strings.EqualFold(host, domain) {
		return recipient{}, false
	}
	if token, ok := strings.CutPrefix(local, replyPrefix); ok && token != "" {
		return recipient{token: token}, true
	}
	if token, ok := strings.CutPrefix(local, bouncePrefix); ok && token != "" {
		return recipient{bounce: true, token: token}, true
	}
	return recipient{}, false
}
