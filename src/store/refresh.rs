//! `refresh_tokens`: stored only as SHA-256; rotation marks a token used, and a second use
//! of the same token revokes its whole family (RFC 9700 §4.14).

use sqlx::Row;
use sqlx::any::AnyRow;

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
    /// Unused and live: now marked used; the caller issues its successor.
    Fresh(Box<RefreshGrant>),
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
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&g.hash)
        .bind(&g.family_id)
        .bind(&g.user_id)
        .bind(&g.client_id)
        .bind(&g.scope)
        .bind(&g.sid)
        .bind(g.auth_time)
        .bind(&g.amr)
        .bind(&g.acr)
        .bind(now)
        .bind(g.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Atomically consumes a refresh token. Two racing requests with the same token cannot
    /// both win: the `used_at IS NULL` guard lets exactly one UPDATE match.
    pub async fn use_refresh(&self, hash: &str, now: i64) -> Result<RefreshUse, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE refresh_tokens SET used_at = $2
             WHERE hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
             RETURNING ",
            refresh_columns!(),
            ""
        ))
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            return Ok(RefreshUse::Fresh(Box::new(from_row(&row)?)));
        }
        let known = sqlx::query("SELECT family_id, expires_at FROM refresh_tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        match known {
            Some(row) if row.try_get::<i64, _>("expires_at")? > now => {
                let family: String = row.try_get("family_id")?;
                self.revoke_family(&family, now).await?;
                Ok(RefreshUse::Replayed)
            }
            _ => Ok(RefreshUse::Invalid),
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
