package handlers

// The widget's home and header: the visitor's conversations, kept live;
// who is there to answer and how soon; and, before the visitor types,
// whether the person the widget is aimed at may be written to at all.
// All of it runs on the socket's writer goroutine, except onHome.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/widget"
)

const (
	// homeRows is how many conversations a widget's home lists at most.
	homeRows = 20
	// teamFaces is how many of customer service the header shows at most.
	teamFaces = 3
	// replyWindow and replySample bound the chats whose first responses
	// make "usually replies in …": the newest replySample answered within
	// replyWindow.
	replyWindow = 14 * 24 * time.Hour
	replySample = 200
)

// cspWidgetPage is a site's widget page's policy, before its
// frame-ancestors: pictures of customer service may come from anywhere
// on https, as a host site's users' pictures do.
var cspWidgetPage = strings.Replace(cspBase, "img-src 'self' data: blob:", "img-src 'self' data: blob: https:", 1)

// onHome answers the browser asking for its home: when the widget opens
// on customer service, and when the visitor goes back from a conversation.
//
// The home is where a visitor who writes to more than one side chooses
// between them. A visitor with no conversation yet, or only their support
// chat, has nothing to choose: live_widget.js leaves them in the support
// chat, composer ready, which is one step fewer than a home with a single
// row to click (Show is false). Their home is still kept live, so that it
// opens by itself once someone else writes to them.
func (s *widgetSocket) onHome(ctx context.Context, f inFrame) error {
	s.conn.Enqueue(func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		if err := s.renderHome(ctx, &buf); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	})
	return nil
}

// renderHome writes the visitor's home: their own conversations only (the
// store's access rule for them, a viewer who is never an agent), with their
// unread counts and last messages. From now on the socket keeps it live.
func (s *widgetSocket) renderHome(ctx context.Context, buf *bytes.Buffer) error {
	sums, err := s.h.DB.VisitorConversations(ctx, s.user.ID, homeRows)
	if err != nil {
		return err
	}
	settings, err := s.h.DB.KnownSettings(ctx)
	if err != nil {
		return err
	}
	p := widget.HomeProps{Closed: settings.SupportOpen() != nil}
	for _, sum := range sums {
		r := widget.HomeRow{Last: sum.LastMessage, Unread: sum.Unread}
		r.Mine = r.Last != nil && r.Last.SenderID == s.user.ID
		if sum.Kind == chat.Direct {
			r.To, r.Name = sum.PeerID, sum.Title
			p.Show = true
		} else {
			p.Support = true
		}
		p.Rows = append(p.Rows, r)
	}
	s.screen.home = true
	if err := widget.Home(p).Render(ctx, buf); err != nil {
		return err
	}
	// The home's header is customer service's, whoever the widget was last aimed at.
	team, err := s.supportTeam(ctx, settings)
	if err != nil {
		return err
	}
	return widget.HomeTeam(team).Render(ctx, buf)
}

// homeChanged keeps the home live: a message of one of the visitor's
// conversations (sum) changes its row, whether the widget shows that
// conversation or not. A socket whose browser never asked for its home
// gets one once a conversation it does not show has news.
func (s *widgetSocket) homeChanged(ctx context.Context, buf *bytes.Buffer, sum *chat.Summary, shown bool) error {
	if sum == nil || (sum.Kind != chat.Support && sum.Kind != chat.Direct) || (shown && !s.screen.home) {
		return nil
	}
	return s.renderHome(ctx, buf)
}

// renderAimed writes what goes with the conversation the widget is aimed
// at, once it is resumed: who is there to answer, and whether the grade
// lets the visitor write at all.
func (s *widgetSocket) renderAimed(ctx context.Context, buf *bytes.Buffer) error {
	settings, err := s.h.DB.KnownSettings(ctx)
	if err != nil {
		return err
	}
	if err := s.renderTeam(ctx, buf, settings); err != nil {
		return err
	}
	return s.renderGrade(ctx, buf, settings)
}

