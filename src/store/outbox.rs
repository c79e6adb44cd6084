//! `mail_outbox`: mail is queued in the same transaction as the change it reports, and a
//! worker sends it with retry. Claims are leases, so replicas never send the same row twice
//! at once; a crash between sending and marking resends (at-least-once, never lost).

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: String,
    pub mail: Mail,
    pub attempts: i64,
}

/// One `mail_outbox` row as stored.
#[derive(Debug, Clone)]
pub struct StoredMail {
    pub id: String,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// `next_at` of a row the worker gave up on (mail and back-channel logouts): never due again,
/// left for an operator until the janitor's retention window passes.
pub const GIVEN_UP: i64 = i64::MAX / 2;

/// How long a claimed row stays invisible to other workers.
const LEASE_SECS: i64 = 120;

pub(crate) async fn insert<'c, E>(exec: E, m: &Mail, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO mail_outbox (id, recipient, subject, body, attempts, next_at, created_at)
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&m.to)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

impl Store {
    pub async fn enqueue_mail(&self, m: &Mail, now: i64) -> Result<(), StoreError> {
        insert(&self.pool, m, now).await?;
        Ok(())
    }

    /// Leases up to `limit` due rows of an outbox table (`mail_outbox`, `logout_outbox`: both
    /// have `id`, `next_at`, `attempts`, `sent_at`) for `lease` seconds and returns `columns`.
    /// The outer conditions are re-checked by PostgreSQL on the row it finally locks, so two
    /// replicas racing for the same row cannot both claim it.
    pub(crate) async fn claim_due(
        &self,
        table: &'static str,
        columns: &'static str,
        now: i64,
        limit: i64,
        lease: i64,
    ) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET next_at = $1 + $3, attempts = attempts + 1
             WHERE id IN (SELECT id FROM {table} WHERE sent_at IS NULL AND next_at <= $1
                          ORDER BY next_at LIMIT $2)
               AND sent_at IS NULL AND next_at <= $1
             RETURNING {columns}"
        )))
        .bind(now)
        .bind(limit)
        .bind(lease)
        .fetch_all(&self.pool)
        .await
    }

    /// Claims up to `limit` due messages for `LEASE_SECS`.
    pub async fn claim_mail(&self, now: i64, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows = self
            .claim_due(
                "mail_outbox",
                "id, recipient, subject, body, attempts",
                now,
                limit,
                LEASE_SECS,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QueuedMail {
                    id: r.try_get("id")?,
                    mail: Mail {
                        to: r.try_get("recipient")?,
                        subject: r.try_get("subject")?,
                        body: r.try_get("body")?,
                    },
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Records a delivery and empties the body in the same statement: a delivered message may
    /// have carried a reset code or link, which must not stay readable in the database for the
    /// outbox's retention (recipient and subject stay, for the operator).
    pub async fn mark_mail_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET sent_at = $2, last_error = NULL, body = '' WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_mail_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: i64,
    ) -> Result<(), StoreError> {
        // A message given up on is never sent: its body (and any code in it) goes now.
        sqlx::query(
            "UPDATE mail_outbox SET last_error = $2, next_at = $3,
                body = CASE WHEN $3 >= $4 THEN '' ELSE body END
             WHERE id = $1",
        )
        .bind(id)
        .bind(error.chars().take(500).collect::<String>())
        .bind(retry_at)
        .bind(GIVEN_UP)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everything the outbox keeps of the messages to `recipient` (for operators' checks and
    /// the tests: what stays readable in the database after delivery).
    pub async fn outbox_to(&self, recipient: &str) -> Result<Vec<StoredMail>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, subject, body, sent_at, last_error FROM mail_outbox
             WHERE recipient = $1 ORDER BY created_at",
        )
        .bind(recipient)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredMail {
                    id: r.try_get("id")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    sent_at: r.try_get("sent_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    pub async fn unsent_mail_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM mail_outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}
