//! Back-channel logout bookkeeping: which services got tokens in which SSO session
//! (`session_clients`), and the deliveries owed to them when it ends (`logout_outbox`).
//! Claims are leases, as in the mail outbox, so replicas never deliver a row at once.

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub sid: String,
    pub attempts: i64,
}

const LEASE_SECS: i64 = 60;

impl Store {
    /// Remembers that `client_id` received tokens in session `sid` (idempotent).
    pub async fn note_session_client(
        &self,
        sid: &str,
        client_id: &str,
        user_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO session_clients (sid, client_id, user_id, expires_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (sid, client_id) DO NOTHING",
        )
        .bind(sid)
        .bind(client_id)
        .bind(user_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Turns the services of ended sessions into deliveries, in one transaction: `sid` when
    /// given (an explicit logout), else every session whose expiry has passed. Returns how
    /// many deliveries were queued. Only services with a back-channel URI get one.
    pub async fn queue_logouts(&self, sid: Option<&str>, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ended = match sid {
            Some(s) => {
                sqlx::query(
                    "DELETE FROM session_clients WHERE sid = $1
                     RETURNING sid, client_id, user_id",
                )
                .bind(s)
                .fetch_all(&mut *tx)
                .await?
            }
            None => {
                sqlx::query(
                    // At most a batch per pass, in `session_clients_expiry` order: a
                    // backlog (a restart after a long outage) is worked off in short
                    // transactions instead of one that locks it all.
                    "DELETE FROM session_clients WHERE (sid, client_id) IN
                       (SELECT sid, client_id FROM session_clients WHERE expires_at <= $1
                        ORDER BY expires_at LIMIT 2000)
                     RETURNING sid, client_id, user_id",
                )
                .bind(now)
                .fetch_all(&mut *tx)
                .await?
            }
        };
        let mut queued = 0;
        for r in &ended {
            let sid: String = r.try_get("sid")?;
            let client_id: String = r.try_get("client_id")?;
            let user_id: String = r.try_get("user_id")?;
            queued += sqlx::query(
                "INSERT INTO logout_outbox (id, client_id, user_id, sid, attempts, next_at, created_at)
                 SELECT $1, id, $3, $4, 0, $5, $5 FROM clients
                 WHERE id = $2 AND backchannel_logout_uri IS NOT NULL AND backchannel_logout_uri <> ''",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&client_id)
            .bind(&user_id)
            .bind(&sid)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(queued)
    }

    pub async fn claim_logouts(&self, now: i64, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = self
            .claim_due(
                "logout_outbox",
                "id, client_id, user_id, sid, attempts",
                now,
                limit,
                LEASE_SECS,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    id: r.try_get("id")?,
                    client_id: r.try_get("client_id")?,
                    user_id: r.try_get("user_id")?,
                    sid: r.try_get("sid")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    pub async fn finish_logout(
        &self,
        id: &str,
        outcome: Result<i64, (String, i64)>,
    ) -> Result<(), StoreError> {
        let q = match &outcome {
            Ok(sent_at) => sqlx::query(
                "UPDATE logout_outbox SET sent_at = $2, last_error = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(*sent_at),
            Err((error, retry_at)) => {
                sqlx::query("UPDATE logout_outbox SET last_error = $2, next_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(error.chars().take(500).collect::<String>())
                    .bind(*retry_at)
            }
        };
        q.execute(&self.pool).await?;
        Ok(())
    }

    /// Deliveries not yet acknowledged (for the test suite and `/metrics`).
    pub async fn pending_logouts(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM logout_outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}
