package handlers

// The admin's page for the host API: keys created and revoked, webhooks
// added, their secrets rotated, enabled, disabled and deleted, and each
// webhook's newest deliveries.

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/admin"
)

// Flash keys: a key just created waits here until the next page shows it, once.
const (
	sessionNewAPIKey     = "admin_new_api_key"
	sessionNewAPIKeyName = "admin_new_api_key_name"
)

const (
	// apiKeyPrefix starts every key, so that one pasted in the wrong place is recognisable.
	apiKeyPrefix = "kefu_"
	// apiKeyShown is how much of a key the admin page shows to tell keys apart.
	apiKeyShown = len(apiKeyPrefix) + 6
	// webhookSecretPrefix starts every webhook secret.
	webhookSecretPrefix = "whsec_"
	// deliveriesShown is how many of each webhook's newest deliveries the page lists.
	deliveriesShown = 10
)

// adminAPIShow lists the keys and the webhooks.
func (h *Handler) adminAPIShow(w http.ResponseWriter, r *http.Request) {
	h.renderAPI(w, r, http.StatusOK, admin.APIKeyForm{}, admin.WebhookForm{})
}

// renderAPI renders the API page; keyForm and hookForm are the forms as sent.
func (h *Handler) renderAPI(w http.ResponseWriter, r *http.Request, status int, keyForm admin.APIKeyForm, hookForm admin.WebhookForm) {
	ctx := r.Context()
	keys, err := h.DB.APIKeys(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sites, err := h.DB.KeySites(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	members, err := h.DB.Members(ctx, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hooks, err := h.DB.Webhooks(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	deliveries, err := h.DB.RecentDeliveries(ctx, deliveriesShown)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.APIProps{
		Frame:      h.adminFrame(r),
		KeyForm:    keyForm,
		HookForm:   hookForm,
		Events:     store.WebhookEvents,
		NewKey:     h.Sessions.PopString(ctx, sessionNewAPIKey),
		NewKeyName: h.Sessions.PopString(ctx, sessionNewAPIKeyName),
	}
	for _, k := range keys {
		p.Keys = append(p.Keys, admin.APIKeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Site: k.SiteName, Member: k.UserName,
			CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt})
	}
	for _, s := range sites {
		p.Sites = append(p.Sites, admin.APIChoice{ID: s.ID, Label: s.Name})
	}
	for _, m := range members {
		if !m.Disabled() {
			p.Members = append(p.Members, admin.APIChoice{ID: m.ID, Label: m.DisplayName()})
		}
	}
	for _, hk := range hooks {
		row := admin.WebhookRow{ID: hk.ID, URL: hk.URL, Events: hk.Events, Secret: hk.Secret, Enabled: hk.Enabled, CreatedAt: hk.CreatedAt}
		for _, d := range deliveries[hk.ID] {
			row.Deliveries = append(row.Deliveries, admin.DeliveryRow{ID: d.DeliveryID, Event: d.Event, Status: d.Status,
				Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt, NextAttemptAt: d.NextAttemptAt})
		}
		p.Webhooks = append(p.Webhooks, row)
	}
	h.render(w, r, status, admin.APIPage(p))
}

// adminAPIKeyCreate creates a key and shows it once, on the next page.
func (h *Handler) adminAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := admin.APIKeyForm{Name: strings.TrimSpace(r.PostFormValue("name"))}
	refuse := func(err error) {
		status, _, msg := publicError(i18n.From(ctx), err)
		if status == http.StatusInternalServerError {
			h.fail(w, r, err)
			return
		}
		form.Error = msg
		h.renderAPI(w, r, status, form, admin.WebhookForm{})
	}
	var err error
	if form.SiteID, err = optionalFormID(r, "site"); err != nil {
		refuse(err)
		return
	}
	if form.MemberID, err = optionalFormID(r, "member"); err != nil {
		refuse(err)
		return
	}
	key := apiKeyPrefix + auth.NewToken()
	k, err := h.DB.CreateAPIKey(ctx, accountFrom(ctx).ID, store.NewAPIKey{Name: form.Name, Prefix: key[:apiKeyShown],
		Hash: auth.TokenHash(key), SiteID: form.SiteID, UserID: form.MemberID})
	if err != nil {
		refuse(err)
		return
	}
	h.Sessions.Put(ctx, sessionNewAPIKey, key)
	h.Sessions.Put(ctx, sessionNewAPIKeyName, k.Name)
	h.adminDone(w, r, i18n.T(ctx, "admin.api.keyCreated", "Name", k.Name), "/admin/api")
}

// adminAPIKeyRevoke stops a key from working, at once.
func (h *Handler) adminAPIKeyRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.confirmed(w, r, admin.SectionAPI, "/admin/api", func() (admin.Ask, error) {
		keys, err := h.DB.APIKeys(ctx)
		if err != nil {
			return admin.Ask{}, err
		}
		for _, k := range keys {
			if k.ID == id {
				return admin.AskRevokeKey(ctx, k.Name), nil
			}
		}
		return admin.Ask{}, chat.ErrNotFound
	}) {
		return
	}
	if err := h.DB.RevokeAPIKey(ctx, accountFrom(ctx).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.api.keyRevoked"), "/admin/api")
}

// adminWebhookCreate adds an enabled webhook with a secret kefu generates.
func (h *Handler) adminWebhookCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	form := admin.WebhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Events: r.PostForm["event"]}
	_, err := h.DB.CreateWebhook(ctx, accountFrom(ctx).ID, store.NewWebhook{URL: form.URL, Events: form.Events,
		Secret: webhookSecretPrefix + auth.NewToken()})
	if err != nil {
		var ve *chat.ValidationError
		if !errors.As(err, &ve) {
			h.fail(w, r, err)
			return
		}
		form.Error = reason(i18n.From(ctx), ve)
		h.renderAPI(w, r, http.StatusBadRequest, admin.APIKeyForm{}, form)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.api.hookAdded"), "/admin/api")
}

// adminWebhookSecretUpdate gives a webhook a new secret; receivers must switch to it.
func (h *Handler) adminWebhookSecretUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h.webhookChange(w, r, i18n.T(ctx, "admin.api.hookRotated"), admin.AskRotateWebhookSecret,
		func(actorID, id int64) error {
			return h.DB.RotateWebhookSecret(ctx, actorID, id, webhookSecretPrefix+auth.NewToken())
		})
}

