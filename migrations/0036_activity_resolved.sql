-- A list of conversations walks the activity of those it may show only.
--
-- Mine, Unassigned, All and Snoozed list open support chats, a few dozen,
-- while a helpdesk's resolved chats grow by the thousand, and direct and
-- group conversations by the thousand too, each seen by its few members.
-- Walking one index of all activity, newest first, a list stepped over
-- every conversation newer than its last that it does not show: with
-- 200,000 resolved chats, a page of Mine took 0.1–0.2 s, and with 100,000
-- groups of others, a member's list took as long.
--
-- conversation_activity now says whether its conversation is a support
-- chat, and whether it is resolved, and its index is two: one of the open
-- support chats, one of the resolved ones (store/lists.go). Direct and
-- group conversations are in neither: a list finds them by its viewer's
-- membership. A message still moves its chat's row in one index at most.
--
-- support is the conversation's kind, which never changes; resolved follows
-- conversations.status: the statement that moves a chat's activity sets it
-- from the chat's row, and a change of status sets it through
-- conversation_status_moves_activity, a trigger that runs only when a
-- status changes, never on a message.
ALTER TABLE conversation_activity ADD COLUMN support boolean NOT NULL DEFAULT true,
    ADD COLUMN resolved boolean NOT NULL DEFAULT false;

-- The trigger comes first: creating it locks conversations until the
-- backfill below has committed, so that no status changes in between.
CREATE FUNCTION conversation_status_moves_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversation_activity SET resolved = (NEW.status = 'resolved')
    WHERE conversation_id = NEW.id AND resolved IS DISTINCT FROM (NEW.status = 'resolved');
    RETURN NULL;
END $$;
CREATE TRIGGER conversation_status_moves_activity AFTER UPDATE OF status ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION conversation_status_moves_activity();

UPDATE conversation_activity a SET support = c.kind = 'support', resolved = c.status = 'resolved'
    FROM conversations c WHERE c.id = a.conversation_id AND (c.kind <> 'support' OR c.status = 'resolved');
-- Whoever adds a row says both.
ALTER TABLE conversation_activity ALTER COLUMN support DROP DEFAULT, ALTER COLUMN resolved DROP DEFAULT;

DROP INDEX conversation_activity_idx;
CREATE INDEX conversation_activity_open_idx ON conversation_activity (last_message_at DESC, conversation_id DESC)
    WHERE support AND NOT resolved;
CREATE INDEX conversation_activity_resolved_idx ON conversation_activity (last_message_at DESC, conversation_id DESC)
    WHERE support AND resolved;
