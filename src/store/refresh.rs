//! `refresh_tokens`: stored only as SHA-256; rotation marks a token used, and a second use
//! of the same token revokes its whole family (RFC 9700 §4.14).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::users::{self, User, user_columns};
use super::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub hash: String,
    pub family_id: String,
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
    /// Unused and live; `rotate_refresh` consumes it when the successor is issued. Comes
    /// with its user as stored now (`None` if the row is gone), read in the same query.
    Fresh {
        grant: Box<RefreshGrant>,
        user: Option<Box<User>>,
    },
    /// Used before or revoked: a replay. The family has been revoked.
    Replayed,
    /// Unknown or expired.
    Invalid,
}

macro_rules! refresh_columns {
    () => {
        "hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at"
    };
}

/// The insert's head, shared by `INSERT_REFRESH` and the PostgreSQL rotation so both keep
/// the column order `bind_grant` binds in.
macro_rules! insert_refresh_into {
    () => {
        "INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at, created_at)"
    };
}

macro_rules! insert_refresh {
    () => {
        concat!(
            insert_refresh_into!(),
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )
    };
}

const INSERT_REFRESH: &str = insert_refresh!();

/// Binds a grant as $1..$11 in `INSERT_REFRESH`'s column order.
fn bind_grant<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    g: &'q RefreshGrant,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(&g.hash)
        .bind(&g.family_id)
        .bind(&g.user_id)
        .bind(&g.client_id)
        .bind(&g.scope)
        .bind(&g.sid)
        .bind(g.auth_time)
        .bind(&g.amr)
        .bind(&g.acr)
        .bind(g.expires_at)
        .bind(now)
}

fn from_row(r: &AnyRow) -> Result<RefreshGrant, sqlx::Error> {
    Ok(RefreshGrant {
        hash: r.try_get("hash")?,
        family_id: r.try_get("family_id")?,
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

impl Store {
    pub async fn insert_refresh(&self, g: &RefreshGrant, now: i64) -> Result<(), StoreError> {
        bind_grant(sqlx::query(INSERT_REFRESH), g, now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What a presented token is, changing nothing unless it is a replay: a used or revoked
    /// token that has not expired revokes its family (RFC 9700 §4.14). A live token is
    /// consumed only by `rotate_refresh`, after every check has passed, so a request that
    /// fails a check (a wider scope, say) does not burn the client's token.
    pub async fn find_refresh_for_use(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<RefreshUse, StoreError> {
        // The user comes in the same round trip: a refresh always needs it, and one query
        // instead of two is one PostgreSQL transaction fewer per refresh. No column name
        // is shared by the two lists, so the row reads as either.
        let row = sqlx::query(concat!(
            "SELECT ",
            refresh_columns!(),
            ", used_at, revoked_at, u.* FROM refresh_tokens
             LEFT JOIN (SELECT ",
            user_columns!(),
            " FROM users) u ON u.id = refresh_tokens.user_id
             WHERE hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshUse::Invalid);
        };
        let grant = from_row(&row)?;
        if grant.expires_at <= now {
            return Ok(RefreshUse::Invalid);
        }
        let used: Option<i64> = row.try_get("used_at")?;
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        if used.is_some() || revoked.is_some() {
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

    /// The common refresh in one round trip (PostgreSQL): consumes `old_hash` if it is live,
    /// was issued to `client_id` and its user is active, stores its successor `next_hash`
    /// in the same family, and returns the old grant with the user. `None` when any of that
    /// does not hold, and always on SQLite (no data-changing CTEs): the caller then takes
    /// the checked path (`find_refresh_for_use`, checks, `rotate_refresh`), which tells the
    /// cases apart and revokes where it must. A parallel replay that loses here finds the
    /// token used there and revokes the family, whose successor is already committed.
    pub async fn rotate_live_refresh(
        &self,
        old_hash: &str,
        client_id: &str,
        next_hash: &str,
        now: i64,
    ) -> Result<Option<(RefreshGrant, User)>, StoreError> {
        if self.backend != super::Backend::Postgres {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "WITH old AS (
                UPDATE refresh_tokens SET used_at = $1
                WHERE hash = $2 AND client_id = $3
                  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
                  AND user_id IN (SELECT id FROM users WHERE status = 'active')
                RETURNING ",
            refresh_columns!(),
            "), next AS (",
            insert_refresh_into!(),
            " SELECT $4, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, expires_at, $1
                FROM old)
             SELECT old.*, u.* FROM old JOIN (SELECT ",
            user_columns!(),
            " FROM users) u ON u.id = old.user_id"
        ))
        .bind(now)
        .bind(old_hash)
        .bind(client_id)
        .bind(next_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some((from_row(&row)?, users::from_row(&row)?)))
    }

    /// Marks `old_hash` used and stores its successor; on PostgreSQL in one commit (one WAL
    /// flush instead of two). Returns false when `old_hash` is no longer live: a parallel
    /// request with the same token won, which the caller treats as a replay and answers by
    /// revoking the family (this successor included). The `used_at IS NULL` guard lets
    /// exactly one of them match.
    pub async fn rotate_refresh(
        &self,
        old_hash: &str,
        next: &RefreshGrant,
        now: i64,
    ) -> Result<bool, StoreError> {
        match self.backend {
            // One statement: the insert happens only if the update matched.
            super::Backend::Postgres => {
                let q = sqlx::query(concat!(
                    "WITH used AS (
                        UPDATE refresh_tokens SET used_at = $11
                        WHERE hash = $12 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $11
                        RETURNING 1) ",
                    insert_refresh_into!(),
                    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM used"
                ));
                let r = bind_grant(q, next, now)
                    .bind(old_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(r.rows_affected() == 1)
            }
            // SQLite has no data-changing CTEs, and a transaction held the write lock across
            // two round trips to its worker thread (busy-handler sleeps: refresh p99 460 ms).
            // So two autocommit statements, successor first: whoever then fails to consume
            // the old token revokes the family, and the winner's successor is already in it.
            // (Consuming first let a racing loser revoke the family before the successor
            // existed, leaving it live.) A crash in between leaves an unused successor whose
            // value nobody received.
            super::Backend::Sqlite => {
                // Both statements in one query: one hand-off to sqlx's SQLite thread instead
                // of two (each still commits on its own). 2 rows = inserted and consumed.
                let q = sqlx::query(concat!(
                    insert_refresh!(),
                    "; UPDATE refresh_tokens SET used_at = $11
                     WHERE hash = $12 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $11"
                ));
                let r = bind_grant(q, next, now)
                    .bind(old_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(r.rows_affected() == 2)
            }
        }
    }

    /// A live token's grant, without consuming it (introspection, revocation).
    pub async fn find_live_refresh(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<RefreshGrant>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_tokens
             WHERE hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2"
        ))
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn revoke_family(&self, family_id: &str, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Ends the refresh tokens tied to an SSO session (logout). `offline_access` grants
    /// outlive the browser session by design and are left alone.
    pub async fn revoke_session_refresh(&self, sid: &str, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2
             WHERE sid = $1 AND revoked_at IS NULL AND ' ' || scope || ' ' NOT LIKE '% offline_access %'",
        )
        .bind(sid)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn revoke_user_refresh(&self, user_id: &str, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }
}
