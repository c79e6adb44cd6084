//! `refresh_families`: one row per grant, updated in place by every rotation. The row holds
//! the SHA-256 of the family's current token and its generation; the token itself carries
//! both the family id and the generation (`domain::refresh_token`), so a token of an earlier
//! generation is recognised as a replay and revokes the family (RFC 9700 §4.14) without a
//! row kept per rotation. Storage grows with live grants, not with traffic.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::users::{self, User, user_columns};
use super::{Store, StoreError};
use crate::domain::refresh_token::Presented;

#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub family_id: String,
    /// Generation of the family's current token.
    pub generation: i64,
    /// SHA-256 (hex) of the family's current token.
    pub current_hash: String,
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub sid: String,
    pub auth_time: i64,
    pub amr: String,
    pub acr: String,
    pub expires_at: i64,
}

/// What a presented refresh token turned out to be.
#[derive(Debug)]
pub enum RefreshUse {
    /// The family's current token, live; `rotate_refresh` moves the family on when the
    /// successor is issued. Comes with its user as stored now (`None` if the row is gone),
    /// read in the same query.
    Fresh {
        grant: Box<RefreshGrant>,
        user: Option<Box<User>>,
    },
    /// An earlier generation of a live family, or a token of a revoked one: a replay. The
    /// family has been revoked.
    Replayed,
    /// Unknown, expired, or a value the family never issued: a generation it has not
    /// reached, or its current generation with another value. A forgery, not a replay, so
    /// the family is left alone.
    Invalid,
}

macro_rules! refresh_columns {
    () => {
        "family_id, generation, current_hash, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at"
    };
}

fn from_row(r: &AnyRow) -> Result<RefreshGrant, sqlx::Error> {
    Ok(RefreshGrant {
        family_id: r.try_get("family_id")?,
        generation: r.try_get("generation")?,
        current_hash: r.try_get("current_hash")?,
        user_id: r.try_get("user_id")?,
        client_id: r.try_get("client_id")?,
        scope: r.try_get("scope")?,
        sid: r.try_get("sid")?,
        auth_time: r.try_get("auth_time")?,
        amr: r.try_get("amr")?,
        acr: r.try_get("acr")?,
        expires_at: r.try_get("expires_at")?,
    })
}

/// Revokes every live family of a user, inside the caller's transaction (helpdesk actions,
/// a password change) or on the pool.
pub(super) async fn revoke_user<'e, E>(e: E, user_id: &str, now: i64) -> Result<u64, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query(
        "UPDATE refresh_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(e)
    .await?;
    Ok(r.rows_affected())
}

/// Revokes a user's live families with one client (a withdrawn consent, a role the client
/// requires gone), inside the caller's transaction.
pub(super) async fn revoke_user_client<'e, E>(
    e: E,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<u64, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query(
        "UPDATE refresh_families SET revoked_at = $3
         WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(now)
    .execute(e)
    .await?;
    Ok(r.rows_affected())
}

/// Revokes a user's live families whose scope holds `scope` (a staff role withdrawn),
/// inside the caller's transaction.
pub(super) async fn revoke_user_scope<'e, E>(
    e: E,
    user_id: &str,
    scope: &str,
    now: i64,
) -> Result<u64, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    // Scopes are stored space-separated; padding both ends matches whole words.
    let r = sqlx::query(
        "UPDATE refresh_families SET revoked_at = $2
         WHERE user_id = $1 AND revoked_at IS NULL AND (' ' || scope || ' ') LIKE $3",
    )
    .bind(user_id)
    .bind(now)
    .bind(format!("% {scope} %"))
    .execute(e)
    .await?;
    Ok(r.rows_affected())
}

