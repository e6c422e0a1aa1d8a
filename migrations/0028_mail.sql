-- Email to visitors: an agent's reply to a visitor who has left goes to the
-- visitor's email address, from an outbox that mail workers send it from.

-- When a visitor's widget socket was last seen: opened, refreshed while it
-- lives, and closed. A visitor seen within the mail quiet period is still
-- reading the widget and gets no email.
ALTER TABLE users ADD COLUMN widget_seen_at timestamptz;
-- The language the visitor's widget last spoke: what their emails speak.
ALTER TABLE users ADD COLUMN widget_language text;

-- A visitor who unsubscribed (the link every email carries) gets no more.
ALTER TABLE users ADD COLUMN mail_unsubscribed_at timestamptz;

-- The outbox: a row per support conversation with replies to tell its
-- visitor, inserted in the transaction of the agent's message. While a row is
-- pending, a newer reply updates it (up to_seq), so that the replies of one
-- quiet period go out in one email. The address is read when the email is
-- sent, so that a visitor who changed or lost it is written to as they stand.
CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    visitor_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The replies the email tells: from_seq up to to_seq.
    from_seq        bigint NOT NULL,
    to_seq          bigint NOT NULL,
    -- The quiet period: nothing is sent before it, so that a visitor still
    -- (or back) in the widget reads the reply there instead.
    not_before      timestamptz NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_until    timestamptz,
    -- Bumped by every update of a pending row: an attempt that was under way
    -- meanwhile sent fewer replies and does not finish the row.
    revision        int NOT NULL DEFAULT 0,
    sent_at         timestamptz,
    cancelled_at    timestamptz,
    -- The SMTP reply code of the last answer (0: none came).
    status          int NOT NULL DEFAULT 0,
    -- Given up as a failure (a server refused it for good, or every attempt
    -- failed), not because it was no longer needed.
    failed          boolean NOT NULL DEFAULT false,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mail_outbox_pending_key ON mail_outbox (conversation_id)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX mail_outbox_finished_idx ON mail_outbox (coalesce(sent_at, cancelled_at))
    WHERE sent_at IS NOT NULL OR cancelled_at IS NOT NULL;
-- The admin page's failures: emails a server refused for good, or given up.
CREATE INDEX mail_outbox_failed_idx ON mail_outbox (cancelled_at DESC) WHERE failed;
