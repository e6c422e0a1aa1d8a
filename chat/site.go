package chat

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/i18n"
)

// DefaultColour is a site's colour until its admin picks one, and the launcher's.
const DefaultColour = "#2563eb"

// Site is a site that embeds the widget, as its admin set it up.
type Site struct {
	ID   int64
	Name string
	// Origins may frame the widget ("https://shop.example.com").
	Origins        []string
	Greeting       string
	Colour         string // #rrggbb
	PrechatName    FieldRule
	PrechatEmail   FieldRule
	OfflineMessage string
	// Language is the language the site's widget speaks to every visitor
	// (a BCP 47 code kefu speaks); "" lets each visitor's browser decide.
	Language string
	// TypingPreview shows agents what a visitor types before they send it,
	// beside "is typing…". Off by default.
	TypingPreview bool
}

// Allows reports whether origin may frame the site's widget.
func (s Site) Allows(origin string) bool { return slices.Contains(s.Origins, origin) }

var colourRe = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// ValidateSite checks and normalises what an admin typed: origins become
// scheme://host[:port], the colour lower-case.
func ValidateSite(s Site) (Site, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || !plainText(s.Name, 100) {
		return s, Invalid("name", "error.site.name")
	}
	origins := make([]string, 0, len(s.Origins))
	for _, o := range s.Origins {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		n, err := NormalOrigin(o)
		if err != nil {
			return s, err
		}
		if !slices.Contains(origins, n) {
			origins = append(origins, n)
		}
	}
	if len(origins) > 50 {
		return s, Invalid("origins", "error.site.origins")
	}
	s.Origins = origins
	if !plainText(s.Greeting, 500) || !plainText(s.OfflineMessage, 500) {
		return s, Invalid("greeting", "error.site.texts")
	}
	if s.Colour = strings.ToLower(strings.TrimSpace(s.Colour)); s.Colour == "" {
		s.Colour = DefaultColour
	}
	if !colourRe.MatchString(s.Colour) {
		return s, Invalid("colour", "error.site.colour")
	}
	for _, r := range []FieldRule{s.PrechatName, s.PrechatEmail} {
		if r > FieldRequired {
			return s, errFieldRule
		}
	}
	if s.Language != "" && !i18n.Supported(s.Language) {
		return s, Invalid("language", "error.language")
	}
	return s, nil
}

// NormalOrigin turns "https://Shop.example.com/" into "https://shop.example.com".
func NormalOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, " *;'") {
		return "", Invalid("origins", "error.site.origin", "Origin", strconv.Quote(o))
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}