impl Store {
    /// Stores a new grant (family) at the generation and hash of its first token.
    pub async fn insert_refresh(&self, g: &RefreshGrant, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO refresh_families (family_id, generation, current_hash, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at, created_at, rotated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(&g.family_id)
        .bind(g.generation)
        .bind(&g.current_hash)
        .bind(&g.user_id)
        .bind(&g.client_id)
        .bind(&g.scope)
        .bind(&g.sid)
        .bind(g.auth_time)
        .bind(&g.amr)
        .bind(&g.acr)
        .bind(g.expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What a presented token is, changing nothing unless it is a replay: an earlier
    /// generation of an unexpired family revokes it (RFC 9700 §4.14). The current token is
    /// moved on only by `rotate_refresh`, after every check has passed, so a request that
    /// fails a check (a wider scope, say) does not burn the client's token.
    pub async fn find_refresh_for_use(
        &self,
        token: &Presented,
        now: i64,
    ) -> Result<RefreshUse, StoreError> {
        // The user comes in the same round trip: a refresh always needs it, and one query
        // instead of two is one PostgreSQL transaction fewer per refresh. No column name
        // is shared by the two lists, so the row reads as either.
        let row = sqlx::query(concat!(
            "SELECT ",
            refresh_columns!(),
            ", revoked_at, u.* FROM refresh_families
             LEFT JOIN (SELECT ",
            user_columns!(),
            " FROM users) u ON u.id = refresh_families.user_id
             WHERE family_id = $1"
        ))
        .bind(&token.family_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshUse::Invalid);
        };
        let grant = from_row(&row)?;
        if grant.expires_at <= now {
            return Ok(RefreshUse::Invalid);
        }
        let current = token.generation == grant.generation && token.hash == grant.current_hash;
        if token.generation > grant.generation || (token.generation == grant.generation && !current)
        {
            // A generation the family never reached, or its current one with another value:
            // made up, not replayed. Refused without touching the family.
            return Ok(RefreshUse::Invalid);
        }
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        if token.generation < grant.generation || revoked.is_some() {
            self.revoke_family(&grant.family_id, now).await?;
            return Ok(RefreshUse::Replayed);
        }
        let user = match row.try_get::<Option<String>, _>("id")? {
            Some(_) => Some(Box::new(users::from_row(&row)?)),
            None => None,
        };
        Ok(RefreshUse::Fresh {
            grant: Box::new(grant),
            user,
        })
    }

    /// The common refresh in one statement (PostgreSQL): moves the family on to `next_hash`
    /// if `token` is its current, live token, issued to `client_id`, and its user is active,
    /// and returns the grant (as rotated) with the user. `None` when any of that does not
    /// hold, and always on SQLite (its `UPDATE … FROM` cannot return the joined user): the
    /// caller then takes the checked path (`find_refresh_for_use`, checks,
    /// `rotate_refresh`), which tells the cases apart and revokes where it must. A parallel
    /// replay that loses here waits for the winner's row lock, finds the generation moved
    /// on, and there revokes the family, the winner's successor included.
    pub async fn rotate_live_refresh(
        &self,
        token: &Presented,
        client_id: &str,
        next_hash: &str,
        now: i64,
    ) -> Result<Option<(RefreshGrant, User)>, StoreError> {
        if self.backend != super::Backend::Postgres {
            return Ok(None);
        }
        // Only unindexed columns change, so PostgreSQL can update the row in place (HOT).
        let row = sqlx::query(concat!(
            "UPDATE refresh_families f
             SET current_hash = $1, generation = f.generation + 1, rotated_at = $2
             FROM (SELECT ",
            user_columns!(),
            " FROM users) u
             WHERE f.family_id = $3 AND f.generation = $4 AND f.current_hash = $5
               AND f.client_id = $6 AND f.revoked_at IS NULL AND f.expires_at > $2
               AND u.id = f.user_id AND u.status = 'active' AND u.helpdesk_hold_at IS NULL
             RETURNING f.family_id, f.generation, f.current_hash, f.user_id, f.client_id,
               f.scope, f.sid, f.auth_time, f.amr, f.acr, f.expires_at, u.*"
        ))
        .bind(next_hash)
        .bind(now)
        .bind(&token.family_id)
        .bind(token.generation)
        .bind(&token.hash)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some((from_row(&row)?, users::from_row(&row)?)))
    }

    /// Moves `old`'s family on to its next token (`next_hash`, one generation up) in one
    /// statement on either backend; the grant keeps its scope whatever the access token was
    /// narrowed to (RFC 6749 §6). Returns false when the family is no longer at `old`'s
    /// token: a parallel request with the same token won, which the caller treats as a
    /// replay and answers by revoking the family (the winner's successor included). The
    /// generation and hash guard lets exactly one of them match.
    pub async fn rotate_refresh(
        &self,
        old: &RefreshGrant,
        next_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_families
             SET current_hash = $1, generation = generation + 1, rotated_at = $2
             WHERE family_id = $3 AND generation = $4 AND current_hash = $5
               AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(next_hash)
        .bind(now)
        .bind(&old.family_id)
        .bind(old.generation)
        .bind(&old.current_hash)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The grant of a family's current, live token, without using it (introspection,
    /// revocation). An earlier token of the family is not live.
    pub async fn find_live_refresh(
        &self,
        token: &Presented,
        now: i64,
    ) -> Result<Option<RefreshGrant>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_families
             WHERE family_id = $1 AND generation = $2 AND current_hash = $3
               AND revoked_at IS NULL AND expires_at > $4"
        ))
        .bind(&token.family_id)
        .bind(token.generation)
        .bind(&token.hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn revoke_family(&self, family_id: &str, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Ends the refresh grants tied to an SSO session (logout). `offline_access` grants
    /// outlive the browser session by design and are left alone.
    pub async fn revoke_session_refresh(&self, sid: &str, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2
             WHERE sid = $1 AND revoked_at IS NULL AND ' ' || scope || ' ' NOT LIKE '% offline_access %'",
        )
        .bind(sid)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Ends every grant of a user that did not come from session `keep_sid`,
    /// `offline_access` included ("end all other sessions" on the account page: after a
    /// suspected takeover, an offline grant obtained elsewhere is what an intruder keeps).
    pub async fn revoke_user_refresh_except_session(
        &self,
        user_id: &str,
        keep_sid: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $3
             WHERE user_id = $1 AND sid <> $2 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(keep_sid)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Ends every grant of one session of a user, `offline_access` included (that session
    /// ended by its owner from the account page of another one).
    pub async fn revoke_user_session_refresh(
        &self,
        user_id: &str,
        sid: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $3
             WHERE user_id = $1 AND sid = $2 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(sid)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn revoke_user_refresh(&self, user_id: &str, now: i64) -> Result<u64, StoreError> {
        revoke_user(&self.pool, user_id, now).await
    }

    /// How many grants are stored, live or not: what rotation must not grow (tests, ops).
    pub async fn refresh_family_count(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_families")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::super::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Store};
    use super::RefreshUse;
    use crate::domain::refresh_token;
    use crate::secrets::sha256_hex;
    use crate::test_servers::{Need, fresh_postgres_schema, skip};

    /// Migration 0006 on a database holding `refresh_tokens` rows: the live token becomes a
    /// generation-0 family found by the new lookup; used, revoked and expired rows are gone.
    async fn upgrade_keeps_only_live_tokens(url: &str, migrator: &sqlx::migrate::Migrator) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        migrator.run_to(5, &mut conn).await.unwrap();
        // SQLite still has the foreign keys; this test has no users or clients.
        if url.starts_with("sqlite:") {
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for (token, used, revoked, expires) in [
            ("live", None, None, now + 3600),
            ("used", Some(now), None, now + 3600),
            ("revoked", None, Some(now), now + 3600),
            ("expired", None, None, now - 1),
        ] {
            sqlx::query(
                "INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, created_at, expires_at, used_at, revoked_at)
                 VALUES ($1, 'fam', 'u1', 'c1', 'openid', 'sid1', $5, 'pwd otp', '', 1, $2, $3, $4)",
            )
            .bind(sha256_hex(token))
            .bind(expires)
            .bind(used)
            .bind(revoked)
            // Signed in just now: migration 0013 bounds a grant by its session's end.
            .bind(now)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
        let store = Store::connect(url, 2, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(store.refresh_family_count().await.unwrap(), 1);
        let live = refresh_token::parse("live").unwrap();
        match store.find_refresh_for_use(&live, now).await.unwrap() {
            RefreshUse::Fresh { grant, .. } => {
                assert_eq!(grant.family_id, sha256_hex("live"));
                assert_eq!((grant.generation, grant.client_id.as_str()), (0, "c1"));
            }
            other => panic!("{other:?}"),
        }
        for gone in ["used", "revoked", "expired"] {
            let t = refresh_token::parse(gone).unwrap();
            assert!(store.find_live_refresh(&t, now).await.unwrap().is_none());
        }
        store.close().await;
    }

    /// Migration 0013 on live grants made before it: one without `offline_access` is
    /// bounded by the end its session had at the latest (auth_time + the default 10 h); an
    /// offline one, one already shorter, and a revoked one are left as they were.
    async fn upgrade_bounds_grants_by_their_session(url: &str, migrator: &sqlx::migrate::Migrator) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        migrator.run_to(11, &mut conn).await.unwrap();
        let (t, day) = (1_000_000_i64, 86_400_i64);
        for (family, scope, expires, revoked) in [
            ("bound", "openid profile", t + 30 * day, None),
            (
                "offline",
                "openid offline_access profile",
                t + 30 * day,
                None,
            ),
            ("short", "openid", t + 3600, None),
            ("revoked", "openid", t + 30 * day, Some(t)),
        ] {
            sqlx::query(
                "INSERT INTO refresh_families (family_id, current_hash, generation, user_id, client_id, scope, sid, auth_time, amr, acr, created_at, rotated_at, expires_at, revoked_at)
                 VALUES ($1, 'h', 0, 'u1', 'c1', $2, 'sid1', $3, 'pwd otp', '', $3, $3, $4, $5)",
            )
            .bind(family)
            .bind(scope)
            .bind(t)
            .bind(expires)
            .bind(revoked)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
        let store = Store::connect(url, 2, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        for (family, want) in [
            ("bound", t + 36_000),
            ("offline", t + 30 * day),
            ("short", t + 3600),
            ("revoked", t + 30 * day),
        ] {
            let got: i64 =
                sqlx::query_scalar("SELECT expires_at FROM refresh_families WHERE family_id = $1")
                    .bind(family)
                    .fetch_one(&store.pool)
                    .await
                    .unwrap();
            assert_eq!(got, want, "{family}");
        }
        store.close().await;
    }

    #[tokio::test]
    async fn upgrade_bounds_grants_by_their_session_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/g.db?mode=rwc", dir.path().display());
        upgrade_bounds_grants_by_their_session(&url, &SQLITE_MIGRATIONS).await;
    }

    #[tokio::test]
    async fn upgrade_bounds_grants_by_their_session_postgres() {
        if skip(&[Need::Postgres]) {
            return;
        }
        upgrade_bounds_grants_by_their_session(
            &fresh_postgres_schema().await,
            &POSTGRES_MIGRATIONS,
        )
        .await;
    }

    #[tokio::test]
    async fn upgrade_keeps_only_live_tokens_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/g.db?mode=rwc", dir.path().display());
        upgrade_keeps_only_live_tokens(&url, &SQLITE_MIGRATIONS).await;
    }

    #[tokio::test]
    async fn upgrade_keeps_only_live_tokens_postgres() {
        if skip(&[Need::Postgres]) {
            return;
        }
        upgrade_keeps_only_live_tokens(&fresh_postgres_schema().await, &POSTGRES_MIGRATIONS).await;
    }
}
