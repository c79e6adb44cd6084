//! `audit_events`: who did what to whom, from where. Append-only.

use super::{Store, StoreError};

#[derive(Debug, Clone, Default)]
pub struct AuditEvent<'a> {
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub kind: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

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
    .bind(e.actor)
    .bind(e.subject)
    .bind(e.kind)
    .bind(e.ip)
    .bind(
        e.user_agent
            .map(|s| s.chars().take(300).collect::<String>()),
    )
    .bind(e.client_id)
    .bind(e.detail)
    .execute(exec)
    .await?;
    Ok(())
}

impl Store {
    pub async fn audit(&self, e: &AuditEvent<'_>, now: i64) -> Result<(), StoreError> {
        insert(&self.pool, e, now).await?;
        crate::ops::metrics::audit_event(e.kind);
        Ok(())
    }

    pub async fn count_audit_events(&self, kind: &str) -> Result<i64, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE kind = $1")
            .bind(kind)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The newest events about a person: (at, kind, ip, detail).
    pub async fn recent_audit(
        &self,
        subject: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String, Option<String>, Option<String>)>, StoreError> {
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
                    r.try_get("kind")?,
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
        let rows = sqlx::query(
            "SELECT a.at, a.kind, a.ip, a.detail, ua.nip AS actor_nip, us.nip AS subject_nip
             FROM audit_events a
             LEFT JOIN users ua ON ua.id = a.actor
             LEFT JOIN users us ON us.id = a.subject
             WHERE ($1 = '' OR ua.nip = $1) AND ($2 = '' OR us.nip = $2) AND ($3 = '' OR a.kind = $3)
               AND a.at >= $4 AND a.at < $5
             ORDER BY a.at DESC, a.id LIMIT $6",
        )
        .bind(f.actor_nip.unwrap_or(""))
        .bind(f.subject_nip.unwrap_or(""))
        .bind(f.kind.unwrap_or(""))
        .bind(f.from)
        .bind(f.to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
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
    pub kind: Option<&'a str>,
    pub from: i64,
    pub to: i64,
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: i64,
    pub kind: String,
    pub actor_nip: Option<String>,
    pub subject_nip: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}
