-- Each reader's language: a member's own choice (NULL: their browser's), and
-- the language a site fixes for its widget (NULL: each visitor's browser's).
-- Which codes are languages kefu speaks is its catalogs' to say (i18n).
ALTER TABLE users ADD COLUMN language text;
ALTER TABLE sites ADD COLUMN language text;
