package console

import (
	"strings"
	"unicode"
)

// Run is a piece of a snippet: Hit when it is what was searched for.
type Run struct {
	Text string
	Hit  bool
}

// snippetRunes is about how many characters a snippet shows.
const snippetRunes = 160

// Snippet cuts text around the first place a word of q is found (case
// aside) and splits it into runs, the words found marked Hit: the view
// writes each run as text, so that the page escapes all of it.
func Snippet(text, q string) []Run {
	rs := []rune(text)
	low := make([]rune, len(rs))
	for i, r := range rs {
		low[i] = unicode.ToLower(r)
	}
	var terms [][]rune
	for _, w := range append([]string{q}, strings.Fields(q)...) {
		if w = strings.ToLower(w); w != "" {
			terms = append(terms, []rune(w))
		}
	}
	// hit[i]: rune i belongs to a term found there.
	hit := make([]bool, len(rs))
	first := -1
	for i := range low {
		for _, t := range terms {
			if i+len(t) <= len(low) && string(low[i:i+len(t)]) == string(t) {
				for j := i; j < i+len(t); j++ {
					hit[j] = true
				}
				if first < 0 {
					first = i
				}
			}
		}
	}
	from, to := 0, len(rs)
	if len(rs) > snippetRunes {
		from = max(0, first-snippetRunes/3)
		to = min(len(rs), from+snippetRunes)
	}
	var out []Run
	if from > 0 {
		out = append(out, Run{Text: "…"})
	}
	for i := from; i < to; {
		j := i
		for j < to && hit[j] == hit[i] {
			j++
		}
		out = append(out, Run{Text: string(rs[i:j]), Hit: hit[i]})
		i = j
	}
	if to < len(rs) {
		out = append(out, Run{Text: "…"})
	}
	return out
}
