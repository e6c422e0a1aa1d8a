package chat

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrMessageBlocked: a message holds a word of the sensitive-word list, and
// the filter refuses such messages (Tencent IM's 80001). Nothing is stored.
var ErrMessageBlocked = errors.New("message blocked")

// FilterMode is what the sensitive-word filter does with a message that
// holds a listed word.
type FilterMode string

const (
	// FilterRefuse refuses the message whole (ErrMessageBlocked).
	FilterRefuse FilterMode = "refuse"
	// FilterMask stores it with each listed word masked.
	FilterMask FilterMode = "mask"
)

// ValidateFilterMode accepts the two modes.
func ValidateFilterMode(m FilterMode) error {
	if m != FilterRefuse && m != FilterMask {
		return Invalid("mode", "error.words.mode")
	}
	return nil
}

// MaxWord is the longest listed word, in characters; MaxWords is how many
// words the list holds at most.
const (
	MaxWord  = 50
	MaxWords = 2000
)

// NormalWord returns word as the list keeps it: trimmed and lower-cased,
// so that matching ignores the case of latin (and other cased) letters. It
// must be 1 to MaxWord characters of plain text with no line break.
func NormalWord(word string) (string, error) {
	word = lower(strings.TrimSpace(word))
	if word == "" || !plainText(word, MaxWord) || strings.ContainsAny(word, "\r\n\t") {
		return "", Invalid("word", "error.words.word", "Max", MaxWord)
	}
	return word, nil
}

// lower lower-cases s one character at a time, so that s and its lower case
// have the same number of characters, which masking relies on.
func lower(s string) string { return strings.Map(unicode.ToLower, s) }

// Words is the sensitive-word filter: the admins' list (each word as
// NormalWord keeps it) and what to do with a message that holds one, with
// the list indexed by each word's first two characters, so that a message
// is read once whatever the length of the list. Made by NewWords.
type Words struct {
	Mode FilterMode
	List []string
	// byStart holds the words of two or more characters by their first
	// two; single holds the words of one character.
	byStart map[[2]rune][]listed
	single  map[rune]bool
}

// listed is a word of the list, and whether it is made of latin letters
// and digits alone, and so matches only as a whole word.
type listed struct {
	word  string
	latin bool
}

// NewWords indexes list, whose words are as NormalWord keeps them.
func NewWords(mode FilterMode, list []string) Words {
	w := Words{Mode: mode, List: list, byStart: map[[2]rune][]listed{}, single: map[rune]bool{}}
	for _, word := range list {
		r0, n := utf8.DecodeRuneInString(word)
		r1, m := utf8.DecodeRuneInString(word[n:])
		switch {
		case n == 0:
		case m == 0:
			w.single[r0] = true
		default:
			k := [2]rune{r0, r1}
			w.byStart[k] = append(w.byStart[k], listed{word: word, latin: latinWord(word)})
		}
	}
	return w
}

// wordChar reports whether r is a latin letter or a digit: what a latin
// word is made of, and what may not touch one for it to match.
func wordChar(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
		r >= utf8.RuneSelf && unicode.IsLetter(r) && unicode.Is(unicode.Latin, r)
}

// latinWord reports whether word is made of latin letters and digits alone.
func latinWord(word string) bool {
	for _, r := range word {
		if !wordChar(r) {
			return false
		}
	}
	return word != ""
}

// alone reports whether low[from:to] has no latin letter or digit right
// before or after it.
func alone(low string, from, to int) bool {
	if from > 0 {
		if r, _ := utf8.DecodeLastRuneInString(low[:from]); wordChar(r) {
			return false
		}
	}
	if to < len(low) {
		if r, _ := utf8.DecodeRuneInString(low[to:]); wordChar(r) {
			return false
		}
	}
	return true
}

// containsWord reports whether low holds word: anywhere, or, for a latin
// word, as a whole word.
func containsWord(low, word string) bool {
	latin := latinWord(word)
	for off := 0; off < len(low); {
		j := strings.Index(low[off:], word)
		if j < 0 {
			return false
		}
		j += off
		if !latin || alone(low, j, j+len(word)) {
			return true
		}
		_, n := utf8.DecodeRuneInString(low[j:])
		off = j + n
	}
	return false
}

// holds reports whether low, a lower-cased text, holds a listed word.
func (w Words) holds(low string) bool {
	if w.byStart == nil {
		return slices.ContainsFunc(w.List, func(word string) bool { return word != "" && containsWord(low, word) })
	}
	prev, prevAt := rune(-1), 0
	for i, r := range low {
		if w.single[r] {
			if _, n := utf8.DecodeRuneInString(low[i:]); !wordChar(r) || alone(low, i, i+n) {
				return true
			}
		}
		for _, l := range w.byStart[[2]rune{prev, r}] {
			if strings.HasPrefix(low[prevAt:], l.word) && (!l.latin || alone(low, prevAt, prevAt+len(l.word))) {
				return true
			}
		}
		prev, prevAt = r, i
	}
	return false
}

// Screen returns body as it may be stored. A body that holds no listed word
// (whatever the case of its letters) is returned as it is. A word made of
// latin letters and digits alone is found only as a whole word, with no
// latin letter or digit right before or after it ("ass" is not in
// "class"); any other word anywhere, even inside a longer one, since
// Chinese has no spaces between words. A body that holds one is refused
// with ErrMessageBlocked, or, in FilterMask mode, returned with every
// character of every listed word found replaced by an asterisk: a
// full-width one (＊) for a wide character such as a Chinese one.
func (w Words) Screen(body string) (string, error) {
	if len(w.List) == 0 {
		return body, nil
	}
	low := lower(body)
	if !w.holds(low) {
		return body, nil
	}
	if w.Mode != FilterMask {
		return "", ErrMessageBlocked
	}
	return mask(body, low, w.List), nil
}

// mask replaces in body the characters of each word of list found in low,
// body's lower case, which has as many characters, as Screen finds them.
func mask(body, low string, list []string) string {
	text, lowRunes := []rune(body), []rune(low)
	hidden := make([]bool, len(text))
	for _, word := range list {
		if word == "" || !strings.Contains(low, word) {
			continue
		}
		w, latin := []rune(word), latinWord(word)
		for i := 0; i+len(w) <= len(lowRunes); i++ {
			if !slices.Equal(lowRunes[i:i+len(w)], w) {
				continue
			}
			if latin && (i > 0 && wordChar(lowRunes[i-1]) || i+len(w) < len(lowRunes) && wordChar(lowRunes[i+len(w)])) {
				continue
			}
			for j := i; j < i+len(w); j++ {
				hidden[j] = true
			}
		}
	}
	var b strings.Builder
	b.Grow(len(body))
	for i, r := range text {
		switch {
		case !hidden[i]:
			b.WriteRune(r)
		case wide(r):
			b.WriteRune('＊')
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// wide reports whether r takes two columns: CJK and the full-width forms.
func wide(r rune) bool {
	return r >= utf8.RuneSelf && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0xFF01 && r <= 0xFF60) || (r >= 0x3000 && r <= 0x303F))
}
