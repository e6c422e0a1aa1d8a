-- A sender's messages are found through one index, on (sender_id,
-- client_msg_id), which also keeps a client's message ids unique per
-- sender (NULLs distinct: a message without an id never conflicts). It
-- replaces a unique index on the same columns limited to messages with an
-- id, and an index on sender_id alone. The planner could choose the latter
-- for a send's duplicate check, which then read every message the sender
-- had ever sent: about 0.1 ms a send for a sender of 700 messages, and
-- growing. The purge of anonymous visitors and the foreign key from users
-- find a sender's messages by the new index's first column.
--
-- The table is locked first, for the whole migration, so that no lock is
-- ever upgraded midway (a deadlock with a transaction that read messages
-- and waits to write them). Every read and write of messages waits for the
-- build.
LOCK TABLE messages IN ACCESS EXCLUSIVE MODE;
DROP INDEX messages_client_msg_key;
DROP INDEX messages_sender_idx;
CREATE UNIQUE INDEX messages_sender_client_key ON messages (sender_id, client_msg_id);
