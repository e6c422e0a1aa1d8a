package chat

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidateSignal(t *testing.T) {
	big := `"` + strings.Repeat("x", MaxSignalData-1) + `"`
	cases := []struct {
		kind, data string
		field      string // "": valid
	}{
		{"order.shipped", `{"order":42}`, ""},
		{"ping", "", ""},
		{"a_b-c.9", `[1,2]`, ""},
		{"", `{}`, "kind"},
		{strings.Repeat("k", MaxSignalKind+1), `{}`, "kind"},
		{"Upper", `{}`, "kind"},
		{"订单", `{}`, "kind"},
		{"typing", `{}`, "kind"},
		{"x", `{"a":`, "data"},
		{"x", big, "data"},
		{"x", big[:len(big)-2] + `"`, ""},
		{"x", "\"\xff\"", "data"},
		{"x", `"` + strings.Repeat("<", MaxSignalData/5) + `"`, "data"},
	}
	for _, c := range cases {
		s, err := ValidateSignal(c.kind, []byte(c.data))
		if c.field == "" {
			if err != nil || s.Kind != c.kind || string(s.Data) != c.data {
				t.Errorf("ValidateSignal(%q, %.20q) = %+v, %v", c.kind, c.data, s, err)
			}
			continue
		}
		if ve, ok := err.(*ValidationError); !ok || ve.Field != c.field {
			t.Errorf("ValidateSignal(%q, %.20q) = %v, want an error on %s", c.kind, c.data, err, c.field)
		}
	}
	// A signal's event, with the largest data and draft, stays on the bus.
	ev := Event{Type: EventSignal, ConversationID: 1 << 60, UserID: 1 << 60,
		Signal: &Signal{Kind: strings.Repeat("k", MaxSignalKind), Data: json.RawMessage(big)}}
	if b, _ := json.Marshal(ev); len(b) > MaxEventBytes {
		t.Errorf("the largest signal's event takes %d bytes", len(b))
	}
}
