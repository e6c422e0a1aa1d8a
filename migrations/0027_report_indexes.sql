-- Reports read the chats started in a range: each resolved round (past_chats)
-- by its start, which is when it was queued (or, for rounds kept before
-- that was known, when it was resolved), carrying what the figures need so
-- that a range is read from the index alone; and the open rounds, few, by
-- when they were queued.
CREATE INDEX past_chats_started_idx ON past_chats ((coalesce(queued_at, resolved_at)))
    INCLUDE (conversation_id, site_id, agent_id, queued_at, first_response_at, resolved_at, rating);
CREATE INDEX conversations_open_started_idx ON conversations (queued_at)
    WHERE kind = 'support' AND status <> 'resolved';
-- The comments a report lists, of the chats that started last in its range.
CREATE INDEX past_chats_commented_idx ON past_chats ((coalesce(queued_at, resolved_at)) DESC)
    WHERE rating_comment <> '';
