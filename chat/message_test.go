package chat

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateBody(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "plain", in: "hello", want: "hello"},
		{name: "trimmed", in: "  \n\thello world \r\n", want: "hello world"},
		{name: "inner space kept", in: "a  \n b", want: "a  \n b"},
		{name: "empty", in: "", wantErr: true},
		{name: "only spaces", in: " \t\n ", wantErr: true},
		{name: "one char", in: "x", want: "x"},
		{name: "exactly max ascii", in: strings.Repeat("a", MaxBodyChars), want: strings.Repeat("a", MaxBodyChars)},
		{name: "max plus one", in: strings.Repeat("a", MaxBodyChars+1), wantErr: true},
		{name: "max counted in characters not bytes", in: strings.Repeat("客", MaxBodyChars), want: strings.Repeat("客", MaxBodyChars)},
		{name: "over max in characters", in: strings.Repeat("客", MaxBodyChars+1), wantErr: true},
		{name: "padding does not count", in: "  " + strings.Repeat("a", MaxBodyChars) + "  ", want: strings.Repeat("a", MaxBodyChars)},
		{name: "invalid utf8", in: "ab\xffcd", wantErr: true},
		{name: "nul", in: "a\x00b", wantErr: true},
		{name: "emoji", in: "👋🏽", want: "👋🏽"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateBody(tt.in)
			if tt.wantErr {
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Field != "body" || ve.Say == "" {
					t.Fatalf("ValidateBody(%q) error = %v, want a ValidationError on body", tt.in, err)
				}
				if got != "" {
					t.Fatalf("ValidateBody(%q) = %q with an error, want empty", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ValidateBody(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestValidateClientMsgID(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"", false},
		{"c-1f3a_9", false},
		{strings.Repeat("a", MaxClientMsgIDLen), false},
		{strings.Repeat("a", MaxClientMsgIDLen+1), true},
		{"has space", true},
		{"<script>", true},
		{"客", true},
	}
	for _, tt := range tests {
		err := ValidateClientMsgID(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ValidateClientMsgID(%q) = %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
}

func TestValidateUTF8(t *testing.T) {
	_, bodyErr := ValidateBody("caf\xe9")
	for in, wantErr := range map[string]bool{
		`{"body":"café 客"}`:      false,
		`{"body":"\u00e9"}`:      false, // an escape is text, not bytes
		"{\"body\":\"caf\xe9\"}": true,
		"\xed\xa0\x80":           true, // a surrogate half
		"\xc0\xaf":               true, // an overlong '/'
	} {
		err := ValidateUTF8([]byte(in))
		if (err != nil) != wantErr {
			t.Errorf("ValidateUTF8(%q) = %v, want error %v", in, err, wantErr)
		}
		if err != nil && err.Error() != bodyErr.Error() {
			t.Errorf("ValidateUTF8(%q) = %v, want ValidateBody's error %v", in, err, bodyErr)
		}
	}
}

// TestSystemTextQuotesGroupTitlesPlainly: a group's title is shown as it
// was typed, quotes and all, not escaped as Go would write it.
func TestSystemTextQuotesGroupTitlesPlainly(t *testing.T) {
	title := `The "A" team \ 测试`
	for code, want := range map[SystemCode]string{
		LineGroupCreated: `Ann created the group "The "A" team \ 测试".`,
		LineGroupRenamed: `Ann renamed the group "The "A" team \ 测试".`,
	} {
		if got := SystemText(code, []string{"Ann", title}); got != want {
			t.Errorf("SystemText(%s) = %s, want %s", code, got, want)
		}
	}
}
