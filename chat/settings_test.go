package chat

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestAgentListJSON(t *testing.T) {
	tests := []struct {
		in       string
		want     AgentList
		wantErr  bool
		wantJSON string
	}{
		{in: `false`, want: AgentList{Unrestricted: true}, wantJSON: `false`},
		{in: `[]`, want: AgentList{IDs: []int64{}}, wantJSON: `[]`},
		{in: `["1","22"]`, want: AgentList{IDs: []int64{1, 22}}, wantJSON: `["1","22"]`},
		{in: `[3, "3", 4]`, want: AgentList{IDs: []int64{3, 4}}, wantJSON: `["3","4"]`},
		{in: `true`, wantErr: true},
		{in: `["abc"]`, wantErr: true},
		{in: `[0]`, wantErr: true},
		{in: `{"a":1}`, wantErr: true},
	}
	for _, tt := range tests {
		var got AgentList
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if tt.wantErr {
			continue
		}
		if got.Unrestricted != tt.want.Unrestricted || !slices.Equal(got.IDs, tt.want.IDs) {
			t.Fatalf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
		b, err := json.Marshal(got)
		if err != nil || string(b) != tt.wantJSON {
			t.Fatalf("Marshal(%+v) = %s, %v; want %s", got, b, err, tt.wantJSON)
		}
	}
	if (AgentList{Unrestricted: true}).Has(1) || !(AgentList{IDs: []int64{1}}).Has(1) {
		t.Fatal("Has disagrees with the list")
	}
}
