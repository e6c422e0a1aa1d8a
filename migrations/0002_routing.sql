-- Routing: agents' state and capacity, their live console sockets, and the
-- support conversation's place in the queue.
CREATE TABLE agents (
    user_id          bigint PRIMARY KEY REFERENCES users (id),
    state            text NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'away')),
    capacity         int NOT NULL DEFAULT 5 CHECK (capacity BETWEEN 0 AND 1000),
    last_assigned_at timestamptz
);

-- One row per live console socket, refreshed while it lives. An agent is
-- online while any of their rows was seen within the grace period, so a
-- closed tab or a crashed instance takes them offline only after it.
CREATE TABLE agent_presence (
    socket_id text PRIMARY KEY,
    agent_id  bigint NOT NULL REFERENCES users (id),
    seen_at   timestamptz NOT NULL
);
CREATE INDEX agent_presence_agent_idx ON agent_presence (agent_id, seen_at DESC);

ALTER TABLE conversations
    ADD COLUMN queued_at          timestamptz,
    ADD COLUMN assigned_agent_id  bigint REFERENCES users (id),
    ADD COLUMN assigned_at        timestamptz,
    ADD COLUMN first_response_at  timestamptz,
    ADD COLUMN resolved_at        timestamptz,
    -- "contact the author": the agent a chat waits for until target_until.
    ADD COLUMN target_user_id     bigint REFERENCES users (id),
    ADD COLUMN target_until       timestamptz,
    ADD COLUMN target_released_at timestamptz;

UPDATE conversations SET queued_at = created_at WHERE kind = 'support' AND status = 'queued';
CREATE INDEX conversations_queue_idx ON conversations (queued_at, id) WHERE kind = 'support' AND status = 'queued';
CREATE INDEX conversations_agent_idx ON conversations (assigned_agent_id) WHERE status = 'assigned';

ALTER TABLE messages DROP CONSTRAINT messages_type_check;
ALTER TABLE messages ADD CONSTRAINT messages_type_check CHECK (type IN ('text', 'system', 'note'));
