-- A notification in the outbox holds facts: what happened (kind), in which
-- conversation, about which message (seq), for whom (user_id, on the browser
-- subscription_id). The push worker writes its words (title, body, link)
-- and picks its urgency when it sends it, so that they can be written in
-- the reader's language, and say what the conversation holds by then.
--
-- seq is, for a message, the message (read up to it, no push); for a chat
-- assigned or joining the queue, the visitor's text message it shows
-- (0: none). Pending notifications of those kinds, enqueued with seq 0 and
-- the visitor's last text in their words, now point at that message.
UPDATE push_outbox o SET seq = coalesce((SELECT max(m.seq) FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = o.conversation_id AND m.type = 'text' AND m.sender_id = c.visitor_id), 0)
    WHERE o.kind <> 'message' AND o.seq = 0 AND o.sent_at IS NULL AND o.cancelled_at IS NULL;

-- payload and urgency (the words and urgency an older kefu wrote with each
-- notification) are no longer written or read. They stay, optional, while an
-- instance of an older kefu may still run beside this one during a rolling
-- upgrade, since it inserts them with every message it stores; a later
-- migration drops them once no older instance can run.
ALTER TABLE push_outbox ALTER COLUMN payload DROP NOT NULL,
    ALTER COLUMN urgency SET DEFAULT 'normal';
