//! SIASN lifecycle: what a disable by the import ends, set-based for a whole batch.
//!
//! The import writes the people whose state changed into the temporary table
//! `lifecycle_changes` (user_id, nip, change, siasn_status; the same pass also notes e-mail
//! conflicts there, with `change` NULL unless both) inside its batch transaction;
//! `apply` then ends their access with a handful of statements, whatever the batch size, so
//! a disable, the end of its grants, its logout deliveries and its audit row commit together.
//!
//! `users.status = 'siasn_inactive'` is the import's own disable. The helpdesk's Disable is
//! a decision taken by a person about an account (suspected compromise, misuse) that SIASN
//! knows nothing about, kept on its own in `users.helpdesk_hold_at`, which the import never
//! reads nor writes: an import saying "aktif" lifts only what it set itself, and a held
//! account stays off.

use sqlx::Row;

use super::StoreError;
use crate::domain::audit::{AuditEvent, AuditKind};

/// The audit actor of every change the import makes.
pub const ACTOR: &str = "import";

/// One batch's transaction, on either driver: the PostgreSQL import runs on a dedicated
/// connection (COPY), everything else on the Any pool.
pub enum Tx<'a> {
    Any(&'a mut sqlx::AnyConnection),
    Pg(&'a mut sqlx::PgConnection),
}

impl Tx<'_> {
    /// Runs a statement whose only parameter is `$1 = now`.
    pub(super) async fn run(&mut self, sql: &'static str, now: i64) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Any(c) => sqlx::query(sql)
                .bind(now)
                .execute(&mut **c)
                .await?
                .rows_affected(),
            Tx::Pg(c) => sqlx::query(sql)
                .bind(now)
                .execute(&mut **c)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a statement without parameters that returns rows of text columns.
    pub(super) async fn texts(
        &mut self,
        sql: &'static str,
        columns: usize,
    ) -> Result<Vec<Vec<String>>, sqlx::Error> {
        match self {
            Tx::Any(c) => {
                let rows = sqlx::query(sql).fetch_all(&mut **c).await?;
                rows.iter()
                    .map(|r| (0..columns).map(|i| r.try_get(i)).collect())
                    .collect()
            }
            Tx::Pg(c) => {
                let rows = sqlx::query(sql).fetch_all(&mut **c).await?;
                rows.iter()
                    .map(|r| (0..columns).map(|i| r.try_get(i)).collect())
                    .collect()
            }
        }
    }
}

/// Creates (once per connection) and empties the batch's list of changes.
pub(super) async fn begin(tx: &mut Tx<'_>) -> Result<(), sqlx::Error> {
    tx.texts(
        "CREATE TEMP TABLE IF NOT EXISTS lifecycle_changes \
         (user_id TEXT NOT NULL, nip TEXT NOT NULL, change TEXT, siasn_status TEXT, \
          stored_email TEXT, siasn_email TEXT)",
        0,
    )
    .await?;
    // The upsert looks each written row up here (its new status).
    tx.texts(
        "CREATE INDEX IF NOT EXISTS lifecycle_changes_user ON lifecycle_changes (user_id)",
        0,
    )
    .await?;
    tx.texts("DELETE FROM lifecycle_changes", 0).await?;
    Ok(())
}

/// One person's change of state by the import: `kind` is `UserDisabled` or `UserEnabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub user_id: String,
    pub kind: AuditKind,
    pub siasn_status: String,
}

impl Change {
    /// The audit row's detail, as `apply` stores it.
    pub fn detail(&self) -> String {
        format!("siasn_status={}", self.siasn_status)
    }
}

/// One batch's lifecycle changes: counts, and each change for the audit sink once the batch
/// has committed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub disabled: u64,
    pub enabled: u64,
    pub logouts_queued: u64,
    pub changes: Vec<Change>,
}

impl super::Store {
    /// Hands a committed batch's changes to the audit sink, waiting where its queue is full:
    /// a 1% import disables some 50,000 people at once, which the request path's never-wait
    /// queue would mostly drop.
    pub async fn audited_changes(&self, changes: &[Change], now: i64) {
        for c in changes {
            let detail = c.detail();
            let ev = AuditEvent {
                actor: Some(ACTOR),
                subject: Some(&c.user_id),
                detail: Some(&detail),
                ..AuditEvent::new(c.kind)
            };
            crate::ops::metrics::audit_event(c.kind);
            self.audit_sink.emit_waiting(&ev, now).await;
        }
    }
}

