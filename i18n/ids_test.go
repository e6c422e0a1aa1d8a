package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// invalidID is the sentence a chat.Invalid names, when it is an id.
	invalidID = regexp.MustCompile(`Invalid\([^,()]+, "([a-z]+(?:\.[A-Za-z0-9]+)+)"`)
	// sayID is an id of the errors, times and notifications written where
	// no T or N looks it up at once (a refusal's Say, a constant).
	sayID = regexp.MustCompile(`"((?:error|time|push)\.[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)"`)
	// scriptID is a word a page's script says: kefuLive's say("live.sending").
	scriptID = regexp.MustCompile(`\bsay\("([a-z]+(?:\.[A-Za-z0-9]+)+)"`)
)

// TestEveryIDNamedIsInTheCatalog: the ids that code hands on to be looked
// up later (an input error's or a refusal's sentence) and those the
// scripts look up exist.
func TestEveryIDNamedIsInTheCatalog(t *testing.T) {
	ids := IDs()
	has := func(path, id string) {
		if _, ok := slices.BinarySearch(ids, id); !ok {
			t.Errorf("%s names %q, which the catalog lacks", path, id)
		}
	}
	err := filepath.WalkDir(root(t), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "data" || d.Name() == "i18n" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, "_templ.go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		goCode, script := strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".templ"), strings.HasSuffix(path, ".js")
		if !goCode && !script {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if script {
			for _, m := range scriptID.FindAllStringSubmatch(string(b), -1) {
				has(path, "js."+m[1])
			}
			return nil
		}
		for _, re := range []*regexp.Regexp{invalidID, sayID} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				has(path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
