-- A note kefu writes for the agents (a visitor's rating) is stored, like a
-- system line, as a code and its arguments with an empty body.
ALTER TABLE messages DROP CONSTRAINT messages_code_check,
    ADD CONSTRAINT messages_code_check CHECK (code IS NULL OR (code <> '' AND type IN ('system', 'note')));
