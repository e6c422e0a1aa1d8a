package chat

import (
	"errors"
	"fmt"
	"testing"
)

// TestPolicyMatrix walks the whole table of the developers' brief: every
// grade, with customer_service_uids as a list (each side listed or not) and
// as false, and every combination of friendship and shared group.
//
// Each want string gives, for one grade, whether a start is allowed ('y')
// for the rows in this order: from listed, to listed, friends, shared group,
// counted as binary digits 0000, 0001, … 1111.
func TestPolicyMatrix(t *testing.T) {
	const from, to = 10, 20
	tests := []struct {
		grade      int
		list, none string // customer_service_uids a list, or false (16 and 4 rows)
	}{
		{GradeAnyone, "yyyyyyyyyyyyyyyy", "yyyy"},
		{GradeServiceOrKin, "nyyyyyyyyyyyyyyy", "yyyy"},
		{GradeKinOnly, "nyyynyyynyyynyyy", "nyyy"},
	}
	for _, tt := range tests {
		for i, want := range tt.list {
			fromCS, toCS, friends, group := i&8 != 0, i&4 != 0, i&2 != 0, i&1 != 0
			agents := AgentList{IDs: []int64{}}
			if fromCS {
				agents.IDs = append(agents.IDs, from)
			}
			if toCS {
				agents.IDs = append(agents.IDs, to)
			}
			name := fmt.Sprintf("grade %d/from cs %v/to cs %v/friends %v/group %v", tt.grade, fromCS, toCS, friends, group)
			check(t, name, Settings{Grade: tt.grade, Agents: agents}, from, to, Ties{Friends: friends, SharedGroup: group}, want == 'y')
		}
		for i, want := range tt.none {
			friends, group := i&2 != 0, i&1 != 0
			name := fmt.Sprintf("grade %d/uids false/friends %v/group %v", tt.grade, friends, group)
			check(t, name, Settings{Grade: tt.grade, Agents: AgentList{Unrestricted: true}}, from, to, Ties{Friends: friends, SharedGroup: group}, want == 'y')
		}
	}
}

// TestPolicyTeam covers support chats: a visitor writing to customer service as a whole.
func TestPolicyTeam(t *testing.T) {
	listed := AgentList{IDs: []int64{1}}
	check(t, "grade 0", Settings{Grade: GradeAnyone, Agents: listed}, 50, Team, Ties{}, true)
	check(t, "grade 100", Settings{Grade: GradeServiceOrKin, Agents: listed}, 50, Team, Ties{}, true)
	check(t, "grade 100, nobody listed", Settings{Grade: GradeServiceOrKin, Agents: AgentList{IDs: []int64{}}}, 50, Team, Ties{}, true)
	check(t, "grade 200", Settings{Grade: GradeKinOnly, Agents: listed}, 50, Team, Ties{}, false)
}

// TestSupportOpen covers whether the widget's support chat is open at all:
// it needs someone listed as customer service and a grade that lets a
// stranger write to them.
func TestSupportOpen(t *testing.T) {
	listed := AgentList{IDs: []int64{1}}
	tests := []struct {
		name string
		s    Settings
		open bool
	}{
		{"grade 0, an agent", Settings{Grade: GradeAnyone, Agents: listed}, true},
		{"grade 100, an agent", Settings{Grade: GradeServiceOrKin, Agents: listed}, true},
		{"grade 200, an agent", Settings{Grade: GradeKinOnly, Agents: listed}, false},
		{"grade 0, customer_service_uids false", Settings{Grade: GradeAnyone, Agents: AgentList{Unrestricted: true}}, false},
		{"grade 100, customer_service_uids false", Settings{Grade: GradeServiceOrKin, Agents: AgentList{Unrestricted: true}}, false},
		{"grade 0, nobody listed", Settings{Grade: GradeAnyone, Agents: AgentList{IDs: []int64{}}}, false},
	}
	for _, tt := range tests {
		err := tt.s.SupportOpen()
		if got := err == nil; got != tt.open {
			t.Errorf("%s: open = %v, want %v", tt.name, got, tt.open)
		}
		var refused *RefusedError
		if err != nil && (!errors.As(err, &refused) || refused.Say == "") {
			t.Errorf("%s: %#v is not a RefusedError with a reason", tt.name, err)
		}
	}
}

