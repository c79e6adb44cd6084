-- One row per refresh grant (family) instead of one per rotation: a rotation updates the
-- row in place (current token hash, generation), and a token of an earlier generation is
-- still recognised as a replay because the token carries its family id and generation.
-- (PostgreSQL keeps these pages 30% free for in-place updates; SQLite has no such knob.)
-- No foreign keys: users and clients are never deleted, and every use of a token reads its
-- user and authenticates its client first (see 0004 for PostgreSQL).
CREATE TABLE refresh_families (
    family_id    TEXT PRIMARY KEY,
    current_hash TEXT NOT NULL,
    generation   BIGINT NOT NULL,
    user_id      TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    scope        TEXT NOT NULL,
    sid          TEXT NOT NULL,
    auth_time    BIGINT NOT NULL,
    amr          TEXT NOT NULL,
    acr          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    rotated_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_sid ON refresh_families (sid);
-- For the janitor that deletes expired families.
CREATE INDEX refresh_families_expires ON refresh_families (expires_at);

-- Every live token (unused, unrevoked, unexpired) becomes a family of its own whose id is
-- its hash, at generation 0: a token without the new format is looked up that way, so it
-- refreshes once and its successor has the new format. The used tokens of these families
-- are not carried over, so a replay of a token that was already used before this upgrade
-- is no longer recognised as one (it is refused as unknown, without revoking the family).
-- Likewise an authorization code replayed across the upgrade no longer finds the family it
-- issued (the cache names the old family id); codes live 60 s.
INSERT INTO refresh_families (family_id, current_hash, generation, user_id, client_id, scope,
    sid, auth_time, amr, acr, created_at, rotated_at, expires_at, revoked_at)
SELECT hash, hash, 0, user_id, client_id, scope, sid, auth_time, amr, acr, created_at,
    created_at, expires_at, NULL
FROM refresh_tokens
WHERE used_at IS NULL AND revoked_at IS NULL
  AND expires_at > CAST(strftime('%s', 'now') AS INTEGER);

DROP TABLE refresh_tokens;