// renderTeam writes the header's line of who is there: with customer
// service, supportTeam; in a chat with one person, whether they are online
// (store.Online: an open console and not away, never merely connected).
func (s *widgetSocket) renderTeam(ctx context.Context, buf io.Writer, settings chat.Settings) error {
	if a := s.screen.aim; a.direct {
		name, err := s.h.memberName(ctx, a.to)
		if err != nil || name == "" {
			if err == nil {
				err = widget.Team(widget.TeamProps{None: true}).Render(ctx, buf)
			}
			return err
		}
		online, err := s.h.DB.Online(ctx, a.to, s.h.Now(), s.h.Routing.Grace)
		if err != nil {
			return err
		}
		return widget.Team(widget.TeamProps{Person: name, Online: online}).Render(ctx, buf)
	}
	p, err := s.supportTeam(ctx, settings)
	if err != nil {
		return err
	}
	return widget.Team(p).Render(ctx, buf)
}

// supportTeam is customer service as the header shows it: a few of its
// agents, those with room for a chat first; whether any is on duty
// (online, set available and with a capacity, as the queue tells a waiting
// visitor); and how soon it usually replies. Nobody while no support chat
// can start.
func (s *widgetSocket) supportTeam(ctx context.Context, settings chat.Settings) (widget.TeamProps, error) {
	db, now := s.h.DB, s.h.Now()
	var p widget.TeamProps
	if settings.SupportOpen() != nil {
		return widget.TeamProps{None: true}, nil
	}
	loads, err := db.Agents(ctx, now, s.h.Routing.Grace, settings.Agents.IDs)
	if err != nil {
		return p, err
	}
	// Those with room for a chat first, then those on duty, then the online,
	// then the rest, each in the list's order.
	rank := func(l chat.AgentLoad) int {
		switch {
		case l.Eligible():
			return 0
		case l.OnDuty():
			return 1
		case l.Online:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(loads, func(x, y chat.AgentLoad) int { return rank(x) - rank(y) })
	ids := make([]int64, 0, teamFaces)
	for _, l := range loads {
		p.Anyone = p.Anyone || l.OnDuty() // as the queue tells a waiting visitor
		if len(ids) < teamFaces {
			ids = append(ids, l.ID)
		}
	}
	users, err := db.Users(ctx, ids)
	if err != nil {
		return p, err
	}
	for _, id := range ids {
		if i := slices.IndexFunc(users, func(u chat.User) bool { return u.ID == id }); i >= 0 {
			p.Members = append(p.Members, widget.TeamMember{Name: users[i].DisplayName(), Avatar: users[i].Avatar})
		}
	}
	d, known, err := db.ReplyTime(ctx, now.Add(-replyWindow), replySample)
	if err != nil {
		return p, err
	}
	if known {
		p.Reply = widget.ReplyWords(d)
	}
	return p, nil
}

// renderGrade says, before the visitor types, when the conversation_grade
// policy would refuse them a chat with the person the widget is aimed at
// (the store's MayStart: the policy itself, never a copy of its rules),
// and offers customer service instead while it is open. Otherwise it shows
// the composer. Sends are still checked one by one, as the grade may change.
func (s *widgetSocket) renderGrade(ctx context.Context, buf *bytes.Buffer, settings chat.Settings) error {
	a := s.screen.aim
	if !a.direct {
		return nil // customer service: Availability says whether it is open
	}
	err := s.h.DB.MayStart(ctx, s.user.ID, a.to)
	var refused *chat.RefusedError
	if !errors.As(err, &refused) {
		if err != nil {
			return err
		}
		return widget.Availability("").Render(ctx, buf)
	}
	name, err := s.h.memberName(ctx, a.to)
	if err != nil {
		return err
	}
	if name == "" {
		name = i18n.T(ctx, "widget.grade.someone")
	}
	return widget.GradeRefused(name, settings.SupportOpen() == nil).Render(ctx, buf)
}

// memberName is the name a widget may show of the person it is aimed at:
// an enabled member's; "" for anyone else (a visitor, a disabled member, an
// id nobody has), whose name is no stranger's business.
func (h *Handler) memberName(ctx context.Context, id int64) (string, error) {
	u, err := h.DB.User(ctx, id)
	switch {
	case isNotFound(err):
		return "", nil
	case err != nil:
		return "", err
	case u.Kind != chat.KindMember || u.Disabled():
		return "", nil
	}
	return u.DisplayName(), nil
}
