-- The host pages a visitor has been on, as the widget's launcher saw them
-- load: the newest few per visitor, for the agent's visitor panel.
CREATE TABLE visitor_pages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visitor_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visitor_pages_visitor_idx ON visitor_pages (visitor_id, id DESC);


-- A support chat's earlier rounds: a visitor who writes again after a
-- resolve reopens the same conversation, which then forgets the round's
-- agent, times and rating. Each resolve keeps them here, for the visitor
-- panel's past chats (and the figures of reports).
CREATE TABLE past_chats (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id   bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    visitor_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    site_id           bigint REFERENCES sites (id) ON DELETE SET NULL,
    agent_id          bigint REFERENCES users (id),
    queued_at         timestamptz,
    first_response_at timestamptz,
    resolved_at       timestamptz NOT NULL,
    -- end_seq is the seq of the round's resolved line.
    end_seq           bigint NOT NULL,
    rating            smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment    text NOT NULL DEFAULT ''
);
CREATE INDEX past_chats_visitor_idx ON past_chats (visitor_id, id DESC);
CREATE UNIQUE INDEX past_chats_round_key ON past_chats (conversation_id, end_seq);
