//! `totp_credentials` and `recovery_codes`.

use sqlx::Row;

use super::outbox::{self, Mail};
use super::{Store, StoreError, audit};

#[derive(Debug, Clone)]
pub struct TotpCredential {
    pub id: String,
    pub user_id: String,
    pub device_name: String,
    /// AES-256-GCM sealed base32 secret (see `KeyRing::seal`).
    pub secret_enc: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_step: Option<i64>,
}

/// A confirmed enrolment, with what must be written beside it in one transaction.
pub struct NewDevice<'a> {
    pub user_id: &'a str,
    pub device_name: &'a str,
    pub secret_enc: &'a str,
    /// Hashes of fresh recovery codes (first device only), replacing any old ones.
    pub recovery_hashes: &'a [String],
    pub event: &'a crate::domain::audit::AuditEvent<'a>,
    /// The e-mail telling the person (test fixtures may skip it).
    pub notice: Option<&'a Mail>,
    /// Only if the person has no device yet (an enrolment that the password alone allowed):
    /// `Conflict` otherwise, decided in the same statement as the insert.
    pub first_only: bool,
}

impl Store {
    /// Whether the person has an authenticator: then a password alone never adds another.
    pub async fn has_second_factor(&self, user_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM totp_credentials WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    pub async fn list_totp(&self, user_id: &str) -> Result<Vec<TotpCredential>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, device_name, secret_enc, created_at, last_used_at, last_used_step
             FROM totp_credentials WHERE user_id = $1 ORDER BY created_at, device_name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TotpCredential {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    device_name: r.try_get("device_name")?,
                    secret_enc: r.try_get("secret_enc")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    last_used_step: r.try_get("last_used_step")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Stores a confirmed device (and recovery codes, audit row and notice) atomically.
    /// `Duplicate` when the person already has a device of that name.
    pub async fn add_totp(&self, d: &NewDevice<'_>, now: i64) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.pool.begin().await?;
        if d.first_only {
            // Serialise first enrolments of one person: on PostgreSQL two racing
            // transactions would both see "no device yet" (SQLite writers queue anyway).
            sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                .bind(d.user_id)
                .execute(&mut *tx)
                .await?;
        }
        let sql = if d.first_only {
            "INSERT INTO totp_credentials (id, user_id, device_name, secret_enc, created_at)
             SELECT $1, $2, $3, $4, $5
             WHERE NOT EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = $2)"
        } else {
            "INSERT INTO totp_credentials (id, user_id, device_name, secret_enc, created_at)
             VALUES ($1, $2, $3, $4, $5)"
        };
        let inserted = sqlx::query(sql)
            .bind(&id)
            .bind(d.user_id)
            .bind(d.device_name)
            .bind(d.secret_enc)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_insert)?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        if !d.recovery_hashes.is_empty() {
            replace_recovery(&mut tx, d.user_id, d.recovery_hashes).await?;
        }
        audit::insert(&mut *tx, d.event, now).await?;
        if let Some(n) = d.notice {
            outbox::insert(&mut *tx, n, now).await?;
        }
        tx.commit().await?;
        self.audited(d.event, now);
        Ok(id)
    }

    /// Spends a time step on a device. Steps only move forward, so an accepted code and
    /// every older one are dead on every replica at once.
    pub async fn use_totp_step(
        &self,
        credential_id: &str,
        step: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE totp_credentials SET last_used_step = $2, last_used_at = $3
             WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
        )
        .bind(credential_id)
        .bind(step)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Consumes a recovery code; false when unknown or already used.
    pub async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn unused_recovery_codes(&self, user_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}

/// A device change (rename or removal) with its audit row and notice, in one transaction.
pub struct DeviceChange<'a> {
    pub user_id: &'a str,
    pub credential_id: &'a str,
    /// `Some(name)` renames; `None` removes.
    pub new_name: Option<&'a str>,
    pub event: &'a crate::domain::audit::AuditEvent<'a>,
    pub notice: &'a Mail,
}

impl Store {
    /// Renames or removes one of the person's own devices. False when it is not theirs;
    /// `Duplicate` when the new name is taken.
    pub async fn change_device(&self, c: &DeviceChange<'_>, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = match c.new_name {
            Some(name) => sqlx::query(
                "UPDATE totp_credentials SET device_name = $3 WHERE id = $1 AND user_id = $2",
            )
            .bind(c.credential_id)
            .bind(c.user_id)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_insert)?,
            None => {
                sqlx::query("DELETE FROM totp_credentials WHERE id = $1 AND user_id = $2")
                    .bind(c.credential_id)
                    .bind(c.user_id)
                    .execute(&mut *tx)
                    .await?
            }
        };
        if changed.rows_affected() != 1 {
            return Ok(false);
        }
        if c.new_name.is_none() {
            // Recovery codes belong to the set of devices: with the last device gone they go
            // too, and the next login enrols afresh (no half-factor left behind).
            sqlx::query(
                "DELETE FROM recovery_codes WHERE user_id = $1
                 AND NOT EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = $1)",
            )
            .bind(c.user_id)
            .execute(&mut *tx)
            .await?;
        }
        audit::insert(&mut *tx, c.event, now).await?;
        outbox::insert(&mut *tx, c.notice, now).await?;
        tx.commit().await?;
        self.audited(c.event, now);
        Ok(true)
    }

    pub async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        event: &crate::domain::audit::AuditEvent<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        replace_recovery(&mut tx, user_id, hashes).await?;
        audit::insert(&mut *tx, event, now).await?;
        tx.commit().await?;
        self.audited(event, now);
        Ok(())
    }
}

async fn replace_recovery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(h)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
