-- A message revoked: its text is gone from the live columns (body emptied,
-- args cleared, forwarded dropped) and revoked_at says when; revoked_by
-- says who revoked it: its sender, or an admin or the group's owner.
ALTER TABLE messages ADD COLUMN revoked_by bigint REFERENCES users (id) ON DELETE SET NULL;

-- A merged message: several messages forwarded as one. forwarded holds
-- them as they were (sender's name, time, text), a JSON array.
ALTER TABLE messages ADD COLUMN forwarded jsonb;

ALTER TABLE messages DROP CONSTRAINT messages_type_check;
ALTER TABLE messages ADD CONSTRAINT messages_type_check CHECK (type IN ('text', 'system', 'note', 'image', 'file', 'merged'));
ALTER TABLE messages ADD CONSTRAINT messages_forwarded_check CHECK (forwarded IS NULL OR type = 'merged');

-- A notification that replaces the one shown of a message, now revoked.
ALTER TABLE push_outbox DROP CONSTRAINT push_outbox_kind_check;
ALTER TABLE push_outbox ADD CONSTRAINT push_outbox_kind_check CHECK (kind IN ('assigned', 'message', 'queued', 'revoked'));
