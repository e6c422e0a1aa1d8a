-- A member's own marks on a conversation in their list.
--
-- pinned_at: pinned to the top of their list (newest pin first), until
-- unpinned; a member has at most chat.MaxPinned pins.
-- hidden_at: taken out of their list until a message comes after it: the
-- list compares it with the conversation's last_message_at, so a message's
-- statement has nothing to clear.
ALTER TABLE conversation_members
    ADD COLUMN pinned_at timestamptz,
    ADD COLUMN hidden_at timestamptz;

CREATE INDEX conversation_members_pinned_idx ON conversation_members (user_id, pinned_at DESC)
    WHERE pinned_at IS NOT NULL;
