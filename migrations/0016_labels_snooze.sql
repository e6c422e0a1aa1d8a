-- Labels: a set that admins keep, each with a colour, put on conversations
-- by agents and used to filter the console's lists.
CREATE TABLE labels (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40),
    color      text NOT NULL CHECK (color ~ '^#[0-9a-f]{6}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX labels_name_key ON labels (lower(name));

CREATE TABLE conversation_labels (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    label_id        bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    added_by        bigint REFERENCES users (id),
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_label_idx ON conversation_labels (label_id, conversation_id);

-- Snoozing: an open support conversation set aside until a time, or until
-- the visitor writes ('infinity'). It leaves its agent's "Mine" and comes
-- back, with a notice, when it wakes. NULL: not snoozed.
ALTER TABLE conversations ADD COLUMN snoozed_until timestamptz;
CREATE INDEX conversations_snoozed_idx ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;
