-- Search across messages, visitors and conversations (store/search.go).
--
-- Words are found by full-text search with the 'simple' configuration, which
-- keeps every word as it is written (lower-cased), in any language. Chinese,
-- Japanese and Korean are written without spaces between words, so a run of
-- such characters is also indexed as its overlapping pairs of characters
-- (and its last character alone): any query of one or more such characters
-- is then a conjunction of pairs, served by the same index, and checked
-- against the text itself. This does not depend on the database's locale.
--
-- pg_trgm serves partial latin words and addresses (ILIKE '%…%' of three or
-- more characters). It sees only the characters that the database's
-- LC_CTYPE calls alphanumeric: under the C locale, which kefu's embedded
-- database uses, CJK characters are skipped; the pairs above cover them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- search_words is what the index holds of a text.
CREATE FUNCTION search_words(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple', regexp_replace(body,
           '[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+', ' ', 'g'))
      || to_tsvector('simple', coalesce((SELECT string_agg(substr(r[1], i, 2), ' ')
           FROM regexp_matches(body, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+', 'g') r,
                generate_series(1, char_length(r[1])) i), ''))
$$;

-- search_query is a query's words, all required: each word as the start of
-- a word, each pair of CJK characters as it is. A lone CJK character is
-- dropped when there are other words (the pair before it holds it), else it
-- is the start of a pair.
CREATE FUNCTION search_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg('''' || replace(replace(w.lexeme, '\', '\\'), '''', '''''') || ''''
           || CASE WHEN w.lexeme ~ '^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2}$' THEN '' ELSE ':*' END,
           ' & '), '')::tsquery
  FROM (SELECT lexeme, count(*) OVER () AS n FROM unnest(search_words(q))) w
  WHERE w.n = 1 OR char_length(w.lexeme) > 1 OR w.lexeme ~ '^[[:ascii:]]+$'
$$;

CREATE INDEX messages_search_idx ON messages USING gin (search_words(body));
CREATE INDEX messages_body_trgm_idx ON messages USING gin (body gin_trgm_ops);
-- Names, addresses and titles are searched the same way.
CREATE INDEX users_name_search_idx ON users USING gin (search_words(name));
CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops);
CREATE INDEX users_email_search_idx ON users USING gin (search_words(email));
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
-- Only groups have titles. A conversation's row is written again with each
-- of its messages, and an index that holds every row would be written too:
-- these hold titled ones alone, so that a message costs them nothing.
CREATE INDEX conversations_title_search_idx ON conversations USING gin (search_words(title)) WHERE title <> '';
CREATE INDEX conversations_title_trgm_idx ON conversations USING gin (title gin_trgm_ops) WHERE title <> '';