// adminWebhookEnable resumes a webhook's deliveries, those that waited included.
func (h *Handler) adminWebhookEnable(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h.webhookChange(w, r, i18n.T(ctx, "admin.api.hookEnabled"), nil, func(actorID, id int64) error {
		return h.DB.SetWebhookEnabled(ctx, actorID, id, true)
	})
}

// adminWebhookDisable pauses a webhook: no new events; pending deliveries wait.
func (h *Handler) adminWebhookDisable(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h.webhookChange(w, r, i18n.T(ctx, "admin.api.hookDisabled"), nil, func(actorID, id int64) error {
		return h.DB.SetWebhookEnabled(ctx, actorID, id, false)
	})
}

// adminWebhookRemove deletes a webhook with its deliveries.
func (h *Handler) adminWebhookRemove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h.webhookChange(w, r, i18n.T(ctx, "admin.api.hookDeleted"), admin.AskDeleteWebhook, func(actorID, id int64) error {
		return h.DB.DeleteWebhook(ctx, actorID, id)
	})
}

// webhookChange applies change to webhook {id}, then back to the page with
// notice. With ask, the change is confirmed first, the webhook named by its URL.
func (h *Handler) webhookChange(w http.ResponseWriter, r *http.Request, notice string,
	ask func(ctx context.Context, url string) admin.Ask, change func(actorID, id int64) error) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ask != nil && !h.confirmed(w, r, admin.SectionAPI, "/admin/api", func() (admin.Ask, error) {
		hooks, err := h.DB.Webhooks(ctx)
		if err != nil {
			return admin.Ask{}, err
		}
		for _, hk := range hooks {
			if hk.ID == id {
				return ask(ctx, hk.URL), nil
			}
		}
		return admin.Ask{}, chat.ErrNotFound
	}) {
		return
	}
	if err := change(accountFrom(ctx).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, notice, "/admin/api")
}
