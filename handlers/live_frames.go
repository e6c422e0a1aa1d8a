package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
	"github.com/kefu-im/kefu/views/widget"
)

// replayLimit is the most messages replayed after a reconnect; a larger gap
// replaces the thread with its newest page.
const replayLimit = 200

// send validates and stores a message, then acknowledges it. The bubble
// itself reaches every screen, this one included, through the bus.
func (c *client) send(ctx context.Context, f inFrame) error {
	if err := chat.ValidateClientMsgID(f.ClientMsgID); err != nil {
		return err
	}
	body, err := chat.ValidateBody(f.Body)
	if err != nil {
		return err
	}
	s := store.Send{SenderID: c.user.ID, ClientMsgID: f.ClientMsgID, Body: body}
	var msg chat.Message
	var created bool
	if c.widget {
		// "Contact the author": an agent named by the page gets a support
		// chat first; anyone else, a direct conversation. Either way the
		// conversation_grade policy decides, in the store's transaction.
		direct, err := c.h.directTarget(ctx, f.To)
		if err != nil {
			return err
		}
		switch {
		case direct:
			msg, created, err = c.h.DB.SendDirect(ctx, s, f.To)
		default:
			if f.To != 0 {
				s.TargetID, s.TargetUntil = f.To, c.h.now().Add(c.h.Dispatcher.Config().TargetWait)
			}
			if err := c.startingChat(ctx, f, &s); err != nil {
				return err
			}
			msg, created, err = c.h.DB.SendFromVisitor(ctx, s)
		}
		if err != nil {
			return err
		}
	} else {
		v, verr := c.viewer(ctx)
		if verr != nil {
			return verr
		}
		conv, cerr := c.h.DB.ConversationFor(ctx, f.ConversationID, v)
		if cerr != nil {
			return cerr
		}
		s.ConversationID = conv.ID
		msg, created, err = c.h.DB.SendMessage(ctx, s)
	}
	if err != nil {
		return err
	}
	if !created {
		// A resent frame: the message may never have reached this screen.
		c.conn.Enqueue(c.deliver(msg, nil))
	}
	c.conn.Enqueue(frameJob(thread.Ack(f.ClientMsgID)))
	return nil
}

func (c *client) read(ctx context.Context, f inFrame) error {
	v, err := c.viewer(ctx)
	if err != nil {
		return err
	}
	conv, err := c.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return err
	}
	return c.h.DB.MarkRead(ctx, conv.ID, c.user.ID, f.Seq)
}

