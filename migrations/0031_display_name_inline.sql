-- display_name (0009) written so that PostgreSQL inlines it into the query
-- that calls it. 'Visitor #' || u.id joined a bigint to text through
-- anytextcat, which is only STABLE, and PostgreSQL does not inline an
-- IMMUTABLE function whose body is less than that: every statement that
-- named someone planned and ran the function's body anew, which cost more
-- than the rest of a message's statement. The bigint is made text first
-- (the same digits), and the body is immutable throughout.
CREATE OR REPLACE FUNCTION display_name(u users) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN u.name <> '' THEN u.name
        WHEN u.kind = 'visitor' THEN 'Visitor #' || u.id::text
        ELSE coalesce(u.email, '') END;
