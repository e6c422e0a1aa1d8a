-- A system line kefu writes is stored as a code and its arguments (the names
-- and values it mentions, as they were then), with an empty body: its words
-- are written when it is shown, so that they can be in the reader's language.
-- Lines written before keep their words in body and no code.
ALTER TABLE messages ADD COLUMN code text, ADD COLUMN args text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT messages_code_check CHECK (code IS NULL OR (code <> '' AND type = 'system'));
