-- A refresh rotation's statements, as Gerbang sends them, for pgbench (bench/pg_rotation.sh):
-- the checked path's read of a family with its user, then the one-statement rotation that
-- moves the family's current hash and generation in place. pg_rotation.sh seeds 100,000
-- families (family_id = md5(n)); every UPDATE matches one of them.
\set n random(1, 100000)
SELECT family_id, generation, current_hash, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at, revoked_at, u.* FROM refresh_families LEFT JOIN (SELECT id, nip, name, email, instansi_id, unit_kerja, jabatan, status, password_hash, email_verified_at, failed_logins, locked_until, lock_level, created_at FROM users) u ON u.id = refresh_families.user_id WHERE family_id = md5(CAST(:n AS text));
UPDATE refresh_families f SET current_hash = md5(CAST(random() AS text)), generation = f.generation + 1, rotated_at = 1 FROM (SELECT id, nip, name, email, instansi_id, unit_kerja, jabatan, status, password_hash, email_verified_at, failed_logins, locked_until, lock_level, created_at FROM users) u WHERE f.family_id = md5(CAST(:n AS text)) AND f.client_id = 'rp' AND f.revoked_at IS NULL AND f.expires_at > 1 AND u.id = f.user_id AND u.status = 'active' RETURNING f.family_id, f.generation, f.current_hash, f.user_id, f.client_id, f.scope, f.sid, f.auth_time, f.amr, f.acr, f.expires_at, u.*;
