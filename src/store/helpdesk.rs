//! Helpdesk changes to a person's account: each with its audit row and its e-mails in one
//! transaction, and with the person's refresh tokens revoked where the action ends sessions.

use sqlx::Row;

use super::outbox::{self, Mail};
use super::{Store, StoreError, audit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    Unlock,
    ResetMfa,
    Disable,
    Enable,
    EndSessions,
    SetEmail(&'a str),
}

impl Action<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Unlock => "unlock",
            Action::ResetMfa => "reset_mfa",
            Action::Disable => "disable",
            Action::Enable => "enable",
            Action::EndSessions => "end_sessions",
            Action::SetEmail(_) => "set_email",
        }
    }

    /// Disable, MFA reset and e-mail change end every session, as "end sessions" does.
    pub fn ends_sessions(&self) -> bool {
        matches!(
            self,
            Action::ResetMfa | Action::Disable | Action::EndSessions | Action::SetEmail(_)
        )
    }
}

impl Store {
    /// (role, instansi_id) pairs a person holds.
    pub async fn roles_of(&self, user_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT role, instansi_id FROM roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("role")?, r.try_get("instansi_id")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    pub async fn helpdesk_apply(
        &self,
        user_id: &str,
        action: Action<'_>,
        event: &crate::domain::audit::AuditEvent<'_>,
        mails: &[Mail],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let sql = match action {
            Action::Unlock => {
                "UPDATE users SET failed_logins = 0, lock_level = 0, locked_until = NULL,
                     status = CASE WHEN status = 'locked' THEN 'active' ELSE status END, updated_at = $2
                 WHERE id = $1"
            }
            // The import's mark stays (it is what lets SIASN's "aktif" lift it again).
            Action::Disable => {
                "UPDATE users SET status = CASE WHEN status = 'siasn_inactive' THEN status
                     ELSE 'disabled' END, updated_at = $2 WHERE id = $1"
            }
            // Sessions from before the enable do not come back with the person (those of an
            // import disable were never ended: the import cannot reach the cache).
            Action::Enable => {
                "UPDATE users SET status = 'active', sessions_after = $2, updated_at = $2 WHERE id = $1"
            }
            Action::ResetMfa | Action::EndSessions => "UPDATE users SET updated_at = $2 WHERE id = $1",
            Action::SetEmail(_) => {
                // The first replacement remembers what SIASN said, so a later import that
                // still carries it does not undo the correction (`store::import`).
                "UPDATE users SET siasn_email = COALESCE(siasn_email, email), email = $3,
                     email_verified_at = NULL, updated_at = $2 WHERE id = $1"
            }
        };
        let mut q = sqlx::query(sql).bind(user_id).bind(now);
        if let Action::SetEmail(e) = action {
            q = q.bind(e);
        }
        q.execute(&mut *tx).await?;
        if action == Action::ResetMfa {
            for table in [
                "DELETE FROM totp_credentials WHERE user_id = $1",
                "DELETE FROM recovery_codes WHERE user_id = $1",
            ] {
                sqlx::query(table).bind(user_id).execute(&mut *tx).await?;
            }
        }
        if action.ends_sessions() {
            super::refresh::revoke_user(&mut *tx, user_id, now).await?;
        }
        audit::insert(&mut *tx, event, now).await?;
        for m in mails {
            outbox::insert(&mut *tx, m, now).await?;
        }
        tx.commit().await?;
        self.audited(event, now);
        Ok(())
    }
}
