-- The widget's "usually replies in …": the median first response of the
-- newest support chats answered, read from this index alone (newest first).
CREATE INDEX conversations_first_response_idx ON conversations (first_response_at DESC)
    INCLUDE (queued_at) WHERE kind = 'support' AND first_response_at IS NOT NULL;
