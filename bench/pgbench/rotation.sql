-- A refresh rotation's statements, as Gerbang sends them, for pgbench (bench/pg_rotation.sh).
-- The UPDATE looks up a random hash that matches no row, so the old row's rewrite is not
-- counted and the figure is an upper bound. The INSERT always runs, as a rotation's does.
\set n random(1, 1000000000)
SELECT hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at, used_at, revoked_at, u.* FROM refresh_tokens LEFT JOIN (SELECT id, nip, name, email, instansi_id, unit_kerja, jabatan, status, password_hash, email_verified_at, failed_logins, locked_until, lock_level, created_at FROM users) u ON u.id = refresh_tokens.user_id WHERE hash = md5(CAST(:n AS text));
WITH used AS (UPDATE refresh_tokens SET used_at = 1 WHERE hash = md5(CAST(:n AS text)) AND used_at IS NULL RETURNING 1) INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at, created_at) SELECT md5(CAST(random() AS text)) || md5(CAST(:n AS text)), md5(CAST(:n AS text)), '@USER@', 'rp', 'openid profile email', md5(CAST(:n AS text)), 1, 'pwd otp', 'urn-x', 2000000000, 1 FROM (SELECT 1 FROM (SELECT 1) a LEFT JOIN used ON true) b;
