package handlers

// Web push in the console: the service worker, each device's subscription,
// and what an agent wants to be told.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/egress"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/static"
	"github.com/kefu-im/kefu/views/console"
)

// serviceWorker serves sw.js at the root, so that its scope is the whole site.
// It is never cached long: a new version must reach browsers.
func (h *Handler) serviceWorker(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	static.ServeFile(w, r, "sw.js")
}

// notificationsShow lists this member's devices with notifications, and the
// button that enables them on this one.
func (h *Handler) notificationsShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	nav, err := h.nav(r, "notifications")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	subs, err := h.DB.PushSubscriptions(ctx, acct.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	keys, err := push.EnsureKeys(ctx, h.DB)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := console.NotificationsProps{Nav: nav, PublicKey: keys.Public, Notice: h.Sessions.PopString(ctx, sessionFriendsNotice)}
	for _, s := range subs {
		p.Devices = append(p.Devices, console.Device{ID: s.ID, Label: s.Label, Added: s.CreatedAt, LastSent: s.LastSentAt})
	}
	if p.Mail = h.Mail.On; p.Mail {
		off, err := h.DB.Unsubscribed(ctx, acct.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.Digest = !off
	}
	if acct.Agent {
		if p.Queue, err = h.DB.PushQueue(ctx, acct.ID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, console.Notifications(p))
}

// pushSubscriptionCreate stores this device's subscription, as the browser's
// PushSubscription.toJSON() gives it, with a label for the device.
func (h *Handler) pushSubscriptionCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Endpoint string `json:"endpoint"`
		Keys     struct {
			P256dh string `json:"p256dh"`
			Auth   string `json:"auth"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<10)).Decode(&in); err != nil {
		h.fail(w, r, chat.Invalid("subscription", "error.push.subscription"))
		return
	}
	if err := h.publicEndpoint(in.Endpoint); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := h.DB.SavePushSubscription(r.Context(), accountFrom(r.Context()).ID, in.Endpoint, in.Keys.P256dh, in.Keys.Auth,
		deviceLabel(r.Context(), r.UserAgent()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

// deviceLabel names a device from its browser's user agent, in the
// member's language when they add it: "Chrome on Linux".
func deviceLabel(ctx context.Context, ua string) string {
	browser, system := i18n.T(ctx, "console.device.browser"), i18n.T(ctx, "console.device.system")
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, s := range []struct{ token, name string }{{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	return i18n.T(ctx, "console.device", "Browser", browser, "System", system)
}

// pushSubscriptionRevoke forgets one of the member's devices.
func (h *Handler) pushSubscriptionRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.DeletePushSubscription(r.Context(), accountFrom(r.Context()).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.Sessions.Put(r.Context(), sessionFriendsNotice, i18n.T(r.Context(), "console.notifications.revoked"))
	h.done(w, r, "/console/notifications", map[string]any{"revoked": id})
}

// pushQueueUpdate sets whether an agent is also told when a chat joins the queue.
func (h *Handler) pushQueueUpdate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	if !acct.Agent {
		h.fail(w, r, chat.ErrNotAllowed)
		return
	}
	on := r.PostFormValue("queue") == "1"
	if err := h.DB.SetPushQueue(r.Context(), acct.ID, on); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console/notifications", map[string]any{"queue": on})
}

// conversationMute mutes (mute=1) or unmutes conversation {id} for the member:
// a muted conversation sends them no notification.
func (h *Handler) conversationMute(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.DB.ConversationFor(ctx, id, acct.viewer())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	muted := r.PostFormValue("mute") == "1"
	if err := h.DB.SetMuted(ctx, acct.ID, c.ID, muted); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console/c/"+itoa(c.ID), map[string]any{"muted": muted})
}

// publicEndpoint refuses a push endpoint on a loopback, private, link-local
// or other non-public address, so that nobody can make kefu post to its own
// network. Push services are public, and the push worker connects to
// nothing else (egress), so such a subscription could never be used. A name
// is checked again, as the address it resolves to, when the worker connects.
func (h *Handler) publicEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return chat.Invalid("endpoint", "error.push.endpointURL")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return errPrivateEndpoint
	}
	if ip, err := netip.ParseAddr(host); err == nil && !egress.Public(ip) {
		return errPrivateEndpoint
	}
	return nil
}

var errPrivateEndpoint = chat.Invalid("endpoint", "error.push.endpointPrivate")
