-- Budgets of requests per client address for the widget's public endpoints:
-- one row per budget and address, counting the requests of its current
-- window. A request spends from it in one statement under the row's lock,
-- so every instance shares one count.
CREATE TABLE rate_budgets (
    name      text NOT NULL,
    key       text NOT NULL,
    used      int NOT NULL,
    resets_at timestamptz NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX rate_budgets_resets_idx ON rate_budgets (resets_at);

-- Anonymous visitors who never wrote anything are purged after a week.
-- These indexes find them, and let the delete check that no message or
-- conversation refers to them without scanning those tables.
CREATE INDEX users_anonymous_idx ON users (created_at) WHERE kind = 'visitor' AND external_id IS NULL;
CREATE INDEX conversations_visitor_idx ON conversations (visitor_id);
CREATE INDEX messages_sender_idx ON messages (sender_id);
