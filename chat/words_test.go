package chat

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestWordsScreen(t *testing.T) {
	list := []string{"傻瓜", "spam", "垃圾广告", "scam", "x"}
	for _, c := range []struct {
		mode    FilterMode
		body    string
		want    string
		refused bool
	}{
		{FilterRefuse, "hello there", "hello there", false},
		{FilterRefuse, "你好，请问订单到哪了？", "你好，请问订单到哪了？", false},
		{FilterRefuse, "你是傻瓜吗", "", true},
		{FilterRefuse, "this is SPAM", "", true},
		{FilterRefuse, "Spammers", "Spammers", false}, // a latin word matches as a whole word
		{FilterRefuse, "傻", "傻", false},               // part of a word is no word
		{FilterMask, "你是傻瓜吗", "你是＊＊吗", false},
		{FilterMask, "no SPAM, no Scam!", "no ****, no ****!", false},
		{FilterMask, "垃圾广告spam傻瓜", "＊＊＊＊****＊＊", false},
		{FilterMask, "ok", "ok", false},
		{FilterRefuse, "X", "", true}, // a word of one letter
		{FilterMask, "spa spam", "spa ****", false},
		{FilterMask, "İ spam", "İ ****", false}, // a letter whose lower case is shorter keeps its place
	} {
		got, err := NewWords(c.mode, list).Screen(c.body)
		if plain, perr := (Words{Mode: c.mode, List: list}).Screen(c.body); plain != got || !errors.Is(perr, err) {
			t.Errorf("%s %q: unindexed %q, %v; indexed %q, %v", c.mode, c.body, plain, perr, got, err)
		}
		switch {
		case c.refused && !errors.Is(err, ErrMessageBlocked):
			t.Errorf("%s %q: %q, %v; want refused", c.mode, c.body, got, err)
		case !c.refused && (err != nil || got != c.want):
			t.Errorf("%s %q: %q, %v; want %q", c.mode, c.body, got, err, c.want)
		}
	}
	if got, err := (Words{Mode: FilterRefuse}).Screen("spam"); err != nil || got != "spam" {
		t.Errorf("empty list: %q, %v", got, err)
	}
}

// TestWordsScreenBoundaries: a word of latin letters and digits matches only
// with no latin letter or digit on either side; a word with CJK anywhere.
func TestWordsScreenBoundaries(t *testing.T) {
	list := []string{"ass", "spam", "x", "b2b", "傻瓜", "spam广告", "q"}
	for _, c := range []struct {
		body string
		want string // masked; the same body when nothing matches
	}{
		{"a class act", "a class act"},
		{"assassin", "assassin"},
		{"bass guitar", "bass guitar"},
		{"what an ass", "what an ***"},
		{"ASS!", "***!"},
		{"(ass)", "(***)"},
		{"ass-kicking", "***-kicking"},
		{"spam2", "spam2"},
		{"2spam", "2spam"},
		{"spam_mail", "****_mail"},
		{"café spam", "café ****"},
		{"éspam", "éspam"}, // an accented latin letter is a letter
		{"买spam啊", "买****啊"},
		{"box", "box"},
		{"x", "*"},
		{"a x b", "a * b"},
		{"b2b2b", "b2b2b"},
		{"b2b", "***"},
		{"你是傻瓜吗", "你是＊＊吗"},
		{"abc傻瓜def", "abc＊＊def"},
		{"myspam广告s", "my****＊＊s"}, // a word with CJK matches anywhere
		{"spam spam", "**** ****"},
		{"spamspam spam", "spamspam ****"},
		{"quiz q", "quiz *"},
	} {
		for _, mode := range []FilterMode{FilterRefuse, FilterMask} {
			got, err := NewWords(mode, list).Screen(c.body)
			plain, perr := (Words{Mode: mode, List: list}).Screen(c.body)
			if plain != got || !errors.Is(perr, err) {
				t.Errorf("%s %q: unindexed %q, %v; indexed %q, %v", mode, c.body, plain, perr, got, err)
			}
			switch {
			case c.want == c.body && (err != nil || got != c.body):
				t.Errorf("%s %q: %q, %v; want it as it is", mode, c.body, got, err)
			case c.want != c.body && mode == FilterRefuse && !errors.Is(err, ErrMessageBlocked):
				t.Errorf("%s %q: %q, %v; want refused", mode, c.body, got, err)
			case c.want != c.body && mode == FilterMask && (err != nil || got != c.want):
				t.Errorf("%s %q: %q, %v; want %q", mode, c.body, got, err, c.want)
			}
		}
	}
	if got, err := (Words{Mode: FilterRefuse}).Screen("spam"); err != nil || got != "spam" {
		t.Errorf("empty list: %q, %v", got, err)
	}
}

func TestNormalWord(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"  SpAm ", "spam", true},
		{"傻瓜", "傻瓜", true},
		{strings.Repeat("词", MaxWord), strings.Repeat("词", MaxWord), true},
		{strings.Repeat("词", MaxWord+1), "", false},
		{"   ", "", false},
		{"a\nb", "", false},
		{"a\x00b", "", false},
	} {
		got, err := NormalWord(c.in)
		var ve *ValidationError
		switch {
		case c.ok && (err != nil || got != c.want):
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		case !c.ok && (!errors.As(err, &ve) || ve.Say != "error.words.word"):
			t.Errorf("%q: %q, %v; want error.words.word", c.in, got, err)
		}
	}
	if ValidateFilterMode(FilterMask) != nil || ValidateFilterMode(FilterRefuse) != nil || ValidateFilterMode("drop") == nil {
		t.Error("filter modes")
	}
}

// BenchmarkWordsScreen measures a message that holds no listed word, the
// common case, against a list of 500 words, English and Chinese.
func BenchmarkWordsScreen(b *testing.B) {
	list := make([]string, 0, 500)
	for i := range 250 {
		list = append(list, fmt.Sprintf("badword%d", i), fmt.Sprintf("坏词%d", i))
	}
	w := NewWords(FilterRefuse, list)
	body := strings.Repeat("Where is my order? 我的订单在哪里？ ", 6)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Screen(body); err != nil {
			b.Fatal(err)
		}
	}
}
