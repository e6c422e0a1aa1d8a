-- Email coming back: bounces reported after an email was sent, and
-- addresses that bounced for good. (Replies need no table: the address they
-- come to is signed, and names the conversation.)

-- When a delivery status notification said the email failed after a server
-- had taken it (sent_at is set): it is then failed, with the report's status
-- and diagnostic, and listed with the refused ones.
ALTER TABLE mail_outbox ADD COLUMN bounced_at timestamptz;

-- The address, lower-cased, that bounced for good: kefu writes no more email
-- to the visitor while it is still their address. A new address is written to.
ALTER TABLE users ADD COLUMN mail_bounced text;

DROP INDEX mail_outbox_failed_idx;
CREATE INDEX mail_outbox_failed_idx ON mail_outbox (coalesce(bounced_at, cancelled_at) DESC) WHERE failed;
