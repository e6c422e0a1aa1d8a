package console

import (
	"slices"
	"strings"
	"testing"
)

// TestSnippet: the words searched for are marked wherever they are, case
// aside, in characters (not bytes); a long text is cut around the first.
func TestSnippet(t *testing.T) {
	for _, c := range []struct {
		text, q string
		want    []Run
	}{
		{"I need a Refund <b>now</b>", "refund", []Run{{"I need a ", false}, {"Refund", true}, {" <b>now</b>", false}}},
		{"我想申请退款，退款", "退款", []Run{{"我想申请", false}, {"退款", true}, {"，", false}, {"退款", true}}},
		{"order refund", "refund order", []Run{{"order", true}, {" ", false}, {"refund", true}}},
		{"nothing here", "zzz", []Run{{"nothing here", false}}},
		{"ÀB", "àb", []Run{{"ÀB", true}}},
	} {
		if got := Snippet(c.text, c.q); !slices.Equal(got, c.want) {
			t.Errorf("Snippet(%q, %q) = %+v; want %+v", c.text, c.q, got, c.want)
		}
	}
	long := strings.Repeat("说", 300) + "退款" + strings.Repeat("说", 300)
	got := Snippet(long, "退款")
	if len(got) != 5 || got[0].Text != "…" || !got[2].Hit || got[2].Text != "退款" || got[4].Text != "…" {
		t.Fatalf("a long text's snippet: %+v", got)
	}
	if n := len([]rune(got[1].Text + got[2].Text + got[3].Text)); n != snippetRunes {
		t.Errorf("a long text's snippet holds %d characters; want %d", n, snippetRunes)
	}
}
