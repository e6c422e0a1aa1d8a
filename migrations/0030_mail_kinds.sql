-- Transcripts and digests by email. The mail outbox carries three kinds of
-- email, each a row of facts whose words and address are read when it is
-- sent:
--   reply       an agent's replies to a visitor who left (0028);
--   transcript  a support conversation, whole, asked for by its visitor once
--               it is resolved, or by an agent from the console, for the
--               visitor or for the agent;
--   digest      the conversations a member (or agent) with no push device
--               left unread for a while, at most one per period.
ALTER TABLE mail_outbox ADD COLUMN kind text NOT NULL DEFAULT 'reply'
    CHECK (kind IN ('reply', 'transcript', 'digest'));

-- The member an email is for: an agent's own transcript, a digest. NULL:
-- the conversation's visitor, as every email was before.
ALTER TABLE mail_outbox ADD COLUMN member_id bigint REFERENCES users (id) ON DELETE CASCADE;

-- A digest is about no one conversation, and has no visitor.
ALTER TABLE mail_outbox ALTER COLUMN conversation_id DROP NOT NULL, ALTER COLUMN visitor_id DROP NOT NULL;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_facts CHECK (CASE kind
    WHEN 'digest' THEN member_id IS NOT NULL AND conversation_id IS NULL AND visitor_id IS NULL
    ELSE conversation_id IS NOT NULL AND visitor_id IS NOT NULL END);

-- One pending email of each kind per conversation and recipient: a newer
-- reply joins the pending reply email; asking for a transcript while one
-- waits asks for nothing more; a member has one digest coming at a time.
DROP INDEX mail_outbox_pending_key;
CREATE UNIQUE INDEX mail_outbox_pending_key ON mail_outbox (conversation_id)
    WHERE sent_at IS NULL AND cancelled_at IS NULL AND kind = 'reply';
CREATE UNIQUE INDEX mail_outbox_pending_transcript_key ON mail_outbox (conversation_id, coalesce(member_id, 0))
    WHERE sent_at IS NULL AND cancelled_at IS NULL AND kind = 'transcript';
CREATE UNIQUE INDEX mail_outbox_pending_digest_key ON mail_outbox (member_id)
    WHERE sent_at IS NULL AND cancelled_at IS NULL AND kind = 'digest';
-- A member's digests sent: the next waits a period after the last.
CREATE INDEX mail_outbox_digest_sent_idx ON mail_outbox (member_id, sent_at) WHERE kind = 'digest' AND sent_at IS NOT NULL;

-- users.mail_unsubscribed_at (0028) is, for a member, the link in a digest
-- followed (or the console's switch turned off): no more digests. A
-- transcript they ask for themselves still goes.
