package chat

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Conversation grades: who may start a conversation with whom (uni-im's conversation_grade).
const (
	GradeAnyone       = 0
	GradeServiceOrKin = 100
	GradeKinOnly      = 200
)

// AgentList is the customer_service_uids setting: the ids of the users who
// are customer service, or false (Unrestricted) for no restriction.
type AgentList struct {
	Unrestricted bool
	IDs          []int64
}

// Has reports whether id is listed. An unrestricted list names nobody.
func (l AgentList) Has(id int64) bool { return !l.Unrestricted && slices.Contains(l.IDs, id) }

// MarshalJSON writes uni-im's shape: false, or an array of id strings.
func (l AgentList) MarshalJSON() ([]byte, error) {
	if l.Unrestricted {
		return []byte("false"), nil
	}
	ids := make([]string, len(l.IDs))
	for i, id := range l.IDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return json.Marshal(ids)
}

// UnmarshalJSON reads false, or an array of ids given as strings or numbers.
func (l *AgentList) UnmarshalJSON(b []byte) error {
	var flag bool
	if err := json.Unmarshal(b, &flag); err == nil {
		if flag {
			return fmt.Errorf("customer_service_uids: true is not allowed; give a list of user ids or false")
		}
		*l = AgentList{Unrestricted: true}
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("customer_service_uids: want a list of user ids or false")
	}
	out := AgentList{IDs: make([]int64, 0, len(raw))}
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) != nil {
			s = string(r)
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("customer_service_uids: %s is not a user id", r)
		}
		if !slices.Contains(out.IDs, id) {
			out.IDs = append(out.IDs, id)
		}
	}
	*l = out
	return nil
}
