// Package i18n is every word kefu shows, in the reader's language: one
// message catalog per language (catalog/en.json, catalog/zh-CN.json), read
// with go-i18n, which also knows each language's plural rules. A third
// language is a third catalog and nothing else: its file's name is the
// language's code, and its "language.name" what a menu calls it.
//
// Views and handlers look words up by id through the Localizer that the
// request's context carries (T, N); code outside a request makes one for
// the reader's language (For).
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Language is one that kefu speaks.
type Language struct {
	Code string // BCP 47, as in the catalog's file name and the lang attribute
	Name string // in itself, for a language menu
}

// Languages are those kefu speaks, as its catalogs say: the fallback
// first, then the others by code.
var Languages = languages()

// Default is the language of a reader kefu knows nothing about, unless the
// instance says otherwise (KEFU_LANGUAGE).
const Default = "en"

//go:embed catalog/*.json
var catalogs embed.FS

var (
	loadOnce   sync.Once
	bundle     *goi18n.Bundle
	matcher    language.Matcher
	ids        []string              // the fallback catalog's, sorted
	localizers map[string]*Localizer // one per language, made once
)

func load() {
	bundle = goi18n.NewBundle(language.English)
	files, err := fs.Glob(catalogs, "catalog/*.json")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		b, err := catalogs.ReadFile(f)
		if err != nil {
			panic(err)
		}
		// An unreadable catalog is a build defect, which the catalog tests catch.
		bundle.MustParseMessageFileBytes(b, path.Base(f))
	}
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l.Code)
	}
	matcher = language.NewMatcher(tags)
	if ids, err = catalogIDs(Default); err != nil {
		panic(err)
	}
	fallback, err := plainMessages(Default)
	if err != nil {
		panic(err)
	}
	localizers = make(map[string]*Localizer, len(Languages))
	for _, l := range Languages {
		own, err := plainMessages(l.Code)
		if err != nil {
			panic(err)
		}
		loc := &Localizer{lang: l.Code, loc: goi18n.NewLocalizer(bundle, l.Code, Default), plain: map[string]string{}, strings: map[string]string{}}
		for _, id := range ids {
			text, translated := own[id]
			if !translated {
				text = fallback[id]
			}
			if text != "" {
				loc.plain[id] = loc.localize(id, nil, nil)
			}
		}
		localizers[l.Code] = loc
	}
}

// languages reads the languages off the catalogs' file names
// ("<code>.json") and their "language.name".
func languages() []Language {
	files, err := fs.Glob(catalogs, "catalog/*.json")
	if err != nil {
		panic(err)
	}
	codes := []string{Default}
	for _, f := range files {
		code := strings.TrimSuffix(path.Base(f), ".json")
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes[1:])
	out := make([]Language, len(codes))
	for i, code := range codes {
		out[i] = Language{Code: code, Name: nameOf(code)}
	}
	return out
}

// nameOf is the language's "language.name" in its own catalog, else its code.
func nameOf(code string) string {
	b, err := catalogs.ReadFile("catalog/" + code + ".json")
	var m map[string]any
	if err == nil && json.Unmarshal(b, &m) == nil {
		if s, ok := m["language.name"].(string); ok {
			return s
		}
	}
	return code
}

// Supported reports whether code names a language kefu speaks, exactly.
func Supported(code string) bool {
	for _, l := range Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Match picks, from what a browser accepts (an Accept-Language header, or
// a single tag such as a page's data-lang), the language kefu speaks that
// suits it best; fallback when none does.
func Match(accept, fallback string) string {
	loadOnce.Do(load)
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return fallback
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return fallback
	}
	return Languages[i].Code
}

// Localizer looks words up in one language.
type Localizer struct {
	lang string
	loc  *goi18n.Localizer

	// plain is each message that is a plain string, without {{…}} or
	// plural forms, as T without arguments gives it: looked up, not
	// rendered, since views say most of their words this way.
	plain map[string]string

	mu      sync.Mutex
	strings map[string]string // what Strings made, by its arguments: the catalogs never change
}

// For returns the Localizer of lang, one of Languages (else Default's).
func For(lang string) *Localizer {
	loadOnce.Do(load)
	if l := localizers[lang]; l != nil {
		return l
	}
	return localizers[Default]
}

// Lang is the language's code, for a page's lang attribute.
func (l *Localizer) Lang() string { return l.lang }

// T is the message id, filled in with args: pairs of a name and its value,
// as the message's {{.Name}} says.
func (l *Localizer) T(id string, args ...any) string {
	if len(args) == 0 {
		if s, ok := l.plain[id]; ok {
			return s
		}
	}
	return l.localize(id, nil, args)
}

// N is T for a message that depends on a number: it picks the plural form
// of count in the language, and the message says it as {{.Count}}.
func (l *Localizer) N(id string, count int, args ...any) string {
	return l.localize(id, count, append(args, "Count", count))
}

func (l *Localizer) localize(id string, count any, args []any) string {
	var data map[string]any
	if len(args) > 0 {
		data = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			data[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		// A missing id is caught by the catalog tests; a reader sees the id, not nothing.
		return id
	}
	return s
}

// Strings returns, as JSON, the messages of each group under prefix
// (prefix+group+"."; with no groups, every message under prefix), in this
// language, keyed by their id after prefix: the words a page's scripts
// show, handed to them in a data attribute.
func (l *Localizer) Strings(prefix string, groups ...string) string {
	key := prefix + "\x00" + strings.Join(groups, "\x00")
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.strings[key]; ok {
		return s
	}
	out := map[string]string{}
	for _, id := range IDs() {
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok {
			continue
		}
		if len(groups) == 0 {
			out[rest] = l.T(id)
		}
		for _, g := range groups {
			if strings.HasPrefix(rest, g+".") {
				out[rest] = l.T(id)
				break
			}
		}
	}
	b, _ := json.Marshal(out)
	l.strings[key] = string(b)
	return string(b)
}

// IDs returns every message id of the fallback catalog, sorted.
func IDs() []string {
	loadOnce.Do(load)
	return slices.Clone(ids)
}

type ctxKey struct{}

// With returns ctx carrying l, for the views and handlers of a request.
func With(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the Localizer ctx carries, Default's when it carries none.
func From(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(ctxKey{}).(*Localizer); ok {
		return l
	}
	return For(Default)
}

// T looks id up in the language of ctx: { i18n.T(ctx, "console.title") } in a view.
func T(ctx context.Context, id string, args ...any) string { return From(ctx).T(id, args...) }

// N is Localizer.N in the language of ctx.
func N(ctx context.Context, id string, count int, args ...any) string {
	return From(ctx).N(id, count, args...)
}
