package chat

import (
	"strings"
	"unicode/utf8"
)

// FieldRule says whether the widget asks for a pre-chat field. The zero
// value asks for nothing.
type FieldRule uint8

// Pre-chat field rules.
const (
	FieldOff FieldRule = iota
	FieldOptional
	FieldRequired
)

var fieldRuleNames = [...]string{FieldOff: "off", FieldOptional: "optional", FieldRequired: "required"}

// ParseFieldRule reads a rule as forms and the database spell it: "off"
// (or nothing), "optional" or "required".
func ParseFieldRule(s string) (FieldRule, error) {
	if s == "" {
		return FieldOff, nil
	}
	for r, name := range fieldRuleNames {
		if s == name {
			return FieldRule(r), nil
		}
	}
	return FieldOff, errFieldRule
}

var errFieldRule = Invalid("prechat", "error.prechat.rule")

// String is the rule as ParseFieldRule reads it.
func (r FieldRule) String() string {
	if int(r) < len(fieldRuleNames) {
		return fieldRuleNames[r]
	}
	return "invalid"
}

// MarshalText spells the rule as String does, for JSON and the audit log.
func (r FieldRule) MarshalText() ([]byte, error) {
	if int(r) >= len(fieldRuleNames) {
		return nil, errFieldRule
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads the rule as ParseFieldRule does.
func (r *FieldRule) UnmarshalText(b []byte) (err error) {
	*r, err = ParseFieldRule(string(b))
	return err
}

// Asked reports whether the field is shown at all.
func (r FieldRule) Asked() bool { return r != FieldOff }

// MaxNameChars is the longest name a person gives, in characters.
const MaxNameChars = 100

// Prechat is what a visitor who starts a support chat is asked first.
type Prechat struct {
	Name, Email FieldRule
}

// Absence says why the widget takes a message rather than starting a chat
// with someone there: the zero value, it does not.
type Absence struct {
	// Nobody is available to take the chat; Outside, it starts outside
	// the site's business hours.
	Nobody, Outside bool
	// Mail is whether replies reach a visitor who left by email.
	Mail bool
}

// PrechatFor is what visitor, starting a support chat on the site, is
// asked: the site's pre-chat fields; when the team is away, an email too,
// so that the answer can reach them. The email is required where the site
// requires it, and when nobody is available within business hours while
// kefu sends email; otherwise optional (outside business hours the
// outside-hours reply and the team's return answer the visitor, and
// without email an address would reach no one). A field the visitor has
// given before is not asked again, and a verified visitor's host site has
// said who they are already. A chat from no site asks nothing.
func (s Site) PrechatFor(visitor User, away Absence) Prechat {
	var p Prechat
	if visitor.ExternalID != "" || s.ID == 0 {
		return p
	}
	p.Name, p.Email = s.PrechatName, s.PrechatEmail
	switch {
	case away.Nobody && !away.Outside && away.Mail:
		p.Email = FieldRequired
	case away.Nobody || away.Outside:
		p.Email = max(p.Email, FieldOptional)
	}
	if visitor.Name != "" {
		p.Name = FieldOff
	}
	if visitor.Email != "" {
		p.Email = FieldOff
	}
	return p
}

// Check checks the name and email a visitor gave with the fields p asks
// for, and returns what is kept of them: each trimmed, and empty when p does
// not ask for it.
func (p Prechat) Check(name, email string) (string, string, error) {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	switch {
	case p.Name == FieldRequired && name == "":
		return "", "", Invalid("name", "error.prechat.name")
	case p.Email == FieldRequired && email == "":
		return "", "", Invalid("email", "error.prechat.email")
	case utf8.RuneCountInString(name) > MaxNameChars:
		return "", "", Invalid("name", "error.prechat.nameTooLong", "Max", MaxNameChars)
	case !ValidName(name):
		return "", "", Invalid("name", "error.prechat.nameChars")
	case email != "" && !ValidEmail(email):
		return "", "", Invalid("email", "error.prechat.emailInvalid")
	}
	if !p.Name.Asked() {
		name = ""
	}
	if !p.Email.Asked() {
		email = ""
	}
	return name, email, nil
}
