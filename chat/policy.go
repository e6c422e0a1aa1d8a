package chat

import (
	"encoding/json"
	"fmt"
)

// Settings are the admin's rules, in uni-im's shape: who is customer
// service, who may start a conversation with whom, and how many open chats a
// new agent takes.
type Settings struct {
	Agents          AgentList `json:"customer_service_uids"`
	Grade           int       `json:"conversation_grade"`
	DefaultCapacity int       `json:"default_capacity"`
	// Words is the sensitive-word filter. Only the instance's known
	// settings carry its list; settings read for one change carry its mode.
	Words Words `json:"-"`
	// Email is whether email is on: a serving instance has a mail server,
	// and replies and digests are queued for it.
	Email bool `json:"-"`
	// MessageHooks is whether an enabled webhook listens for new messages:
	// a message's transaction then queues its deliveries.
	MessageHooks bool `json:"-"`
}

// DefaultSettings apply until an admin or KEFU_CONFIG says otherwise: no
// grade restriction, nobody listed yet (the first admin is added at their
// creation), five open chats per agent.
func DefaultSettings() Settings {
	return Settings{Agents: AgentList{IDs: []int64{}}, Grade: GradeAnyone, DefaultCapacity: 5, Words: Words{Mode: FilterRefuse}}
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
	return Invalid("conversation_grade", "error.settings.grade")
}

// ValidateCapacity accepts a number of open chats from 0 to 1000.
func ValidateCapacity(n int) error {
	if n < 0 || n > 1000 {
		return Invalid("capacity", "error.settings.capacity")
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
		return &RefusedError{Grade: s.Grade, Say: SayUnavailable}
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
	Reply bool
	// Say is the sentence the one refused is told: the id of a message of
	// kefu's catalog (package i18n), filled in with Args, pairs of a name
	// and its value.
	Say  string
	Args []any
}

// The sentences of refusals, as ids of kefu's message catalog.
const (
	SayUnavailable       = "error.refused.unavailable"
	SayTeamReply         = "error.refused.teamReply"
	SayTeam              = "error.refused.team"
	SayVisitor           = "error.refused.visitor"
	SayReplyServiceOrKin = "error.refused.replyServiceOrKin"
	SayReplyKinOnly      = "error.refused.replyKinOnly"
	SayServiceOrKin      = "error.refused.serviceOrKin"
	SayKinOnly           = "error.refused.kinOnly"
	// SayAddServiceOrKin and SayAddKinOnly refuse to add Name to a group.
	SayAddServiceOrKin = "error.refused.addServiceOrKin"
	SayAddKinOnly      = "error.refused.addKinOnly"
)

func refusal(grade int, toTeam, visitor, reply bool) *RefusedError {
	e := &RefusedError{Grade: grade, ToTeam: toTeam, Visitor: visitor, Reply: reply}
	e.Say = e.sentence()
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
		return SayTeamReply
	case e.ToTeam:
		return SayTeam
	case e.Visitor:
		return SayVisitor
	case e.Reply && e.Grade == GradeServiceOrKin:
		return SayReplyServiceOrKin
	case e.Reply:
		return SayReplyKinOnly
	case e.Grade == GradeServiceOrKin:
		return SayServiceOrKin
	}
	return SayKinOnly
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("conversation not allowed at grade %d: %s", e.Grade, english.T(e.Say, e.Args...))
}

// Unwrap makes errors.Is(err, ErrConversationNotAllowed) hold.
func (e *RefusedError) Unwrap() error { return ErrConversationNotAllowed }

// Adding is the refusal to add the person called name to a group, for the
// reason e gives: a member may add only those they may start a
// conversation with.
func (e *RefusedError) Adding(name string) *RefusedError {
	say := SayAddKinOnly
	if e.Grade == GradeServiceOrKin {
		say = SayAddServiceOrKin
	}
	return &RefusedError{Grade: e.Grade, Say: say, Args: []any{"Name", name}}
}
