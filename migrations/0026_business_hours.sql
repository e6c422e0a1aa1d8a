-- Business hours and auto-replies. A site without a row here (every site
-- until its admin sets hours) is always open and sends no auto-replies.

CREATE TABLE site_hours (
    site_id      bigint PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    -- An IANA time zone: the schedule and the holidays are read in it.
    time_zone    text NOT NULL DEFAULT 'UTC',
    -- Seven days, Sunday first: {"open": minutes, "close": minutes} from
    -- midnight; close not after open is a closed day. No open day: always open.
    schedule     jsonb NOT NULL DEFAULT '[]',
    holidays     date[] NOT NULL DEFAULT '{}',
    -- Minutes a chat waits with nobody assigned before the waiting
    -- auto-reply; 0: never.
    wait_minutes integer NOT NULL DEFAULT 0 CHECK (wait_minutes BETWEEN 0 AND 1440),
    -- The auto-replies' words in English and Simplified Chinese; '': the catalog's.
    waiting_en   text NOT NULL DEFAULT '',
    waiting_zh   text NOT NULL DEFAULT '',
    outside_en   text NOT NULL DEFAULT '',
    outside_zh   text NOT NULL DEFAULT ''
);

-- Each auto-reply goes to a chat once: the round that sends it (or, for
-- the outside-hours one, finds the chat started within hours) sets its
-- column under the chat's row lock, and every later round skips the chat.
ALTER TABLE conversations
    ADD COLUMN hours_checked_at timestamptz,
    ADD COLUMN waiting_reply_at timestamptz;
