//! `users`: one row per ASN, keyed by an opaque id (the token `sub`) and unique by NIP.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::outbox::{self, Mail};
use super::{Store, StoreError, audit};
use crate::domain::lockout::Policy;
use crate::domain::user_status::UserStatus;

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub nip: String,
    pub name: String,
    pub email: String,
    pub instansi_id: Option<String>,
    pub unit_kerja: Option<String>,
    pub jabatan: Option<String>,
    pub status: UserStatus,
    /// When the helpdesk disabled the account (its hold), whatever `status` says: no import
    /// lifts it, only a helpdesk or admin Enable.
    pub helpdesk_hold_at: Option<i64>,
    /// The SIASN employment state the last import carried (`domain::siasn` code).
    pub siasn_status: Option<String>,
    /// SSO sessions that began before this moment no longer count (an import re-enabled the
    /// person).
    pub sessions_after: Option<i64>,
    pub password_hash: Option<String>,
    /// Set when the person proved they read this address (activation or reset by e-mail).
    pub email_verified: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub lock_level: i64,
    pub created_at: i64,
}

impl User {
    /// Whether a session that began at `auth_time` still counts for this person.
    pub fn admits_session(&self, auth_time: i64) -> bool {
        self.sessions_after.is_none_or(|t| auth_time >= t)
    }

    /// May sign in and use what they were given: active by status and not held by the
    /// helpdesk. Every "may this person in" decision goes through here.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active && !self.held()
    }

    /// Whether the helpdesk's Disable keeps the account off.
    pub fn held(&self) -> bool {
        self.helpdesk_hold_at.is_some()
    }

    /// Whether the last import's SIASN state is one that is not active (retired, dismissed…),
    /// whatever `status` says now.
    pub fn siasn_says_left(&self) -> bool {
        self.siasn_status
            .as_deref()
            .and_then(crate::domain::siasn::SiasnStatus::from_code)
            .is_some_and(|s| !s.is_active())
    }

    /// Why the import disabled this account, when it did (`None` for a helpdesk disable).
    pub fn siasn_reason(&self) -> Option<crate::domain::siasn::Reason> {
        // Held: correcting the SIASN record would not bring the account back, so the person
        // is sent to the helpdesk.
        if self.status != UserStatus::SiasnInactive || self.held() {
            return None;
        }
        self.siasn_status
            .as_deref()
            .and_then(crate::domain::siasn::SiasnStatus::from_code)
            .and_then(|s| s.reason())
    }

    /// The temporary lock in force at `now`, if any.
    pub fn locked_at(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|u| *u > now)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub nip: String,
    pub name: String,
    pub email: String,
    pub instansi_id: Option<String>,
    pub unit_kerja: Option<String>,
    pub jabatan: Option<String>,
    pub password_hash: Option<String>,
}

macro_rules! user_columns {
    () => {
        "id, nip, name, email, instansi_id, unit_kerja, jabatan, status, helpdesk_hold_at, siasn_status, sessions_after, password_hash, email_verified_at, failed_logins, locked_until, lock_level, created_at"
    };
}
pub(super) use user_columns;

pub(super) fn from_row(r: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: r.try_get("id")?,
        nip: r.try_get("nip")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        instansi_id: r.try_get("instansi_id")?,
        unit_kerja: r.try_get("unit_kerja")?,
        jabatan: r.try_get("jabatan")?,
        status: stored_status(r.try_get("status")?),
        helpdesk_hold_at: r.try_get("helpdesk_hold_at")?,
        siasn_status: r.try_get("siasn_status")?,
        sessions_after: r.try_get("sessions_after")?,
        password_hash: r.try_get("password_hash")?,
        email_verified: r.try_get::<Option<i64>, _>("email_verified_at")?.is_some(),
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        lock_level: r.try_get("lock_level")?,
        created_at: r.try_get("created_at")?,
    })
}

/// See `UserStatus::from_stored`; an unknown word is worth a line in the log.
fn stored_status(s: String) -> UserStatus {
    let status = UserStatus::from_stored(&s);
    if status.as_str() != s {
        tracing::warn!(status = %s, "unknown users.status, read as disabled");
    }
    status
}

impl Store {
    pub async fn insert_user(&self, u: &NewUser, now: i64) -> Result<User, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let row = sqlx::query(concat!("INSERT INTO users (id, nip, name, email, instansi_id, unit_kerja, jabatan, password_hash, password_changed_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING ", user_columns!(), ""))
        .bind(&id)
        .bind(&u.nip)
        .bind(&u.name)
        .bind(&u.email)
        .bind(&u.instansi_id)
        .bind(&u.unit_kerja)
        .bind(&u.jabatan)
        .bind(&u.password_hash)
        .bind(u.password_hash.as_ref().map(|_| now))
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from_insert)?;
        Ok(from_row(&row)?)
    }

    pub async fn find_user_by_nip(&self, nip: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE nip = $1"
        ))
        .bind(nip)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn find_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

/// What a failed attempt did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    Counted(i64),
    /// This failure started a lock until the given instant.
    Locked(i64),
}

