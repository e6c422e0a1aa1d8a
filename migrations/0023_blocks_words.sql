-- The sensitive-word filter: the admins' list, each word lower-cased.
-- Instances keep the list in memory with the settings, so a change to it
-- counts in settings_version like a change to the settings, and a message
-- stored under the list an instance knows is stored only if it is still
-- the list.
CREATE TABLE sensitive_words (
    word       text PRIMARY KEY CHECK (char_length(word) BETWEEN 1 AND 50),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER sensitive_words_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sensitive_words
    FOR EACH STATEMENT EXECUTE FUNCTION settings_changed();

-- A member's block list: no conversation is started or goes on between a
-- blocker and whom they blocked, either way.
CREATE TABLE user_blocks (
    blocker_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX user_blocks_blocked_idx ON user_blocks (blocked_id, blocker_id);

-- Visitors blocked by agents: by visitor (until lifted), or by the address
-- they last wrote from, for a time. The visitor's widget says chat is
-- unavailable and their messages are refused.
CREATE TABLE visitor_blocks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visitor_id bigint REFERENCES users (id) ON DELETE CASCADE,
    address    inet,
    until      timestamptz,
    blocked_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((visitor_id IS NULL) <> (address IS NULL)),
    CHECK (address IS NULL OR until IS NOT NULL)
);
CREATE UNIQUE INDEX visitor_blocks_visitor_key ON visitor_blocks (visitor_id) WHERE visitor_id IS NOT NULL;
CREATE INDEX visitor_blocks_address_idx ON visitor_blocks (address, until) WHERE address IS NOT NULL;

-- The address a visitor last started a chat from, for a block by address.
ALTER TABLE users ADD COLUMN last_address inet;