/// Ends the access of everyone `lifecycle_changes` lists as disabled and writes an audit
/// event for every change. `users.status` itself is already written by the caller.
pub(super) async fn apply(tx: &mut Tx<'_>, now: i64) -> Result<Applied, StoreError> {
    let counts = tx
        .texts(
            "SELECT change, CAST(COUNT(*) AS TEXT) FROM lifecycle_changes \
             WHERE change IS NOT NULL GROUP BY change",
            2,
        )
        .await?;
    let count = |kind: AuditKind| {
        counts
            .iter()
            .find(|c| c[0] == kind.as_str())
            .and_then(|c| c[1].parse().ok())
            .unwrap_or(0)
    };
    let mut out = Applied {
        disabled: count(AuditKind::UserDisabled),
        enabled: count(AuditKind::UserEnabled),
        ..Default::default()
    };
    if out.disabled + out.enabled == 0 {
        return Ok(out);
    }
    out.changes = tx
        .texts(
            "SELECT user_id, change, COALESCE(siasn_status, 'aktif') FROM lifecycle_changes \
             WHERE change IS NOT NULL",
            3,
        )
        .await?
        .into_iter()
        // `change` holds only what `store::import`'s staging writes: the two kinds above.
        .filter_map(|mut c| {
            let siasn_status = c.pop().unwrap_or_default();
            let kind = AuditKind::parse(&c.pop()?)?;
            Some(Change {
                siasn_status,
                kind,
                user_id: c.pop().unwrap_or_default(),
            })
        })
        .collect();
    if out.enabled > 0 {
        // A session from before the return (a cookie stolen before the person left) must
        // not come back with them: the server's session checks compare with this.
        tx.run(
            "UPDATE users SET sessions_after = $1 WHERE id IN \
             (SELECT user_id FROM lifecycle_changes WHERE change = 'user_enabled')",
            now,
        )
        .await?;
    }
    if out.disabled > 0 {
        revoke_refresh_families(tx, now).await?;
        out.logouts_queued = queue_logouts(tx, now).await?;
    }
    tx.run(
        "INSERT INTO audit_events (id, at, actor, subject, kind, detail) \
         SELECT change || ':' || user_id || ':' || CAST(CAST($1 AS BIGINT) AS TEXT), $1, 'import', \
                user_id, change, 'siasn_status=' || COALESCE(siasn_status, 'aktif') \
         FROM lifecycle_changes WHERE change IS NOT NULL",
        now,
    )
    .await?;
    Ok(out)
}

/// Every refresh grant (one row per family) of the disabled people ends.
async fn revoke_refresh_families(tx: &mut Tx<'_>, now: i64) -> Result<u64, sqlx::Error> {
    tx.run(
        "UPDATE refresh_families SET revoked_at = $1 WHERE revoked_at IS NULL AND user_id IN \
         (SELECT user_id FROM lifecycle_changes WHERE change = 'user_disabled')",
        now,
    )
    .await
}

/// Every service that got tokens in one of their sessions and has a back-channel URI gets a
/// logout delivery, as when a session ends (`Store::queue_logouts`); the server's outbox
/// worker sends them. The id is derived from the session and service, so a delivery is
/// queued once even if an import is re-run.
async fn queue_logouts(tx: &mut Tx<'_>, now: i64) -> Result<u64, sqlx::Error> {
    let queued = tx
        .run(
            "INSERT INTO logout_outbox (id, client_id, user_id, sid, attempts, next_at, created_at) \
             SELECT 'lifecycle:' || sc.sid || ':' || sc.client_id, sc.client_id, sc.user_id, sc.sid, \
                    0, $1, $1 \
             FROM session_clients sc JOIN clients c ON c.id = sc.client_id \
             WHERE c.backchannel_logout_uri IS NOT NULL AND c.backchannel_logout_uri <> '' \
               AND sc.user_id IN \
                   (SELECT user_id FROM lifecycle_changes WHERE change = 'user_disabled') \
             ON CONFLICT (id) DO NOTHING",
            now,
        )
        .await?;
    // `run` always binds `$1`; the always-true test uses it so PostgreSQL can type it.
    tx.run(
        "DELETE FROM session_clients WHERE CAST($1 AS BIGINT) IS NOT NULL AND user_id IN \
         (SELECT user_id FROM lifecycle_changes WHERE change = 'user_disabled')",
        now,
    )
    .await?;
    Ok(queued)
}
