-- Sessions that began before this moment no longer count (set when an import re-enables a
-- person): a cookie stolen before the person left must not come back with them. NULL: no
-- such moment.
ALTER TABLE users ADD COLUMN sessions_after BIGINT;
