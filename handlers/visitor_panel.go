package handlers

// What the console's visitor panel makes of what it knows of a visitor:
// their browser in words, their language by name, the pages they have been
// on and their earlier chats.

import (
	"context"
	"strings"
	"sync"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/console"
)

const (
	// panelPages and panelPastChats are how many of a visitor's newest
	// pages and earlier chats their panel lists.
	panelPages     = 10
	panelPastChats = 5
)

// userAgents parses browsers' User-Agent headers; it is built once, on
// the first visitor panel shown.
var userAgents = sync.OnceValue(useragent.NewParser)

// browserOf is user agent ua in words: "Chrome 118", "Windows", and the
// kind of device, each empty when unknown.
func browserOf(ctx context.Context, ua string) console.Browser {
	if ua == "" {
		return console.Browser{}
	}
	a := userAgents().Parse(ua)
	b := console.Browser{Name: string(a.Browser()), OS: string(a.OS())}
	if v := a.BrowserVersionMajor(); b.Name != "" && v != "" {
		b.Name += " " + v
	}
	switch a.Device() {
	case agents.DeviceDesktop:
		b.Device = i18n.T(ctx, "console.visitor.device.desktop")
	case agents.DeviceMobile:
		b.Device = i18n.T(ctx, "console.visitor.device.mobile")
	case agents.DeviceTablet:
		b.Device = i18n.T(ctx, "console.visitor.device.tablet")
	case agents.DeviceTV:
		b.Device = i18n.T(ctx, "console.visitor.device.tv")
	case agents.DeviceBot:
		b.Device = i18n.T(ctx, "console.visitor.device.bot")
	}
	return b
}

// languageName is the browser language tag (as navigator.language gives
// it) named in the reader's language, "简体中文 (zh-CN)"-style; the tag
// alone when it names nothing known.
func languageName(ctx context.Context, tag string) string {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return tag
	}
	reader, err := language.Parse(i18n.From(ctx).Lang())
	if err != nil {
		reader = language.English
	}
	name := display.Tags(reader).Name(t)
	if name == "" {
		return tag
	}
	return name + " (" + t.String() + ")"
}

// visitorHistory adds to v visitor visitorID's newest pages and earlier chats.
func (h *Handler) visitorHistory(ctx context.Context, v *console.VisitorInfo, visitorID int64) error {
	var err error
	if v.Blocked, err = h.DB.VisitorBlocked(ctx, visitorID, ""); err != nil {
		return err
	}
	if v.Pages, err = h.DB.VisitorPages(ctx, visitorID, panelPages); err != nil {
		return err
	}
	v.Past, err = h.DB.PastChats(ctx, visitorID, panelPastChats)
	return err
}
