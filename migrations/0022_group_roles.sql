-- Group roles: each member of a group is its owner, an admin or a plain
-- member. conversations.owner_id stays the owner, kept in step.
ALTER TABLE conversation_members ADD COLUMN role text NOT NULL DEFAULT 'member'
    CHECK (role IN ('owner', 'admin', 'member'));
UPDATE conversation_members cm SET role = 'owner'
    FROM conversations c WHERE c.id = cm.conversation_id AND c.kind = 'group' AND c.owner_id = cm.user_id;

-- A member silenced by the group's owner or an admin may not write until
-- then ('infinity': until they are let speak again). NULL: not silenced.
ALTER TABLE conversation_members ADD COLUMN silenced_until timestamptz;

-- The seq of the last message that mentioned the member (by name or
-- @all): the conversation shows "@ me" while it is past their read mark.
ALTER TABLE conversation_members ADD COLUMN mention_seq bigint NOT NULL DEFAULT 0;

-- A group where only its owner and admins may write; its notice, shown at
-- the top of the group.
ALTER TABLE conversations ADD COLUMN all_silenced boolean NOT NULL DEFAULT false;
ALTER TABLE conversations ADD COLUMN notice text NOT NULL DEFAULT '' CHECK (char_length(notice) <= 1000);

-- Whom a message mentions: the members named (NULL: none), and whether it
-- said @all.
ALTER TABLE messages ADD COLUMN mentions bigint[];
ALTER TABLE messages ADD COLUMN mention_all boolean NOT NULL DEFAULT false;

-- Messages pinned to the top of a group, at most five (the store keeps to it).
CREATE TABLE pinned_messages (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    pinned_by       bigint REFERENCES users (id),
    pinned_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, message_id)
);

-- A group's link to ask to join it names it by a token no one can guess,
-- not by its id.
ALTER TABLE conversations ADD COLUMN join_token uuid;
UPDATE conversations SET join_token = gen_random_uuid() WHERE kind = 'group';
CREATE UNIQUE INDEX conversations_join_token_key ON conversations (join_token) WHERE join_token IS NOT NULL;

-- Someone who asked to join a group, waiting for its owner or an admin.
CREATE TABLE group_join_requests (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         bigint NOT NULL REFERENCES users (id),
    asked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
