package mail

import (
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-im/kefu/store"
)

// envelope is email d to its recipient from kefu's sender, with its reply
// and bounce addresses (addressBack), its subject on one line (a site's or
// person's name with line breaks must not start a header of its own), its
// plain-text part and its HTML part. With an unsubscribe link, mail readers
// offer one click that posts to it (RFC 8058).
func (c *courier) envelope(d store.DueMail, subject, unsubscribe, plain, html string, now time.Time) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From(c.from); err != nil {
		return nil, err
	}
	if err := m.To(d.Email); err != nil {
		return nil, ErrBadAddress
	}
	if err := c.addressBack(m, d, now); err != nil {
		return nil, err
	}
	m.Subject(strings.Join(strings.Fields(subject), " "))
	m.SetDateWithValue(now)
	m.SetMessageID()
	if unsubscribe != "" {
		m.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+unsubscribe+">")
		m.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, plain)
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}
