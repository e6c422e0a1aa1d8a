-- A conversation's last activity, apart from the conversation: the lists
-- newest activity first walk conversation_activity's index and join
-- conversations by id, as they walked conversations_activity_idx. Every
-- message moves its conversation's activity; with last_message_at out of
-- every index of conversations, the message's update of conversations (its
-- seq and its activity) changes no indexed column, and is a HOT update:
-- no new entry in any of the table's dozen indexes, only the two of the
-- narrow row it moves here. conversations.last_message_at stays what a
-- conversation reads of its activity; the statement that moves one moves
-- the other, to the same time.
--
-- A conversation has its row from its first message on: those not yet
-- written in are in no list.
CREATE TABLE conversation_activity (
    conversation_id bigint PRIMARY KEY REFERENCES conversations ON DELETE CASCADE,
    last_message_at timestamptz NOT NULL
);
INSERT INTO conversation_activity (conversation_id, last_message_at)
    SELECT id, last_message_at FROM conversations WHERE last_message_at IS NOT NULL;
CREATE INDEX conversation_activity_idx ON conversation_activity (last_message_at DESC, conversation_id DESC);
DROP INDEX conversations_activity_idx;
-- Room on each page for a row's next version, so that an update stays on
-- its page, as HOT needs.
ALTER TABLE conversations SET (fillfactor = 80);
