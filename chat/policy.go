package chat

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Settings are the admin's rules, in uni-im's shape: who is customer
// service, who may start a conversation with whom, and how many open chats a
// new agent takes.
type Settings struct {
	Agents          AgentList `json:"customer_service_uids"`
	Grade           int       `json:"conversation_grade"`
	DefaultCapacity int       `json:"default_capacity"`
}

// DefaultSettings apply until an admin or KEFU_CONFIG says otherwise: no
// grade restriction, nobody listed yet (the first admin is added at their
// creation), five open chats per agent.
func DefaultSettings() Settings {
	return Settings{Agents: AgentList{IDs: []int64{}}, Grade: GradeAnyone, DefaultCapacity: 5}
}

// ParseSettings reads a uni-im style config.json. Keys it does not know are
// ignored, so uni-im's own file can be given as it is; missing keys keep
// their defaults.
func ParseSettings(b []byte) (Settings, error) {
	var raw struct {
		Agents          *AgentList `json:"customer_service_uids"`
		Grade           *int       `json:"conversation_grade"`
		DefaultCapacity *int       `json:"default_capacity"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Settings{}, fmt.Errorf("not a JSON object with customer_service_uids and conversation_grade: %w", err)
	}
	s := DefaultSettings()
	if raw.Agents != nil {
		s.Agents = *raw.Agents
	}
	if raw.Grade != nil {
		s.Grade = *raw.Grade
	}
	if raw.DefaultCapacity != nil {
		s.DefaultCapacity = *raw.DefaultCapacity
	}
	if err := ValidateGrade(s.Grade); err != nil {
		return s, err
	}
	if err := ValidateCapacity(s.DefaultCapacity); err != nil {
		return s, err
	}
	return s, nil
}

// ValidateGrade accepts the three grades uni-im defines.
func ValidateGrade(g int) error {
	switch g {
	case GradeAnyone, GradeServiceOrKin, GradeKinOnly:
		return nil
	}
	return Invalid("conversation_grade", "The conversation grade is 0, 100 or 200.")
}

// ValidateCapacity accepts a number of open chats from 0 to 1000.
func ValidateCapacity(n int) error {
	if n < 0 || n > 1000 {
		return Invalid("capacity", "Capacity is a number of chats from 0 to 1000.")
	}
	return nil
}

// Ties are what two users share, which grades 100 and 200 consult.
type Ties struct {
	Friends     bool
	SharedGroup bool
}

// Team stands for customer service as a whole: the other side of a support
// chat that names no one.
const Team int64 = 0

// MayStart decides whether from may start (or go on with) a one-to-one
// conversation with to, which may be Team. It is the table of the
// developers' brief, grade by grade:
//
//	0    anyone
//	100  customer service, friends, or members of a group they share; with
//	     customer_service_uids false, anyone. Either side being customer
//	     service is enough: agents may start a conversation with any user.
//	200  only friends or members of a group they share
//
// A refusal is a *RefusedError saying why in a sentence, as it is said to a
// member starting a conversation; the caller who knows more of the one
// refused tells it (RefusedError.To).
func (s Settings) MayStart(from, to int64, t Ties) error {
	kin := t.Friends || t.SharedGroup
	switch s.Grade {
	case GradeAnyone:
		return nil
	case GradeServiceOrKin:
		if kin || s.Agents.Unrestricted || s.Agents.Has(from) || to == Team || s.Agents.Has(to) {
			return nil
		}
	default: // GradeKinOnly, and anything stricter
		if kin {
			return nil
		}
	}
	return refusal(s.Grade, to == Team, false, false)
}

// stranger stands for a new visitor in SupportOpen: nobody customer
// service, with no ties to anyone.
const stranger int64 = -1

// SupportOpen reports whether a visitor may start a chat with customer
// service at all: somebody must be customer service (a list of ids, not
// false or empty), and the grade must let a stranger reach them. A refusal
// is a *RefusedError saying, in words for a site's visitor, that chat is
// unavailable; the admin pages say why.
func (s Settings) SupportOpen() error {
	if s.Agents.Unrestricted || len(s.Agents.IDs) == 0 || s.MayStart(stranger, Team, Ties{}) != nil {
		return &RefusedError{Grade: s.Grade, Reason: "Chat is unavailable right now. Please come back later."}
	}
	return nil
}

// RefusedError is a conversation the grade does not allow: the facts of
// the refusal, and the sentence they give the one refused. It wraps
// ErrConversationNotAllowed.
type RefusedError struct {
	Grade int
	// ToTeam: the other side was customer service as a whole.
	ToTeam bool
	// Visitor: the one refused is a site's visitor, who has no friends or
	// groups here.
	Visitor bool
	// Reply: the message was to go on with a conversation that exists.
	Reply  bool
	Reason string
}

func refusal(grade int, toTeam, visitor, reply bool) *RefusedError {
	e := &RefusedError{Grade: grade, ToTeam: toTeam, Visitor: visitor, Reply: reply}
	e.Reason = e.sentence()
	return e
}

// To is the refusal as said to its reader: a visitor (visitor), or someone
// writing in a conversation that exists (reply).
func (e *RefusedError) To(visitor, reply bool) *RefusedError {
	return refusal(e.Grade, e.ToTeam, visitor, reply)
}

// sentence chooses the words that fit the refusal's facts.
func (e *RefusedError) sentence() string {
	switch {
	case e.ToTeam && e.Reply:
		return "This site now only allows conversations between friends and group members, so this chat with customer service is closed."
	case e.ToTeam:
		return "This site only allows conversations between friends and group members, so new chats with customer service are closed."
	case e.Visitor:
		return "This person cannot be reached by chat here."
	case e.Reply && e.Grade == GradeServiceOrKin:
		return "Replies are not allowed at this grade: you can write only to customer service, your friends, or people in a group with you."
	case e.Reply:
		return "Replies are not allowed at this grade: you can write only to your friends or people in a group with you."
	case e.Grade == GradeServiceOrKin:
		return "Here you can only start a conversation with customer service, your friends, or people in a group with you."
	}
	return "Here you can only start a conversation with your friends or people in a group with you."
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("conversation not allowed at grade %d", e.Grade)
}

// Unwrap makes errors.Is(err, ErrConversationNotAllowed) hold.
func (e *RefusedError) Unwrap() error { return ErrConversationNotAllowed }

// Adding is the refusal to add the person called name to a group, for the
// reason e gives.
func (e *RefusedError) Adding(name string) *RefusedError {
	return &RefusedError{Grade: e.Grade, Reason: "You cannot add " + name + ": " + lowerFirst(e.Reason)}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
