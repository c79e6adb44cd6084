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
}
