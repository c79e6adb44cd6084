//! What the janitor deletes, and its leases. Every purge removes at most `limit` rows in one
//! short statement, chosen by an index range in index order, so a backlog of millions is
//! worked off in many small transactions and never holds a lock the hot paths would notice.

use sqlx::Row;

use super::outbox::GIVEN_UP;
use super::{Store, StoreError};

/// One kind of leftover, each with its own index-backed statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// Mail delivered before the cutoff (`mail_outbox_due`: `sent_at` range).
    SentMail,
    /// Mail given up on, queued before the cutoff (`sent_at IS NULL`, `next_at` at the marker).
    GivenUpMail,
    /// Back-channel logouts delivered before the cutoff (`logout_outbox_due`).
    SentLogouts,
    /// Back-channel logouts given up on, queued before the cutoff.
    GivenUpLogouts,
    /// Audit events older than the cutoff (`audit_events_at`).
    AuditEvents,
}

impl Purge {
    fn sql(self) -> &'static str {
        match self {
            Purge::SentMail => {
                "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox
                   WHERE sent_at < $1 ORDER BY sent_at LIMIT $2)"
            }
            Purge::GivenUpMail => {
                "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox
                   WHERE sent_at IS NULL AND next_at >= $3 AND created_at < $1 LIMIT $2)"
            }
            Purge::SentLogouts => {
                "DELETE FROM logout_outbox WHERE id IN (SELECT id FROM logout_outbox
                   WHERE sent_at < $1 ORDER BY sent_at LIMIT $2)"
            }
            Purge::GivenUpLogouts => {
                "DELETE FROM logout_outbox WHERE id IN (SELECT id FROM logout_outbox
                   WHERE sent_at IS NULL AND next_at >= $3 AND created_at < $1 LIMIT $2)"
            }
            Purge::AuditEvents => {
                "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
                   WHERE at < $1 ORDER BY at LIMIT $2)"
            }
        }
    }
}

impl Store {
    /// Takes (or renews, for its holder) the lease on `job` until `until`, if nobody else
    /// holds it at `now`. One conditional upsert: of replicas racing for a free lease, exactly
    /// one gets a row back.
    pub async fn claim_janitor_lease(
        &self,
        job: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO janitor_leases (job, holder, until) VALUES ($1, $2, $3)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE janitor_leases.until <= $4 OR janitor_leases.holder = $2
             RETURNING job",
        )
        .bind(job)
        .bind(holder)
        .bind(until)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Deletes up to `limit` rows of `what` older than `cutoff`; returns how many went.
    pub async fn purge_batch(
        &self,
        what: Purge,
        cutoff: i64,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(what.sql())
            .bind(cutoff)
            .bind(limit)
            .bind(GIVEN_UP)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes up to `limit` refresh grants (families, one row each) that can no longer be
    /// used: expired ones, and those revoked before `revoked_before`. A live family is one
    /// row whatever its age, and it alone recognises a replay of its earlier tokens (RFC 9700
    /// §4.14), so nothing of it is deleted. The one place that knows the refresh table's shape
    /// for the janitor.
    pub async fn purge_dead_refresh_families(
        &self,
        now: i64,
        revoked_before: i64,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let mut gone = 0;
        for (sql, cutoff) in [
            (
                "DELETE FROM refresh_families WHERE family_id IN (SELECT family_id FROM refresh_families
                   WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
                now,
            ),
            (
                "DELETE FROM refresh_families WHERE family_id IN (SELECT family_id FROM refresh_families
                   WHERE revoked_at IS NOT NULL AND revoked_at < $1 ORDER BY revoked_at LIMIT $2)",
                revoked_before,
            ),
        ] {
            gone += sqlx::query(sql)
                .bind(cutoff)
                .bind(limit)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(gone)
    }

    /// The NIPs of the given user ids (ids that are no user are absent from the answer).
    pub async fn nips_of(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut out = std::collections::HashMap::new();
        // Bounded lists keep the statement small (and under SQLite's variable limit).
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, nip FROM users WHERE id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get("id")?, r.try_get("nip")?);
            }
        }
        Ok(out)
    }

    /// Rows in one of the tables the janitor works (for operators' checks and the tests).
    pub async fn count_rows(&self, table: &str) -> Result<i64, StoreError> {
        let table = match table {
            "mail_outbox" | "logout_outbox" | "audit_events" | "refresh_families"
            | "session_clients" => table,
            other => return Err(StoreError::Corrupt(format!("no such table: {other}"))),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}
