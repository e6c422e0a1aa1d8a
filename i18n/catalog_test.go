package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/a-h/templ/parser/v2"
)

// TestCatalogsAgree: every language has every message of the fallback
// language and no other, and each says something.
func TestCatalogsAgree(t *testing.T) {
	want := IDs()
	if len(want) == 0 {
		t.Fatal("the fallback catalog is empty")
	}
	for _, l := range Languages {
		got, err := catalogIDs(l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range want {
			if _, ok := slices.BinarySearch(got, id); !ok {
				t.Errorf("catalog %s lacks %q", l.Code, id)
			}
		}
		for _, id := range got {
			if _, ok := slices.BinarySearch(want, id); !ok {
				t.Errorf("catalog %s has %q, which %s lacks", l.Code, id, Default)
			}
		}
		loc := For(l.Code)
		for _, id := range got {
			if s := loc.N(id, 2); s == "" || s == id {
				t.Errorf("%s: %q says nothing", l.Code, id)
			}
		}
	}
}

// root is the repository's top folder.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// usedID finds a message id in code that looks one up by its literal id
// (an id put together, such as "line."+code, is checked by its own tests).
var usedID = regexp.MustCompile(`(?:i18n\.(?:T|N)\(\w+, |\.(?:T|N)\()"([^"]+)"\s*[,)]`)

// TestEveryWordUsedIsInTheCatalog: each id the code looks up exists.
func TestEveryWordUsedIsInTheCatalog(t *testing.T) {
	ids := IDs()
	err := filepath.WalkDir(root(t), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "data" || d.Name() == "i18n") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".templ") || strings.HasSuffix(path, ".go")) ||
			strings.HasSuffix(path, "_templ.go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range usedID.FindAllStringSubmatch(string(b), -1) {
			if _, ok := slices.BinarySearch(ids, m[1]); !ok {
				t.Errorf("%s looks up %q, which the catalog lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wordy are the attributes whose values people read.
var wordy = []string{"title", "placeholder", "aria-label", "alt", "label", "content"}

// TestViewsSayNothingOutsideTheCatalog: no templ view has words of its
// own, in its text or in an attribute people read.
func TestViewsSayNothingOutsideTheCatalog(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root(t), "views", "*", "*.templ"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no views found: %v", err)
	}
	for _, f := range files {
		tf, err := parser.Parse(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(root(t), f)
		walk(reflect.ValueOf(tf), func(v any) {
			switch n := v.(type) {
			case *parser.Text:
				if hasLetter(n.Value) {
					t.Errorf("%s:%d: text outside the catalog: %q", rel, n.Range.From.Line+1, strings.TrimSpace(n.Value))
				}
			case *parser.ConstantAttribute:
				if slices.Contains(wordy, n.Key.String()) && hasLetter(n.Value) {
					t.Errorf("%s: attribute %s outside the catalog: %q", rel, n.Key.String(), n.Value)
				}
			}
		})
	}
}

// entity is an HTML character reference, such as &times;: a sign, not a word.
var entity = regexp.MustCompile(`&#?\w+;`)

func hasLetter(s string) bool {
	return strings.IndexFunc(entity.ReplaceAllString(s, ""), unicode.IsLetter) >= 0
}

// walk calls f with every pointer it finds in v, depth first.
func walk(v reflect.Value, f func(any)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		f(v.Interface())
		walk(v.Elem(), f)
	case reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walk(v.Field(i), f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), f)
		}
	}
}

// TestPlainMessagesReadAsRendered: a message T looks up without rendering
// reads as go-i18n renders it, in every language, and the messages with
// {{…}} or plural forms are rendered.
func TestPlainMessagesReadAsRendered(t *testing.T) {
	for _, lang := range Languages {
		l := For(lang.Code)
		looked := 0
		for _, id := range IDs() {
			got, want := l.T(id), l.localize(id, nil, nil)
			if got != want {
				t.Errorf("%s %s: T = %q, rendered %q", lang.Code, id, got, want)
			}
			if _, ok := l.plain[id]; ok {
				looked++
			}
		}
		if looked == 0 || looked == len(IDs()) {
			t.Errorf("%s: %d of %d messages are looked up, want most but not all", lang.Code, looked, len(IDs()))
		}
	}
	if got := For("en").T("admin.api.keys.create.only", "Name", "Ana"); strings.Contains(got, "<no value>") || !strings.Contains(got, "Ana") {
		t.Errorf("a message with arguments reads %q", got)
	}
}
