-- Who may talk to whom (conversation_grade consults these), and the admin's tools.

-- Friendship is mutual: each one is stored in both directions, so either
-- side's lookup is one index probe.
CREATE TABLE friendships (
    user_id    bigint NOT NULL REFERENCES users (id),
    friend_id  bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, friend_id),
    CHECK (user_id <> friend_id)
);

-- A pending invitation; accepting, declining or cancelling deletes it.
CREATE TABLE friend_invites (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id    bigint NOT NULL REFERENCES users (id),
    to_id      bigint NOT NULL REFERENCES users (id),
    message    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (from_id <> to_id)
);
CREATE UNIQUE INDEX friend_invites_pair_key ON friend_invites (from_id, to_id);
CREATE INDEX friend_invites_to_idx ON friend_invites (to_id);

-- A group is a conversation of kind 'group': its members are its
-- conversation_members rows, its owner manages them.
-- A direct conversation is unique per pair of users: direct_key is "low:high".
ALTER TABLE conversations
    ADD COLUMN owner_id   bigint REFERENCES users (id),
    ADD COLUMN direct_key text;
CREATE UNIQUE INDEX conversations_direct_key ON conversations (direct_key) WHERE direct_key IS NOT NULL;
ALTER TABLE conversations ADD CONSTRAINT conversations_direct_key_check CHECK ((kind = 'direct') = (direct_key IS NOT NULL));
ALTER TABLE conversations ADD CONSTRAINT conversations_group_owner_check CHECK (kind <> 'group' OR owner_id IS NOT NULL);

-- Bumped when an admin resets a password: sessions signed in before it stop working.
ALTER TABLE users ADD COLUMN session_epoch int NOT NULL DEFAULT 0;
