-- Sites that embed the widget, and who their visitors are.

CREATE TABLE sites (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL,
    -- Origins allowed to frame the widget ("https://shop.example.com"); empty: none yet.
    origins         text[] NOT NULL DEFAULT '{}',
    greeting        text NOT NULL DEFAULT '',
    colour          text NOT NULL DEFAULT '#2563eb' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    -- Pre-chat fields: off, optional or required.
    prechat_name    text NOT NULL DEFAULT 'off' CHECK (prechat_name IN ('off', 'optional', 'required')),
    prechat_email   text NOT NULL DEFAULT 'off' CHECK (prechat_email IN ('off', 'optional', 'required')),
    -- Shown instead of the queue when no agent is available; the visitor may leave a message.
    offline_message text NOT NULL DEFAULT '',
    -- HS256 key for the host site's identity tokens; rotating it refuses every older token.
    identity_secret text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A visitor is anonymous (a random token kept in the widget's storage) or
-- verified: a host site vouched for them with a signed token, whose sub is
-- their id there (external_id). Host API users are verified visitors too.
ALTER TABLE users
    ADD COLUMN site_id     bigint REFERENCES sites (id),
    ADD COLUMN external_id text,
    ADD COLUMN avatar      text NOT NULL DEFAULT '';
ALTER TABLE users DROP CONSTRAINT users_check1;
ALTER TABLE users ADD CONSTRAINT users_visitor_identity_check
    CHECK (kind <> 'visitor' OR visitor_token_hash IS NOT NULL OR external_id IS NOT NULL);
CREATE UNIQUE INDEX users_external_key ON users (coalesce(site_id, 0), external_id) WHERE external_id IS NOT NULL;
-- An email signs a member in, so it is unique among members; visitors' emails
-- are what host sites or the visitors themselves said, and may repeat.
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE kind = 'member' AND email IS NOT NULL;

-- A verified visitor's widget sessions: a random token per identification,
-- valid until the identity token it was exchanged for expires.
CREATE TABLE visitor_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    expires_at timestamptz NOT NULL
);
CREATE INDEX visitor_tokens_expiry_idx ON visitor_tokens (expires_at);

-- Where a support chat came from, what the visitor's browser said of itself,
-- and how the visitor rated it once resolved.
ALTER TABLE conversations
    ADD COLUMN site_id        bigint REFERENCES sites (id),
    ADD COLUMN context        jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN rating         smallint CHECK (rating BETWEEN 1 AND 5),
    ADD COLUMN rating_comment text NOT NULL DEFAULT '',
    ADD COLUMN rated_at       timestamptz;
