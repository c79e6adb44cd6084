-- Twin of the PostgreSQL migration that drops the token tables' foreign keys there (they made
-- every insert lock its client's and user's row). SQLite checks a foreign key with a plain
-- index lookup under its one write lock, so the keys stay; nothing to change.
SELECT 1;
