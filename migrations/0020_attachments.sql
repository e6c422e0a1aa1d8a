-- Images and files sent in a conversation. A message of type image or file
-- has one attachments row, inserted in the message's own transaction, so a
-- resend that finds its client_msg_id stored stores no second file. The
-- bytes are kept here, in PostgreSQL, so that every instance serves them
-- with nothing else to run. token is random (32 bytes, base64url): with the
-- reader's right to the conversation it is what fetches the file.
ALTER TABLE messages DROP CONSTRAINT messages_type_check,
    ADD CONSTRAINT messages_type_check CHECK (type IN ('text', 'system', 'note', 'image', 'file'));

CREATE TABLE attachments (
    message_id      bigint PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    token           text NOT NULL UNIQUE CHECK (token ~ '^[A-Za-z0-9_-]{43}$'),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    content_type    text NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 100),
    size            bigint NOT NULL CHECK (size > 0),
    width           integer NOT NULL DEFAULT 0 CHECK (width >= 0),
    height          integer NOT NULL DEFAULT 0 CHECK (height >= 0),
    data            bytea NOT NULL,
    thumb           bytea,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- The bytes are stored as they are: images are re-encoded already, and
-- most other files are compressed.
ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL, ALTER COLUMN thumb SET STORAGE EXTERNAL;
