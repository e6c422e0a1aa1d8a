-- Search is indexed behind the messages, not in their statement.
--
-- Computing a message's words (search_words) and adding them and its
-- trigrams to two GIN indexes cost more than storing the message itself.
-- A message's statement now only notes its id in search_pending (a
-- statement trigger, one row per message with text); every instance's
-- indexer (store.DB.IndexPending) moves what is pending into
-- message_search, a copy of the text that carries the two indexes, in
-- batches. A search reads message_search and, for what is still pending,
-- the messages themselves, so that a message is found from the moment it is
-- stored. A message whose text changes (a revoke, a mask) leaves the index
-- in the same statement and is indexed again from its new text.
CREATE TABLE message_search (
    message_id bigint PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    body       text NOT NULL
);
CREATE TABLE search_pending (
    message_id bigint PRIMARY KEY
);

INSERT INTO message_search (message_id, body) SELECT id, body FROM messages WHERE body <> '';

DROP INDEX messages_search_idx;
DROP INDEX messages_body_trgm_idx;
CREATE INDEX message_search_words_idx ON message_search USING gin (search_words(body));
CREATE INDEX message_search_trgm_idx ON message_search USING gin (body gin_trgm_ops);

CREATE FUNCTION search_pending_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (message_id) SELECT id FROM inserted WHERE body <> '' ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_search_inserted AFTER INSERT ON messages
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION search_pending_inserted();

CREATE FUNCTION search_pending_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM message_search WHERE message_id = NEW.id;
    IF NEW.body <> '' THEN
        INSERT INTO search_pending (message_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_search_changed AFTER UPDATE OF body ON messages
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION search_pending_changed();
