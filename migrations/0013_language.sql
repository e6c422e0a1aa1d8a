-- Each reader's language: a member's own choice (NULL: their browser's), and
-- the language a site fixes for its widget (NULL: each visitor's browser's).
ALTER TABLE users ADD COLUMN language text CHECK (language IN ('en', 'zh-CN'));
ALTER TABLE sites ADD COLUMN language text CHECK (language IN ('en', 'zh-CN'));
