-- The console's composer: a draft per conversation and member, kept on the
-- server so that it follows the member to every device. An agent may write
-- in a support chat before they have a conversation_members row, so drafts
-- have a table of their own. Only the member who wrote one ever reads it.
CREATE TABLE drafts (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);

-- Canned responses, picked in the composer with "/shortcut": shared ones
-- (owner_id NULL), which admins keep, and each agent's own.
CREATE TABLE canned_responses (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint REFERENCES users (id) ON DELETE CASCADE,
    shortcut   text NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX canned_responses_shared_key ON canned_responses (shortcut) WHERE owner_id IS NULL;
CREATE UNIQUE INDEX canned_responses_personal_key ON canned_responses (owner_id, shortcut) WHERE owner_id IS NOT NULL;
