-- Instances keep in memory, with the settings, whether any enabled webhook
-- listens for message.created: a visitor's message is then stored and
-- committed in one round trip, its pushes queued by the same statement. So
-- a change to the webhooks counts in settings_version like a change to the
-- settings, and a message stored as if no webhook listened is stored only
-- if that is still so.
CREATE TRIGGER webhooks_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON webhooks
    FOR EACH STATEMENT EXECUTE FUNCTION settings_changed();
