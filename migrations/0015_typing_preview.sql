-- Whether a site's widget shows agents what a visitor is typing before they
-- send it (the draft beside "is typing…"). Off unless an admin turns it on:
-- a visitor may not expect unsent words to be read.
ALTER TABLE sites ADD COLUMN typing_preview boolean NOT NULL DEFAULT false;