// deliver shows msg (and any messages this screen missed before it) if the
// browser shows its thread, then moves the conversation up the console's list.
func (c *client) deliver(msg chat.Message, sum *chat.Summary) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		if c.widget && !c.wants(msg.ConversationID, sum) {
			return nil, nil
		}
		if c.widget && c.openID == 0 {
			c.openID = msg.ConversationID // the widget's first message started it
		}
		// Agents' private notes never reach a visitor; the gap they leave in
		// seq is filled from the database without them.
		if !(c.widget && msg.Type == chat.Note) {
			if err := c.catchUp(ctx, &buf, msg.ConversationID, msg.Seq, &msg); err != nil {
				return nil, err
			}
		}
		if sum != nil && !c.widget {
			if err := console.Moved(*sum, sum.ID == c.openID).Render(ctx, &buf); err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// catchUp writes the messages of conversation id up to upTo that this
// screen has not been sent, in order, each once. known is message upTo when
// the caller has it already.
func (c *client) catchUp(ctx context.Context, buf *bytes.Buffer, id, upTo int64, known *chat.Message) error {
	sent, ok := c.followed[id]
	if !c.resumed || (!ok && !c.widget) {
		return nil // not yet told what the browser shows; the console shows only its open thread
	}
	if upTo <= sent {
		return nil
	}
	var msgs []chat.Message
	if known != nil && upTo == sent+1 {
		msgs = []chat.Message{*known}
	} else {
		var err error
		if msgs, err = c.h.DB.MessagesAfter(ctx, id, sent, replayLimit+1, !c.widget); err != nil {
			return err
		}
		if len(msgs) > replayLimit {
			return c.replace(ctx, buf, id)
		}
	}
	for _, m := range msgs {
		if err := thread.Appended(m, m.SenderID == c.user.ID).Render(ctx, buf); err != nil {
			return err
		}
		c.followed[id] = m.Seq
	}
	return nil
}

// replace fills the browser's thread with conversation id's newest page.
func (c *client) replace(ctx context.Context, buf *bytes.Buffer, id int64) error {
	msgs, more, err := c.h.DB.History(ctx, id, 0, chat.PageSize, !c.widget)
	if err != nil {
		return err
	}
	url := historyURL(id)
	if c.widget {
		url = "/widget/c/" + itoa(id) + "/history"
	}
	clear(c.followed)
	c.followed[id] = 0
	if n := len(msgs); n > 0 {
		c.followed[id] = msgs[n-1].Seq
	}
	return thread.Replaced(thread.PageProps{Messages: msgs, More: more, ViewerID: c.user.ID, OlderURL: url}).Render(ctx, buf)
}

// startingChat checks and records, when this message starts a support chat,
// what the visitor gives with it: the pre-chat fields the site asks for and
// the page's context.
func (c *client) startingChat(ctx context.Context, f inFrame, s *store.Send) error {
	conv, err := c.h.DB.VisitorConversation(ctx, c.user.ID)
	if err == nil && conv.Status != chat.Resolved {
		return nil // it goes on
	}
	if err != nil && !isNotFound(err) {
		return err
	}
	view, err := c.h.loadQueueView(ctx)
	if err != nil {
		return err
	}
	rules := prechatRules(c.site, c.user, view.anyone)
	name, email := strings.TrimSpace(f.Name), strings.TrimSpace(f.Email)
	switch {
	case rules.Name == "required" && name == "":
		return chat.Invalid("name", "Please tell us your name.")
	case rules.Email == "required" && email == "":
		return chat.Invalid("email", "Please give your email, so that we can answer you.")
	case utf8.RuneCountInString(name) > 100:
		return chat.Invalid("name", "Your name is at most 100 characters.")
	case email != "" && !validEmail(email):
		return chat.Invalid("email", "That email address does not look right.")
	}
	s.SiteID = c.site.ID
	s.Context = visitorContext(f.Context, c.userAgent)
	if rules.Email != "off" && email != "" {
		s.Context["email"] = email
	}
	if rules.Name != "off" && name != "" {
		s.Context["name"] = name
		s.VisitorName = name // stored with the message, or not at all
	}
	return nil
}

// contextKeys are what the widget may say of the visitor's browser.
var contextKeys = []string{"page", "referrer", "language", "timezone"}

// visitorContext keeps the known keys of what the widget sent, each cut to
// a sane length, and the browser's user agent.
func visitorContext(in map[string]string, userAgent string) map[string]string {
	out := map[string]string{}
	for _, k := range contextKeys {
		if v := strings.TrimSpace(in[k]); v != "" && utf8.ValidString(v) {
			out[k] = truncate(v, 2000)
		}
	}
	if userAgent != "" {
		out["user_agent"] = truncate(userAgent, 500)
	}
	return out
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// directTarget reports whether a widget chat aimed at to (0: nobody) is a
// direct conversation with that person, rather than a support chat.
func (h *Handler) directTarget(ctx context.Context, to int64) (bool, error) {
	if to == 0 {
		return false, nil
	}
	agents, err := h.DB.AgentList(ctx)
	return !agents.Has(to), err
}

// resume rebuilds what the browser shows after it (re)connects: the thread
// of conversation f.ConversationID from f.Seq on and the console's list. The
// widget, with no conversation id, gets its conversation from the start: the
// direct one with f.To when that person is not customer service, else its
// newest support chat; and what goes with it (pre-chat fields, a rating).
func (c *client) resume(f inFrame) live.Job {
	id, afterSeq := f.ConversationID, f.Seq
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		clear(c.followed)
		c.openID = 0
		c.resumed = true
		var conv chat.Conversation
		switch {
		case id != 0:
			conv, err = c.h.DB.ConversationFor(ctx, id, v)
		case c.widget:
			if err = c.aim(ctx, f); err == nil {
				conv, err = c.widgetConversation(ctx)
			}
		}
		switch {
		case err == nil && conv.ID != 0 && id == 0:
			c.openID = conv.ID
			err = c.replace(ctx, &buf, conv.ID)
		case err == nil && conv.ID != 0:
			c.openID = conv.ID
			c.followed[conv.ID] = afterSeq
			err = c.catchUp(ctx, &buf, conv.ID, conv.LastSeq, nil)
		}
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err := c.renderList(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := c.renderMissedNotices(ctx, &buf, v); err != nil {
			return nil, err
		}
		if c.widget {
			if err := c.renderWidgetState(ctx, &buf, conv); err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// aim records what the widget is for: its site and the person it is aimed
// at. The site is the one that vouched for a verified visitor; otherwise the
// one the widget's page was served for, which the page proves with the token
// kefu signed into it. A site id without its token is ignored, so that no
// visitor can file a chat under a site of their choosing.
func (c *client) aim(ctx context.Context, f inFrame) error {
	c.site = chat.Site{}
	siteID := c.user.SiteID
	if siteID == 0 && f.Site != 0 {
		secret, err := c.h.DB.SiteSecret(ctx, f.Site)
		if err != nil && !isNotFound(err) {
			return err
		}
		if err == nil && hmac.Equal([]byte(f.SiteToken), []byte(siteToken(f.Site, secret))) {
			siteID = f.Site
		}
	}
	if siteID != 0 {
		site, err := c.h.DB.Site(ctx, siteID)
		if err != nil && !isNotFound(err) {
			return err
		}
		c.site = site
	}
	c.to = max(f.To, 0)
	var err error
	c.direct, err = c.h.directTarget(ctx, c.to)
	return err
}

// widgetConversation returns the conversation the widget shows, if it exists yet.
func (c *client) widgetConversation(ctx context.Context) (chat.Conversation, error) {
	if c.direct {
		return c.h.DB.DirectConversation(ctx, c.user.ID, c.to)
	}
	return c.h.DB.VisitorConversation(ctx, c.user.ID)
}

// renderWidgetState writes the widget's queue status, the pre-chat fields
// for a visitor about to start a chat, and the rating form for a resolved,
// unrated chat.
func (c *client) renderWidgetState(ctx context.Context, buf *bytes.Buffer, conv chat.Conversation) error {
	view, err := c.h.loadQueueView(ctx)
	if err != nil {
		return err
	}
	w := view.waitFor(c.user.ID)
	w.Offline = c.site.OfflineMessage
	c.wait = &w
	if err := widget.WaitStatus(w).Render(ctx, buf); err != nil {
		return err
	}
	rules := widget.PrechatRules{Name: "off", Email: "off"}
	if !c.direct && (conv.ID == 0 || conv.Status == chat.Resolved) {
		rules = prechatRules(c.site, c.user, view.anyone)
	}
	if err := widget.Prechat(rules).Render(ctx, buf); err != nil {
		return err
	}
	if conv.Kind == chat.Support && conv.Status == chat.Resolved {
		unrated, err := c.h.DB.Unrated(ctx, conv.ID)
		if err != nil || !unrated {
			return err
		}
		return widget.RatingPrompt(conv.ID).Render(ctx, buf)
	}
	return nil
}

// prechatRules is what a visitor starting a support chat on site is asked:
// the site's pre-chat fields; when nobody is available (the offline form), an
// email too, so that the answer can reach them. A verified visitor's host
// site has said who they are already.
func prechatRules(site chat.Site, visitor chat.User, anyone bool) widget.PrechatRules {
	r := widget.PrechatRules{Name: "off", Email: "off"}
	if visitor.ExternalID != "" || site.ID == 0 {
		return r
	}
	r.Name, r.Email = string(site.PrechatName), string(site.PrechatEmail)
	if !anyone {
		r.Email = "required"
	}
	return r
}

// wants reports whether a message of the conversation summed up by sum
// belongs in this widget: the widget shows one conversation.
func (c *client) wants(id int64, sum *chat.Summary) bool {
	switch {
	case c.openID != 0:
		return id == c.openID
	case sum == nil:
		return true // the visitor's own message, resent
	case c.direct:
		return sum.Kind == chat.Direct && sum.PeerID == c.to
	}
	return sum.Kind == chat.Support
}

// ratingUpdate offers the rating form when the widget's chat, id, was just resolved.
func (c *client) ratingUpdate(id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if id != c.openID {
			return nil, nil
		}
		unrated, err := c.h.DB.Unrated(ctx, id)
		if err != nil || !unrated {
			return nil, err
		}
		return render(ctx, widget.RatingPrompt(id))
	}
}

// rate stores the visitor's rating of their resolved chat and thanks them.
func (c *client) rate(ctx context.Context, f inFrame) error {
	if !c.widget {
		return chat.Invalid("type", "Unknown frame type.")
	}
	if err := c.h.DB.RateConversation(ctx, c.user.ID, f.ConversationID, f.Rating, f.Comment); err != nil {
		return err
	}
	c.conn.Enqueue(frameJob(widget.Rated()))
	return nil
}

// listUpdate re-renders the console's list item for conversation id.
func (c *client) listUpdate(id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if c.widget {
			return nil, nil
		}
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		s, err := c.h.DB.Summary(ctx, id, v)
		if isNotFound(err) {
			// No longer theirs to see: they left or were removed from a group.
			delete(c.followed, id)
			return render(ctx, console.Gone(id))
		}
		if err != nil {
			return nil, err
		}
		return render(ctx, console.Updated(s, s.ID == c.openID))
	}
}

// refused tells the browser why a frame was refused, and acknowledges a
// refused send so that it is not retried.
func (c *client) refused(clientMsgID, reason string) live.Job {
	comps := []templ.Component{thread.Refused(clientMsgID, reason)}
	if clientMsgID != "" {
		comps = append(comps, thread.Ack(clientMsgID))
	}
	return frameJob(comps...)
}

func frameJob(comps ...templ.Component) live.Job {
	return func(ctx context.Context) ([]byte, error) { return render(ctx, comps...) }
}

// render writes comps into one frame; nil when they wrote nothing.
func render(ctx context.Context, comps ...templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	for _, comp := range comps {
		if err := comp.Render(ctx, &buf); err != nil {
			return nil, err
		}
	}
	return frameBytes(&buf), nil
}

// waitUpdate shows the visitor their place in the queue, when it changed.
func (c *client) waitUpdate(w widget.Wait) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		w.Offline = c.site.OfflineMessage
		if c.wait != nil && *c.wait == w {
			return nil, nil
		}
		c.wait = &w
		return render(ctx, widget.WaitStatus(w))
	}
}

func frameBytes(buf *bytes.Buffer) []byte {
	if buf.Len() == 0 {
		return nil
	}
	return buf.Bytes()
}

// resync catches the browser up after the bus may have missed events: every
// thread it shows, a newer conversation of a widget visitor, and the console's list.
func (c *client) resync() live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		ids := make([]int64, 0, len(c.followed)+1)
		for id := range c.followed {
			ids = append(ids, id)
		}
		if c.widget && c.resumed {
			conv, err := c.widgetConversation(ctx)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			if _, ok := c.followed[conv.ID]; err == nil && !ok {
				ids = append(ids, conv.ID)
			}
		}
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			conv, err := c.h.DB.ConversationFor(ctx, id, v)
			if isNotFound(err) {
				delete(c.followed, id) // no longer theirs to see
				continue
			}
			if err != nil {
				return nil, err
			}
			if err := c.catchUp(ctx, &buf, id, conv.LastSeq, nil); err != nil {
				return nil, err
			}
		}
		if err := c.renderList(ctx, &buf, v); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
}

// renderList writes the console's whole conversation list, as v sees it.
func (c *client) renderList(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if c.widget {
		return nil
	}
	list, err := c.h.DB.Summaries(ctx, v, listLimit)
	if err != nil {
		return err
	}
	return console.List(list, c.openID).Render(ctx, buf)
}

// noticeWindow is how far back a (re)connecting console looks for
// assignment notices it may have missed, such as one made while its page
// reloaded after the agent set themselves available.
const noticeWindow = 15 * time.Second

// renderMissedNotices writes the notices for chats newly assigned to an agent and not yet answered.
func (c *client) renderMissedNotices(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if c.widget || !v.IsAgent {
		return nil
	}
	ids, err := c.h.DB.NewlyAssigned(ctx, c.user.ID, c.h.now().Add(-noticeWindow))
	if err != nil {
		return err
	}
	for _, id := range ids {
		s, err := c.h.DB.SummaryOf(ctx, id)
		if err != nil {
			return err
		}
		if err := console.Assigned(id, s.Title).Render(ctx, buf); err != nil {
			return err
		}
	}
	return nil
}
