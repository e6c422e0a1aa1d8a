-- The host API's keys, and webhooks with their durable outbox.

-- A key is shown once, when it is created; only its SHA-256 is kept, with a
-- short prefix that tells keys apart on the admin page.
CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL,
    -- The site whose users the key manages (NULL: users of no site).
    site_id      bigint REFERENCES sites (id),
    -- A member's key acts only as this member (NULL: a host key).
    user_id      bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Updated at most once a minute, so that a busy key costs no write per request.
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (key_hash);

CREATE TABLE webhooks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url        text NOT NULL CHECK (url ~ '^https?://'),
    events     text[] NOT NULL,
    -- The HMAC-SHA256 key every delivery is signed with; receivers hold a copy.
    secret     text NOT NULL,
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The outbox: one row per event and subscribed webhook, inserted in the
-- transaction that made the change, so a committed change is delivered at
-- least once and a rolled-back one never. A worker leases due rows
-- (locked_until) and commits before it calls out, so no row lock is held
-- during the HTTP request; a worker that dies mid-call leaves a lease that
-- simply expires.
CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Kefu-Webhook-Id: the same on every attempt, so receivers can drop repeats.
    delivery_id     uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           text NOT NULL,
    -- Kept as sent (json, not jsonb), so every attempt carries the same bytes.
    payload         json NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_status     int,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (finished_at) WHERE status <> 'pending';
