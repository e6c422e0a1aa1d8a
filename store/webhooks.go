package store

// Webhooks and their outbox. An event is enqueued in the transaction that
// makes the change it reports, one delivery per subscribed webhook, so it
// goes out at least once if the change commits and never if it rolls back.
// Workers on every instance lease due deliveries and send them.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
)

// Webhook events.
const (
	EventMessageCreated       = "message.created"
	EventConversationQueued   = "conversation.queued"
	EventConversationAssigned = "conversation.assigned"
	EventConversationResolved = "conversation.resolved"
	EventMessageRevoked       = "message.revoked"
)

// WebhookEvents lists every event a webhook can subscribe to.
var WebhookEvents = []string{EventMessageCreated, EventConversationQueued, EventConversationAssigned, EventConversationResolved,
	EventMessageRevoked}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Webhook is an endpoint that receives events.
type Webhook struct {
	ID        int64
	URL       string
	Events    []string
	Secret    string
	Enabled   bool
	CreatedAt time.Time
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID int64
	// DeliveryID is sent as Kefu-Webhook-Id, the same on every attempt.
	DeliveryID    string
	WebhookID     int64
	Event         string
	Payload       json.RawMessage
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	// LastStatus is the HTTP status of the last attempt (0: no answer).
	LastStatus int
	LastError  string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

// DueDelivery is a delivery leased to a worker, with where and how to send it.
type DueDelivery struct {
	Delivery
	URL    string
	Secret string
}

// messageCreated is message.created's data.
type messageCreated struct {
	ConversationID int64            `json:"conversation_id"`
	MessageID      int64            `json:"message_id"`
	Seq            int64            `json:"seq"`
	SenderID       *int64           `json:"sender_id"` // null: a system line
	ClientMsgID    string           `json:"client_msg_id,omitempty"`
	Type           chat.MessageType `json:"type"`
	Body           string           `json:"body"`
	// Attachment is an image's or a file's (type image or file).
	Attachment *chat.HostAttachment `json:"attachment,omitempty"`
	// Forwarded is a merged message's messages, as they were.
	Forwarded []chat.Forwarded `json:"forwarded,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	// Code and Args are a system line's, such as a group's role events
	// (admin_appointed, silenced, handed_over, …): Body is its words.
	Code chat.SystemCode `json:"code,omitempty"`
	Args []string        `json:"args,omitempty"`
	// Mentions are the group members a text names with @; MentionAll,
	// whether it said @all.
	Mentions   []chat.Mention `json:"mentions,omitempty"`
	MentionAll bool           `json:"mention_all,omitempty"`
}

// conversationChange is the data of the conversation.* events.
type conversationChange struct {
	ConversationID int64 `json:"conversation_id"`
	VisitorID      int64 `json:"visitor_id,omitempty"`
	// AgentID: who has the chat now (assigned), or who resolved it.
	AgentID int64 `json:"agent_id,omitempty"`
	// PreviousAgentID: who had a chat handed back to the queue.
	PreviousAgentID int64 `json:"previous_agent_id,omitempty"`
	// Reason says why a chat joined the queue: new, reopened, no_answer or offline.
	Reason string `json:"reason,omitempty"`
}

// enqueueEvent adds a delivery of event with payload for every enabled
// webhook subscribed to it, in q's transaction.
func enqueueEvent(ctx context.Context, q querier, event string, payload any) error {
	s, err := eventDeliveries(event, payload)
	if err != nil {
		return err
	}
	return s.exec(ctx, q)
}

// eventDeliveries is the statement that adds a delivery of event with
// payload for every enabled webhook subscribed to it. Whether there is one
// is decided inside it: with none, it inserts nothing.
func eventDeliveries(event string, payload any) (statement, error) {
	return eventsDeliveries([]webhookEvent{{event, payload}})
}

// webhookEvent is an event for webhooks: its name and its data.
type webhookEvent struct {
	event string
	data  any
}

// eventsDeliveries is eventDeliveries for many events in one statement:
// a delivery of each, in order, for every enabled webhook subscribed to it.
func eventsDeliveries(evs []webhookEvent) (statement, error) {
	names := make([]string, len(evs))
	payloads := make([]string, len(evs))
	for i, e := range evs {
		data, err := json.Marshal(e.data)
		if err != nil {
			return statement{}, fmt.Errorf("webhook payload of %s: %w", e.event, err)
		}
		names[i], payloads[i] = e.event, string(data)
	}
	if len(evs) == 1 {
		// PostgreSQL plans the statement with arrays anew on every run, as
		// their length changes its costs; this one keeps its plan.
		return statement{sql: `INSERT INTO webhook_deliveries (webhook_id, event, payload)
			SELECT w.id, $1, $2::json FROM webhooks w WHERE w.enabled AND $1 = ANY (w.events) ORDER BY w.id`,
			args: []any{names[0], payloads[0]}}, nil
	}
	return statement{sql: `INSERT INTO webhook_deliveries (webhook_id, event, payload)
		SELECT w.id, e.event, e.payload::json FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS e (event, payload, n)
		JOIN webhooks w ON w.enabled AND e.event = ANY (w.events) ORDER BY e.n, w.id`, args: []any{names, payloads}}, nil
}

// messageCreatedDeliveries is the statement enqueuing message.created for
// m; agents' private notes are never sent out.
func messageCreatedDeliveries(m chat.Message) (statement, error) {
	if m.Type == chat.Note {
		return statement{}, nil
	}
	return eventDeliveries(EventMessageCreated, messageCreatedOf(m))
}

// messageCreatedOf is message.created's payload for m.
func messageCreatedOf(m chat.Message) messageCreated {
	e := messageCreated{ConversationID: m.ConversationID, MessageID: m.ID, Seq: m.Seq, ClientMsgID: m.ClientMsgID,
		Type: m.Type, Body: m.Text(), Attachment: m.Attachment.ForHost(), Forwarded: m.Forwarded, CreatedAt: m.CreatedAt,
		Code: m.Code, Mentions: m.Mentions, MentionAll: m.MentionAll}
	if m.Code != "" {
		e.Args = m.Args
	}
	if m.SenderID != 0 {
		e.SenderID = &m.SenderID
	}
	return e
}

func webhookSubject(id int64) string { return "webhook " + strconv.FormatInt(id, 10) }

// NewWebhook is what CreateWebhook stores.
type NewWebhook struct {
	URL    string
	Events []string
	// Secret is generated by kefu; receivers verify signatures with it.
	Secret string
}

// ValidateWebhook checks an endpoint and its events, and returns them
// normalised: the URL trimmed, the events in WebhookEvents' order, once each.
func ValidateWebhook(rawURL string, events []string) (string, []string, error) {
	rawURL = strings.TrimSpace(rawURL)
	u, err := url.Parse(rawURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2000:
		return "", nil, chat.Invalid("url", "error.webhook.url")
	case u.User != nil:
		return "", nil, chat.Invalid("url", "error.webhook.credentials")
	}
	var picked []string
	for _, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			return "", nil, chat.Invalid("events", "error.webhook.event", "Event", strconv.Quote(e))
		}
	}
	for _, e := range WebhookEvents {
		if slices.Contains(events, e) {
			picked = append(picked, e)
		}
	}
	if len(picked) == 0 {
		return "", nil, chat.Invalid("events", "error.webhook.noEvents")
	}
	return rawURL, picked, nil
}

// webhookAudit is what the audit log keeps of a webhook: never its secret.
func webhookAudit(w Webhook) map[string]any {
	return map[string]any{"url": w.URL, "events": w.Events, "enabled": w.Enabled}
}

const webhookColumns = "id, url, events, secret, enabled, created_at"

func scanWebhook(row pgx.Row) (Webhook, error) {
	var w Webhook
	err := row.Scan(&w.ID, &w.URL, &w.Events, &w.Secret, &w.Enabled, &w.CreatedAt)
	return w, err
}

// CreateWebhook adds an enabled webhook, recording actorID (0: none) in the audit log.
func (db *DB) CreateWebhook(ctx context.Context, actorID int64, n NewWebhook) (Webhook, error) {
	var w Webhook
	u, events, err := ValidateWebhook(n.URL, n.Events)
	if err != nil {
		return w, err
	}
	if n.Secret == "" {
		return w, fmt.Errorf("store: create webhook: empty secret")
	}
	err = db.inTx(ctx, func(tx *txn) error {
		var err error
		if w, err = scanWebhook(tx.QueryRow(ctx, `INSERT INTO webhooks (url, events, secret) VALUES ($1, $2, $3)
			RETURNING `+webhookColumns, u, events, n.Secret)); err != nil {
			return err
		}
		if err := audit(ctx, tx, actorRef(actorID), "webhook.create", webhookSubject(w.ID), nil, webhookAudit(w)); err != nil {
			return err
		}
		return hooksChanged(ctx, tx)
	})
	if err != nil {
		return w, fmt.Errorf("store: create webhook: %w", mapErr(err))
	}
	return w, nil
}

// hooksChanged tells every instance that the webhooks changed: they keep
// whether any listens for new messages with their settings
// (chat.Settings.MessageHooks), and the change counts in settings_version.
func hooksChanged(ctx context.Context, tx *txn) error {
	return notify(ctx, tx, chat.Event{Type: chat.EventSettings})
}

// Webhooks returns every webhook, oldest first.
func (db *DB) Webhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+webhookColumns+" FROM webhooks ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	hooks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Webhook, error) { return scanWebhook(r) })
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	return hooks, nil
}

// changeWebhook runs change on webhook id, locked, and audits it as action
// with the webhook as it was and as change left it.
func (db *DB) changeWebhook(ctx context.Context, actorID, id int64, action string, change func(tx *txn, w *Webhook) error) error {
	err := db.inTx(ctx, func(tx *txn) error {
		w, err := scanWebhook(tx.QueryRow(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = $1 FOR UPDATE", id))
		if err != nil {
			return err
		}
		old := webhookAudit(w)
		if err := change(tx, &w); err != nil {
			return err
		}
		var next map[string]any
		if action != "webhook.delete" {
			next = webhookAudit(w)
		}
		if err := audit(ctx, tx, actorRef(actorID), action, webhookSubject(id), old, next); err != nil {
			return err
		}
		return hooksChanged(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("store: %s (webhook %d): %w", action, id, mapErr(err))
	}
	return nil
}

// RotateWebhookSecret gives webhook id a new secret; every attempt from now
// on, retries included, is signed with it.
func (db *DB) RotateWebhookSecret(ctx context.Context, actorID, id int64, secret string) error {
	if secret == "" {
		return fmt.Errorf("store: rotate secret of webhook %d: empty secret", id)
	}
	return db.changeWebhook(ctx, actorID, id, "webhook.rotate_secret", func(tx *txn, w *Webhook) error {
		_, err := tx.Exec(ctx, "UPDATE webhooks SET secret = $2 WHERE id = $1", id, secret)
		return err
	})
}

// SetWebhookEnabled turns webhook id on or off. A disabled webhook gets no
// new deliveries, and its pending ones wait until it is enabled again.
func (db *DB) SetWebhookEnabled(ctx context.Context, actorID, id int64, enabled bool) error {
	action := "webhook.disable"
	if enabled {
		action = "webhook.enable"
	}
	return db.changeWebhook(ctx, actorID, id, action, func(tx *txn, w *Webhook) error {
		w.Enabled = enabled
		_, err := tx.Exec(ctx, "UPDATE webhooks SET enabled = $2 WHERE id = $1", id, enabled)
		return err
	})
}

// DeleteWebhook removes webhook id and its deliveries, sent or not.
func (db *DB) DeleteWebhook(ctx context.Context, actorID, id int64) error {
	return db.changeWebhook(ctx, actorID, id, "webhook.delete", func(tx *txn, w *Webhook) error {
		_, err := tx.Exec(ctx, "DELETE FROM webhooks WHERE id = $1", id)
		return err
	})
}

const deliveryColumns = `d.id, d.delivery_id::text, d.webhook_id, d.event, d.payload, d.status, d.attempts, d.next_attempt_at,
	coalesce(d.last_status, 0), d.last_error, d.created_at, d.finished_at`

func deliveryFields(d *Delivery) []any {
	return []any{&d.ID, &d.DeliveryID, &d.WebhookID, &d.Event, &d.Payload, &d.Status, &d.Attempts, &d.NextAttemptAt,
		&d.LastStatus, &d.LastError, &d.CreatedAt, &d.FinishedAt}
}

// RecentDeliveries returns each webhook's newest deliveries, at most
// perWebhook of each, newest first, by webhook id.
func (db *DB) RecentDeliveries(ctx context.Context, perWebhook int) (map[int64][]Delivery, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+deliveryColumns+` FROM webhooks w
		CROSS JOIN LATERAL (SELECT * FROM webhook_deliveries x WHERE x.webhook_id = w.id ORDER BY x.id DESC LIMIT $1) d
		ORDER BY d.webhook_id, d.id DESC`, perWebhook)
	if err != nil {
		return nil, fmt.Errorf("store: recent webhook deliveries: %w", err)
	}
	out := map[int64][]Delivery{}
	var d Delivery
	if _, err := pgx.ForEachRow(rows, deliveryFields(&d), func() error {
		out[d.WebhookID] = append(out[d.WebhookID], d)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: recent webhook deliveries: %w", err)
	}
	return out, nil
}

// ClaimDeliveries leases up to limit due deliveries of enabled webhooks
// until now+lease and counts the attempt, in one statement that commits
// before anything is sent: no row lock is held while a receiver answers.
// Workers skip rows another is claiming; a worker that dies mid-attempt
// leaves a lease that expires, and the delivery is claimed again.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueDelivery, error) {
	rows, err := db.pool.Query(ctx, `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, locked_until = $2
		FROM webhooks w
		WHERE w.id = d.webhook_id AND d.id IN (
			SELECT x.id FROM webhook_deliveries x JOIN webhooks xw ON xw.id = x.webhook_id AND xw.enabled
			WHERE x.status = 'pending' AND x.next_attempt_at <= $1 AND (x.locked_until IS NULL OR x.locked_until <= $1)
			ORDER BY x.next_attempt_at, x.id LIMIT $3
			FOR UPDATE OF x SKIP LOCKED)
		RETURNING `+deliveryColumns+", w.url, w.secret", now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DueDelivery, error) {
		var d DueDelivery
		return d, r.Scan(append(deliveryFields(&d.Delivery), &d.URL, &d.Secret)...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
	}
	slices.SortFunc(due, func(a, b DueDelivery) int { return cmp.Compare(a.ID, b.ID) })
	return due, nil
}

// FinishDelivery records the outcome of attempt number attempt at delivery
// id. A failure changes nothing when that attempt's lease was lost to a
// newer attempt; a success is recorded whatever attempt made it.
func (db *DB) FinishDelivery(ctx context.Context, id int64, attempt int, o outbox.Outcome) error {
	if _, err := db.pool.Exec(ctx, `UPDATE webhook_deliveries SET locked_until = NULL, last_status = nullif($3, 0), last_error = $4,
		status = CASE WHEN $5 THEN 'delivered' WHEN $6 THEN 'failed' ELSE 'pending' END,
		next_attempt_at = CASE WHEN $5 OR $6 THEN next_attempt_at ELSE $7 END,
		finished_at = CASE WHEN $5 OR $6 THEN $8::timestamptz END
		WHERE id = $1 AND status = 'pending' AND ($5 OR attempts = $2)`,
		id, attempt, o.Status, clipError(o.Error), o.Done, o.GiveUp, o.RetryAt, o.At); err != nil {
		return fmt.Errorf("store: webhook delivery %d attempt %d: %w", id, attempt, err)
	}
	return nil
}

// PurgeDeliveries deletes delivered and failed deliveries finished before before.
func (db *DB) PurgeDeliveries(ctx context.Context, before time.Time) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < $1", before); err != nil {
		return fmt.Errorf("store: purge webhook deliveries: %w", err)
	}
	return nil
}
