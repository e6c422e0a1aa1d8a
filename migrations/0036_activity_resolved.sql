-- The console's lists of open chats walk the activity of open chats only.
--
-- Mine, Unassigned, All and Snoozed list open chats, a few dozen, while a
-- helpdesk's resolved chats grow by the thousand. Walking one index of all
-- activity, newest first, a list of open chats stepped over every chat
-- resolved more recently than its last one: with 200,000 resolved chats,
-- Mine took 0.2 s. conversation_activity now says whether its chat is
-- resolved, and its index is two: one of the chats that are not (which
-- those lists walk), one of those that are (the Resolved list). A message
-- still moves its chat's row in one of them only.
--
-- resolved follows conversations.status: the statement that moves a
-- chat's activity sets it from the chat's row, and a change of status
-- sets it through conversation_status_moves_activity, a trigger that runs
-- only when a status changes, never on a message.
ALTER TABLE conversation_activity ADD COLUMN resolved boolean NOT NULL DEFAULT false;
UPDATE conversation_activity a SET resolved = true
    FROM conversations c WHERE c.id = a.conversation_id AND c.status = 'resolved';

DROP INDEX conversation_activity_idx;
CREATE INDEX conversation_activity_open_idx ON conversation_activity (last_message_at DESC, conversation_id DESC)
    WHERE NOT resolved;
CREATE INDEX conversation_activity_resolved_idx ON conversation_activity (last_message_at DESC, conversation_id DESC)
    WHERE resolved;

CREATE FUNCTION conversation_status_moves_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversation_activity SET resolved = (NEW.status = 'resolved')
    WHERE conversation_id = NEW.id AND resolved IS DISTINCT FROM (NEW.status = 'resolved');
    RETURN NULL;
END $$;
CREATE TRIGGER conversation_status_moves_activity AFTER UPDATE OF status ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION conversation_status_moves_activity();
