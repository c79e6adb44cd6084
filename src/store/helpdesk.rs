//! Helpdesk changes to a person's account: each with its audit row and its e-mails in one
//! transaction, and with the person's refresh tokens revoked where the action ends sessions.

use sqlx::Row;

use super::outbox::{self, Mail};
use super::{Store, StoreError, audit};
use crate::domain::user_status::UserStatus;

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

    /// `person` as the caller read it: an Enable of a pre-hold `disabled` status goes back to
    /// what SIASN last said of them.
    pub async fn helpdesk_apply(
        &self,
        person: &super::users::User,
        action: Action<'_>,
        event: &crate::domain::audit::AuditEvent<'_>,
        mails: &[Mail],
        now: i64,
    ) -> Result<(), StoreError> {
        let user_id = person.id.as_str();
        let mut tx = self.pool.begin().await?;
        let sql = match action {
            Action::Unlock => {
                "UPDATE users SET failed_logins = 0, lock_level = 0, locked_until = NULL,
                     status = CASE WHEN status = 'locked' THEN 'active' ELSE status END, updated_at = $2
                 WHERE id = $1"
            }
            // The hold is the helpdesk's decision on its own: `status` keeps what the import
            // and the lock say, so an import saying "aktif" later lifts only its own disable
            // and the hold still keeps the account off. An earlier hold keeps its time.
            Action::Disable => {
                "UPDATE users SET helpdesk_hold_at = COALESCE(helpdesk_hold_at, $2), updated_at = $2
                 WHERE id = $1"
            }
            // Lifts only the hold, when there is one: whatever SIASN says still stands (an
            // account `siasn_inactive` stays off for that reason). A `disabled` status from
            // before the hold existed goes back to what SIASN last said ($3). Without a
            // hold, Enable lifts the status itself (over SIASN: admins only, `helpdesk::staff`).
            // The status is lifted only as the caller checked it ($4: the status it read
            // with no hold, NULL when it read a hold): two Enables sent at once on a held
            // person must not add up to an officer's enable over SIASN (the second finding
            // the hold gone), nor an import's disable that landed since the read be undone.
            // Sessions from before the enable do not come back with the person (those of an
            // import disable were never ended: the import cannot reach the cache).
            Action::Enable => {
                "UPDATE users SET status = CASE
                         WHEN helpdesk_hold_at IS NULL AND $4 IS NOT NULL
                             AND (status <> 'siasn_inactive' OR status = $4) THEN 'active'
                         WHEN helpdesk_hold_at IS NOT NULL AND status = 'disabled' THEN $3
                         ELSE status END,
                     helpdesk_hold_at = NULL, sessions_after = $2, updated_at = $2
                 WHERE id = $1"
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
        match action {
            Action::SetEmail(e) => q = q.bind(e),
            Action::Enable => {
                let back = match person.siasn_says_left() {
                    true => UserStatus::SiasnInactive,
                    false => UserStatus::Active,
                };
                q = q
                    .bind(back.as_str())
                    .bind((!person.held()).then(|| person.status.as_str()));
            }
            _ => {}
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
