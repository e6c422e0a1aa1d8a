-- A message with text is noted in search_pending by the statement that
-- stores it (store.newInsertion, the one statement that stores messages with
-- text; the lines kefu writes itself have none; whatever inserts messages
-- some other way must note them itself), not by a trigger: a
-- statement trigger with a transition table cost every message a tuple
-- store, a PL/pgSQL call and an INSERT planned and started of its own.
-- A change of a message's text is still noted by messages_search_changed.
DROP TRIGGER messages_search_inserted ON messages;
DROP FUNCTION search_pending_inserted();