func check(t *testing.T, name string, s Settings, from, to int64, ties Ties, want bool) {
	t.Helper()
	err := s.MayStart(from, to, ties)
	if got := err == nil; got != want {
		t.Errorf("%s: allowed = %v, want %v", name, got, want)
		return
	}
	if err == nil {
		return
	}
	var refused *RefusedError
	if !errors.As(err, &refused) || !errors.Is(err, ErrConversationNotAllowed) || refused.Say == "" || refused.Grade != s.Grade {
		t.Errorf("%s: refusal %#v is not a RefusedError wrapping ErrConversationNotAllowed with a reason", name, err)
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name, in string
		want     Settings
		wantErr  bool
	}{
		{name: "uni-im shape", in: `{"customer_service_uids": ["3", "4"], "conversation_grade": 100}`,
			want: Settings{Agents: AgentList{IDs: []int64{3, 4}}, Grade: 100, DefaultCapacity: 5}},
		{name: "false", in: `{"customer_service_uids": false, "conversation_grade": 200, "default_capacity": 2}`,
			want: Settings{Agents: AgentList{Unrestricted: true}, Grade: 200, DefaultCapacity: 2}},
		{name: "unknown keys ignored, defaults kept", in: `{"push": {"x": 1}}`, want: DefaultSettings()},
		{name: "bad grade", in: `{"conversation_grade": 50}`, wantErr: true},
		{name: "bad capacity", in: `{"default_capacity": -1}`, wantErr: true},
		{name: "true uids", in: `{"customer_service_uids": true}`, wantErr: true},
		{name: "not json", in: `grade: 100`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSettings([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if got.Grade != tt.want.Grade || got.DefaultCapacity != tt.want.DefaultCapacity ||
			got.Agents.Unrestricted != tt.want.Agents.Unrestricted || fmt.Sprint(got.Agents.IDs) != fmt.Sprint(tt.want.Agents.IDs) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestRefusalWords: each reader of a refusal is told what fits them. A
// visitor has no friends or groups here; someone writing in a conversation
// that exists is not starting one.
func TestRefusalWords(t *testing.T) {
	s := Settings{Grade: GradeServiceOrKin, Agents: AgentList{IDs: []int64{1}}}
	start100 := s.MayStart(2, 3, Ties{}).(*RefusedError)
	s.Grade = GradeKinOnly
	start200 := s.MayStart(2, 3, Ties{}).(*RefusedError)
	team200 := s.MayStart(2, Team, Ties{}).(*RefusedError)
	agent200 := s.MayStart(1, 3, Ties{}).(*RefusedError)
	for _, c := range []struct {
		name string
		e    *RefusedError
		want string
	}{
		{"a member starting at 100", start100, SayServiceOrKin},
		{"a member starting at 200", start200, SayKinOnly},
		{"a visitor contacting a person at 100", start100.To(true, false), SayVisitor},
		{"a visitor contacting a person at 200", start200.To(true, false), SayVisitor},
		{"a visitor writing again in a direct conversation", start100.To(true, true), SayVisitor},
		{"a visitor contacting customer service at 200", team200.To(true, false), SayTeam},
		{"a visitor writing again to customer service at 200", team200.To(true, true), SayTeamReply},
		{"a member replying at 100", start100.To(false, true), SayReplyServiceOrKin},
		{"an agent replying in an open chat at 200", agent200.To(false, true), SayReplyKinOnly},
		{"a member adding someone to a group at 100", start100.Adding("Sam"), SayAddServiceOrKin},
		{"a member adding someone to a group at 200", start200.Adding("Sam"), SayAddKinOnly},
	} {
		if c.e.Say != c.want {
			t.Errorf("%s: told %q, want %q", c.name, c.e.Say, c.want)
		}
		if !errors.Is(c.e, ErrConversationNotAllowed) {
			t.Errorf("%s: the refusal does not wrap ErrConversationNotAllowed", c.name)
		}
	}
}