impl Store {
    /// Counts a failed login atomically (replicas may race); locks when the count reaches the
    /// threshold. The lock length comes from `policy` and the account's lock level.
    pub async fn record_login_failure(
        &self,
        user_id: &str,
        policy: &Policy,
        now: i64,
    ) -> Result<FailureOutcome, StoreError> {
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, updated_at = $2 WHERE id = $1
             RETURNING failed_logins, lock_level",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let failures: i64 = row.try_get("failed_logins")?;
        let level: i64 = row.try_get("lock_level")?;
        if failures < i64::from(policy.threshold) {
            return Ok(FailureOutcome::Counted(failures));
        }
        let until = now + policy.lock_secs(level.clamp(0, 64) as u32);
        // Only the request that crossed the threshold sets the lock; a concurrent one that
        // finds the count already reset does nothing.
        let locked = sqlx::query(
            "UPDATE users SET failed_logins = 0, lock_level = lock_level + 1, locked_until = $2
             WHERE id = $1 AND failed_logins >= $3 RETURNING locked_until",
        )
        .bind(user_id)
        .bind(until)
        .bind(i64::from(policy.threshold))
        .fetch_optional(&self.pool)
        .await?;
        Ok(match locked {
            Some(_) => FailureOutcome::Locked(until),
            None => FailureOutcome::Counted(0),
        })
    }

    /// Reserves one guess for the account before it is compared: granted only while the
    /// account is not locked and fewer than `threshold` guesses are counted, so parallel
    /// guesses on any number of replicas get `threshold` comparisons per lock, never more.
    pub async fn reserve_login_attempt(
        &self,
        user_id: &str,
        threshold: u32,
        memory_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        // A count untouched for `memory_secs` starts over, as a cache counter expires (all
        // right-hand sides read the row as it was, before this update).
        let row = sqlx::query(
            "UPDATE users SET
                 failed_logins = CASE WHEN updated_at < $4 THEN 1 ELSE failed_logins + 1 END,
                 lock_level = CASE WHEN updated_at < $5 THEN 0 ELSE lock_level END,
                 updated_at = $2
             WHERE id = $1 AND status <> 'locked'
               AND (locked_until IS NULL OR locked_until <= $2)
               AND (failed_logins < $3 OR updated_at < $4)
             RETURNING failed_logins",
        )
        .bind(user_id)
        .bind(now)
        .bind(i64::from(threshold.max(1)))
        .bind(now - memory_secs)
        // The lock level fades after twice that, as a cache counter's level does.
        .bind(now - 2 * memory_secs)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// A reserved guess failed: it stays counted, and the guess that filled the count starts
    /// the lock (exactly once, whatever runs in parallel).
    pub async fn settle_login_failure(
        &self,
        user_id: &str,
        policy: &Policy,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let Some(row) = sqlx::query("SELECT failed_logins, lock_level FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let failures: i64 = row.try_get("failed_logins")?;
        let level: i64 = row.try_get("lock_level")?;
        if failures < i64::from(policy.threshold.max(1)) {
            return Ok(None);
        }
        let until = now + policy.lock_secs(level.clamp(0, 64) as u32);
        let locked = sqlx::query(
            "UPDATE users SET failed_logins = 0, lock_level = lock_level + 1, locked_until = $2,
                    updated_at = $5
             WHERE id = $1 AND failed_logins >= $3 AND lock_level = $4 RETURNING id",
        )
        .bind(user_id)
        .bind(until)
        .bind(i64::from(policy.threshold.max(1)))
        .bind(level)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(locked.map(|_| until))
    }

    /// Gives back one guess `reserve_login_attempt` counted (never below zero; a lock in
    /// force stays).
    pub async fn release_login_attempt(&self, user_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins - 1 WHERE id = $1 AND failed_logins > 0",
        )
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn record_login_success(&self, user_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET failed_logins = 0, lock_level = 0, updated_at = $2
             WHERE id = $1 AND (failed_logins <> 0 OR lock_level <> 0)",
        )
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets a new password after an e-mailed code to `proved_email` was proven: that address
    /// is now verified if it is still the account's (an import may replace it in between),
    /// the lock state is left alone (a reset proves the mailbox, not the second factor: it
    /// must not hand an OTP guesser a fresh count), and the audit row and the notice are written in the same
    /// transaction, so the change and its mail exist together or not at all.
    pub async fn reset_password(
        &self,
        user_id: &str,
        proved_email: &str,
        password_hash: &str,
        event: &crate::domain::audit::AuditEvent<'_>,
        notice: &Mail,
        now: i64,
    ) -> Result<(), StoreError> {
        self.set_password(
            user_id,
            password_hash,
            Some(proved_email),
            event,
            notice,
            now,
        )
        .await
    }

    /// A signed-in person changing their own password (nothing about the e-mail is proven).
    pub async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        event: &crate::domain::audit::AuditEvent<'_>,
        notice: &Mail,
        now: i64,
    ) -> Result<(), StoreError> {
        self.set_password(user_id, password_hash, None, event, notice, now)
            .await
    }

    async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        proves_email: Option<&str>,
        event: &crate::domain::audit::AuditEvent<'_>,
        notice: &Mail,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $2, password_changed_at = $3,
                 email_verified_at = CASE WHEN lower(email) = $4 THEN COALESCE(email_verified_at, $3) ELSE email_verified_at END,
                 updated_at = $3
             WHERE id = $1",
        )
        .bind(user_id)
        .bind(password_hash)
        .bind(now)
        .bind(proves_email.map(str::to_ascii_lowercase))
        .execute(&mut *tx)
        .await?;
        audit::insert(&mut *tx, event, now).await?;
        outbox::insert(&mut *tx, notice, now).await?;
        tx.commit().await?;
        self.audited(event, now);
        Ok(())
    }
}

impl Store {
    /// `Active`, `Disabled`, or `Locked` (a lock only the helpdesk lifts).
    pub async fn set_user_status(
        &self,
        user_id: &str,
        status: UserStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(status.as_str())
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
