//! `audit_events`: who did what to whom, from where. Append-only.

use super::{Store, StoreError};
use crate::domain::audit::{AuditEvent, AuditKind, StoredKind};
use crate::domain::input::{printable, storable_text};

pub(crate) async fn insert<'c, E>(exec: E, e: &AuditEvent<'_>, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor, subject, kind, ip, user_agent, client_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(now)
    // Whatever a caller passes, a NUL (which PostgreSQL refuses, failing the whole write)
    // or another control character never reaches the row; line breaks in details stay.
    .bind(e.actor.map(|s| storable_text(s).into_owned()))
    .bind(e.subject.map(|s| storable_text(s).into_owned()))
    .bind(e.kind.as_str())
    .bind(e.ip.map(|s| storable_text(s).into_owned()))
    .bind(
        e.user_agent
            .map(|s| printable(s).chars().take(300).collect::<String>()),
    )
    .bind(e.client_id.map(|s| storable_text(s).into_owned()))
    .bind(e.detail.map(|s| storable_text(s).into_owned()))
    .execute(exec)
    .await?;
    Ok(())
}

/// The sink's writer finds the NIPs of the ids it prints here.
impl crate::ops::audit_sink::NipLookup for Store {
    async fn nips_of(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, String> {
        Store::nips_of(self, ids).await.map_err(|e| e.to_string())
    }
}

impl Store {
    pub async fn audit(&self, e: &AuditEvent<'_>, now: i64) -> Result<(), StoreError> {
        insert(&self.pool, e, now).await?;
        self.audited(e, now);
        Ok(())
    }

    /// What follows a stored event (after its transaction commits): the login metrics and
    /// the audit sink. Never fails and never waits.
    pub(crate) fn audited(&self, e: &AuditEvent<'_>, now: i64) {
        crate::ops::metrics::audit_event(e.kind);
        self.audit_sink.emit(e, now);
    }

    pub async fn count_audit_events(&self, kind: AuditKind) -> Result<i64, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The newest events about a person: (at, kind, ip, detail).
    pub async fn recent_audit(
        &self,
        subject: &str,
        limit: i64,
    ) -> Result<Vec<(i64, StoredKind, Option<String>, Option<String>)>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT at, kind, ip, detail FROM audit_events WHERE subject = $1 ORDER BY at DESC, id LIMIT $2",
        )
        .bind(subject)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("at")?,
                    StoredKind::parse(r.try_get("kind")?),
                    r.try_get("ip")?,
                    r.try_get("detail")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Audit search for admins; `None` filters match everything. Newest first, at most `limit`.
    pub async fn search_audit(
        &self,
        f: &AuditFilter<'_>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        use sqlx::Row;
        // Only the filters given become conditions, so each is a range scan of its own
        // index (audit_events_actor/_subject/_kind, else _at) read newest first; a
        // catch-all `$1 = '' OR …` would leave PostgreSQL's generic plan a full scan.
        let mut sql = String::from(
            "SELECT a.at, a.kind, a.ip, a.detail, ua.nip AS actor_nip, us.nip AS subject_nip
             FROM audit_events a
             LEFT JOIN users ua ON ua.id = a.actor
             LEFT JOIN users us ON us.id = a.subject
             WHERE a.at >= $1 AND a.at < $2",
        );
        let mut binds: Vec<&str> = Vec::new();
        let kind = f.kind;
        for (value, cond) in [
            (
                f.actor_nip,
                "a.actor = (SELECT id FROM users WHERE nip = $)",
            ),
            (
                f.subject_nip,
                "a.subject = (SELECT id FROM users WHERE nip = $)",
            ),
            (kind, "a.kind = $"),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                binds.push(v);
                sql.push_str(" AND ");
                sql.push_str(&cond.replace('$', &format!("${}", binds.len() + 2)));
            }
        }
        sql.push_str(&format!(
            " ORDER BY a.at DESC, a.id LIMIT ${}",
            binds.len() + 3
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(f.from)
            .bind(f.to);
        for v in binds {
            q = q.bind(v);
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: r.try_get("at")?,
                    kind: StoredKind::parse(r.try_get("kind")?),
                    actor_nip: r.try_get("actor_nip")?,
                    subject_nip: r.try_get("subject_nip")?,
                    ip: r.try_get("ip")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

#[derive(Debug, Default)]
pub struct AuditFilter<'a> {
    pub actor_nip: Option<&'a str>,
    pub subject_nip: Option<&'a str>,
    /// The word as stored: a kind this build does not write (a newer replica's, or one
    /// written by hand) can still be searched for.
    pub kind: Option<&'a str>,
    pub from: i64,
    pub to: i64,
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: i64,
    pub kind: StoredKind,
    pub actor_nip: Option<String>,
    pub subject_nip: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}
