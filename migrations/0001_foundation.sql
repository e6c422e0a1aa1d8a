-- Everyone who can hold a conversation: members (who sign in with a password)
-- and visitors (who hold a random token kept in the widget's storage).
CREATE TABLE users (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('member', 'visitor')),
    email              text,
    name               text NOT NULL DEFAULT '',
    avatar_url         text NOT NULL DEFAULT '',
    password_hash      text,
    visitor_token_hash bytea,
    is_admin           boolean NOT NULL DEFAULT false,
    disabled_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'member' OR email IS NOT NULL),
    CHECK (kind <> 'visitor' OR visitor_token_hash IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_visitor_token_key ON users (visitor_token_hash) WHERE visitor_token_hash IS NOT NULL;

-- Settings in uni-im's shape (customer_service_uids, conversation_grade, …), one JSON value per key.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id   bigint REFERENCES users (id),
    action     text NOT NULL,
    subject    text NOT NULL,
    old_value  jsonb,
    new_value  jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('direct', 'group', 'support')),
    title             text NOT NULL DEFAULT '',
    visitor_id        bigint REFERENCES users (id),
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'assigned', 'resolved')),
    last_seq          bigint NOT NULL DEFAULT 0,
    last_message_at   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'support' OR visitor_id IS NOT NULL)
);
-- A visitor has at most one open support conversation; concurrent first messages meet here.
CREATE UNIQUE INDEX conversations_open_support_key ON conversations (visitor_id)
    WHERE kind = 'support' AND status <> 'resolved';
CREATE INDEX conversations_activity_idx ON conversations (last_message_at DESC NULLS LAST, id DESC);

-- Per-user state in a conversation. Agents get a row the first time they read a support conversation.
CREATE TABLE conversation_members (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         bigint NOT NULL REFERENCES users (id),
    last_read_seq   bigint NOT NULL DEFAULT 0,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    sender_id       bigint REFERENCES users (id),
    client_msg_id   text,
    type            text NOT NULL DEFAULT 'text' CHECK (type IN ('text', 'system')),
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    UNIQUE (conversation_id, seq)
);
-- A resent frame (same sender, same client id) finds the stored message instead of making a second one.
CREATE UNIQUE INDEX messages_client_msg_key ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

-- Failed sign-ins, counted per account and per address over a sliding window.
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    address    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (lower(email), created_at);
CREATE INDEX login_failures_address_idx ON login_failures (address, created_at);

-- scs/pgxstore's table.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
