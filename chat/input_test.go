package chat

import (
	"errors"
	"strings"
	"testing"
)

// TestTextInputIsPlain: every text a person or a host site gives is
// refused, naming its field, when PostgreSQL could not keep it (a NUL, or
// bytes that are not UTF-8), before anything is stored.
func TestTextInputIsPlain(t *testing.T) {
	site := Site{Name: "Shop", Colour: "#2563eb"}
	for _, bad := range []string{"Ada\x00", "Ada\xff"} {
		for _, c := range []struct {
			field string
			err   error
		}{
			{"name", func() error { _, _, err := (Prechat{Name: FieldRequired}).Check(bad, ""); return err }()},
			{"name", func() error { _, _, err := (Prechat{Name: FieldOptional}).Check(bad, ""); return err }()},
			{"message", ValidateInviteMessage(bad)},
			{"title", func() error { _, err := ValidateGroupTitle(bad); return err }()},
			{"name", func() error { _, err := ValidateKeyName(bad); return err }()},
			{"name", func() error { s := site; s.Name = bad; _, err := ValidateSite(s); return err }()},
			{"greeting", func() error { s := site; s.Greeting = bad; _, err := ValidateSite(s); return err }()},
			{"greeting", func() error { s := site; s.OfflineMessage = bad; _, err := ValidateSite(s); return err }()},
			{"sub", ExternalUser{ExternalID: bad}.Validate()},
			{"name", ExternalUser{ExternalID: "42", Name: bad}.Validate()},
			{"name", ExternalUser{ExternalID: "42", Email: bad}.Validate()},
			{"comment", func() error { _, err := ValidateRating(5, bad); return err }()},
			{"q", func() error { _, err := ValidateSearchQuery(bad); return err }()},
		} {
			var ve *ValidationError
			if !errors.As(c.err, &ve) || ve.Field != c.field {
				t.Errorf("%q as %s: %v; want a ValidationError naming %s", bad, c.field, c.err, c.field)
			}
		}
		if ValidName(bad) {
			t.Errorf("ValidName(%q) = true", bad)
		}
	}
	if _, _, err := (Prechat{Name: FieldRequired}).Check("Ada Lovelace", ""); err != nil {
		t.Errorf("a plain name: %v", err)
	}
	if err := ValidateInviteMessage("Hello, 你好"); err != nil {
		t.Errorf("a plain invitation: %v", err)
	}
}

// TestSearchQuery: a search is trimmed and holds 1 to MaxSearchQuery
// characters, counted as characters, not bytes.
func TestSearchQuery(t *testing.T) {
	long := strings.Repeat("退", MaxSearchQuery)
	for _, c := range []struct {
		in, want, say string
	}{
		{"  refund ", "refund", ""},
		{"退款", "退款", ""},
		{long, long, ""},
		{"", "", "error.search.empty"},
		{" \t\n ", "", "error.search.empty"},
		{long + "款", "", "error.search.query"},
	} {
		got, err := ValidateSearchQuery(c.in)
		var ve *ValidationError
		switch {
		case c.say == "" && (err != nil || got != c.want):
			t.Errorf("ValidateSearchQuery(%.20q) = %q, %v; want %q", c.in, got, err, c.want)
		case c.say != "" && (!errors.As(err, &ve) || ve.Say != c.say || ve.Field != "q"):
			t.Errorf("ValidateSearchQuery(%.20q) = %v; want %s", c.in, err, c.say)
		}
	}
}

// TestEmailsWithHeaderInjectionAreRefused: wherever kefu takes an email
// (pre-chat, a host site's identity, the API), an address with a line break
// or more than an address is refused with a ValidationError naming it.
func TestEmailsWithHeaderInjectionAreRefused(t *testing.T) {
	for _, bad := range []string{"sam@example.net\r\nBcc: eve@example.org", "sam@example.net\nX-Evil: 1", "Sam <sam@example.net>",
		"sam@example.net, eve@example.org", "not an address"} {
		for _, err := range []error{
			func() error { _, _, err := (Prechat{Email: FieldOptional}).Check("", bad); return err }(),
			func() error { _, _, err := (Prechat{Email: FieldRequired}).Check("", bad); return err }(),
			ExternalUser{ExternalID: "42", Email: bad}.Validate(),
		} {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "email" {
				t.Errorf("%q: %v; want a ValidationError naming email", bad, err)
			}
		}
	}
	if err := (ExternalUser{ExternalID: "42", Email: "sam@example.net"}).Validate(); err != nil {
		t.Errorf("a plain address: %v", err)
	}
}
