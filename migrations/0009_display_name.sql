-- The name kefu shows for a user, the rule of chat.User.DisplayName: their
-- name; without one, "Visitor #<id>" for a visitor and the email address
-- for a member. Every query that shows a user's name calls it, so that SQL
-- and Go name people alike. For no user (an outer join's missing row) it is ''.
CREATE FUNCTION display_name(u users) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN u.name <> '' THEN u.name
        WHEN u.kind = 'visitor' THEN 'Visitor #' || u.id
        ELSE coalesce(u.email, '') END;
