//! `roles` and `instansi`: who may act for which agency. A helpdesk role is scoped to one
//! agency per row; `admin` rows carry the empty agency and reach all of them.

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub nip: String,
    pub name: String,
    pub role: String,
    /// Empty for `admin`.
    pub instansi_id: String,
}

impl Store {
    /// Adds or renames an agency; returns true when new. (The user import registers the
    /// agencies it meets by id only, without overwriting a name: `store::import`.)
    pub async fn upsert_instansi(&self, id: &str, name: &str) -> Result<bool, StoreError> {
        let existed = sqlx::query("SELECT 1 AS x FROM instansi WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query("INSERT INTO instansi (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name")
            .bind(id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(!existed)
    }

    /// The agency's name, for pages that tell a person whom to contact.
    pub async fn instansi_name(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT name FROM instansi WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("name")).transpose()?)
    }

    pub async fn instansi_exists(&self, id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS x FROM instansi WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    pub async fn grant_role(
        &self,
        user_id: &str,
        role: &str,
        instansi_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO roles (user_id, role, instansi_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(user_id)
            .bind(role)
            .bind(instansi_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a role (for one agency) away, and with it, in the same transaction, the refresh
    /// tokens it was the ground for: once no staff role is left, every grant carrying a staff
    /// scope; and the grants of clients whose `allowed_roles` no longer admit the person.
    /// (Refresh re-checks both as well; this ends them without waiting for the next one.)
    pub async fn revoke_role(
        &self,
        user_id: &str,
        role: &str,
        instansi_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let r =
            sqlx::query("DELETE FROM roles WHERE user_id = $1 AND role = $2 AND instansi_id = $3")
                .bind(user_id)
                .bind(role)
                .bind(instansi_id)
                .execute(&mut *tx)
                .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        let left: Vec<String> = sqlx::query("SELECT DISTINCT role FROM roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("role"))
            .collect::<Result<_, sqlx::Error>>()?;
        if !left.iter().any(|r| crate::domain::oidc::is_staff_role(r)) {
            for scope in crate::domain::oidc::STAFF_SCOPES {
                super::refresh::revoke_user_scope(&mut *tx, user_id, scope, now).await?;
            }
        }
        let gated = sqlx::query("SELECT id, allowed_roles FROM clients WHERE allowed_roles <> ''")
            .fetch_all(&mut *tx)
            .await?;
        for row in &gated {
            let allowed: String = row.try_get("allowed_roles")?;
            if allowed
                .split_whitespace()
                .any(|a| left.iter().any(|l| l == a))
            {
                continue;
            }
            let client_id: String = row.try_get("id")?;
            super::refresh::revoke_user_client(&mut *tx, user_id, &client_id, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn list_roles(&self) -> Result<Vec<RoleGrant>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.nip, u.name, r.role, r.instansi_id FROM roles r JOIN users u ON u.id = r.user_id
             ORDER BY u.nip, r.role, r.instansi_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RoleGrant {
                    nip: r.try_get("nip")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    instansi_id: r.try_get("instansi_id")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// People whose name contains `q` (case-insensitive), limited to the agencies where
    /// `staff_id` is helpdesk and to people without a role of their own (or everyone for an
    /// admin): the scope lives in the query itself.
    pub async fn search_users_by_name(
        &self,
        staff_id: &str,
        admin: bool,
        q: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        let escaped: String = q
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let rows = sqlx::query(
            "SELECT u.nip, u.name, u.instansi_id FROM users u
             WHERE lower(u.name) LIKE $1 ESCAPE '\\'
               AND ($2 = 1 OR (u.instansi_id IN (SELECT r.instansi_id FROM roles r WHERE r.user_id = $3 AND r.role = 'helpdesk')
                               AND NOT EXISTS (SELECT 1 FROM roles s WHERE s.user_id = u.id)))
             ORDER BY u.name, u.nip LIMIT $4 OFFSET $5",
        )
        .bind(format!("%{escaped}%"))
        .bind(admin as i64)
        .bind(staff_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("nip")?,
                    r.try_get("name")?,
                    r.try_get("instansi_id")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

impl Store {
    /// The names of the roles a person holds (any agency), for client access policies.
    pub async fn role_names(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT DISTINCT role FROM roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get("role"))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
