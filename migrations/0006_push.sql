-- Web push: the browsers that receive a member's notifications, and the
-- outbox that push workers send them from.

-- One row per browser (a PushSubscription). The endpoint is the push
-- service's URL for that browser; p256dh and auth are its keys (base64url),
-- which every notification is encrypted with. The VAPID keys that sign
-- requests to push services are the settings key "vapid".
CREATE TABLE push_subscriptions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    endpoint     text NOT NULL UNIQUE,
    p256dh       text NOT NULL,
    auth         text NOT NULL,
    -- What the member sees in their list of devices: "Chrome on Linux".
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_sent_at timestamptz
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

-- The outbox: a row per subscription and conversation that has something to
-- say, inserted in the transaction of the change it reports. While a row is
-- pending, a newer change in the same conversation updates it, so a device
-- holds one notification per conversation, kept up to date. A worker leases
-- due rows (locked_until) and commits before it calls the push service; at
-- that moment it checks whether the notification is still needed (the
-- recipient may have read the message or opened the console meanwhile).
CREATE TABLE push_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    user_id         bigint NOT NULL REFERENCES users (id),
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('assigned', 'message', 'queued')),
    -- The message the notification is about (0: none): read up to it, no push.
    seq             bigint NOT NULL DEFAULT 0,
    -- What the service worker shows: title, body, url, tag.
    payload         jsonb NOT NULL,
    urgency         text NOT NULL CHECK (urgency IN ('very-low', 'low', 'normal', 'high')),
    -- The quiet period: nothing is sent before it, so that a message read at
    -- once produces no notification.
    not_before      timestamptz NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_until    timestamptz,
    -- Bumped by every update of a pending row: an attempt that was under way
    -- meanwhile sent older content and does not finish the row.
    revision        int NOT NULL DEFAULT 0,
    sent_at         timestamptz,
    cancelled_at    timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX push_outbox_pending_key ON push_outbox (subscription_id, conversation_id)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX push_outbox_due_idx ON push_outbox (next_attempt_at, id) WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX push_outbox_finished_idx ON push_outbox (coalesce(sent_at, cancelled_at))
    WHERE sent_at IS NOT NULL OR cancelled_at IS NOT NULL;

-- An agent may also be told when a chat joins the queue.
ALTER TABLE agents ADD COLUMN push_queue boolean NOT NULL DEFAULT false;

-- A muted conversation sends its member no notifications.
ALTER TABLE conversation_members ADD COLUMN muted boolean NOT NULL DEFAULT false;

-- A console socket that closed still counts for routing until its grace
-- period ends, but its agent is no longer looking at the console: they get
-- notifications again at once.
ALTER TABLE agent_presence ADD COLUMN closed_at timestamptz;
