//! OpenID Connect Back-Channel Logout 1.0: when an SSO session ends — RP-initiated logout,
//! the account page, the helpdesk, a password change, or simply its expiry — every service
//! that received tokens in it gets a signed `logout_token` at its back-channel URI.
//!
//! The deliveries are rows in `logout_outbox`, sent by a worker with retry: the person who
//! signs out never waits for 47 services, and a service that is down hears of it later.

use std::time::Duration;

use crate::state::AppState;
use crate::store::logout::Delivery;

const BATCH: i64 = 32;
const MAX_ATTEMPTS: i64 = 12;

/// 5 s, 10 s, 20 s … capped at an hour.
pub fn backoff(attempts: i64) -> i64 {
    (5i64 << attempts.clamp(0, 10)).min(3600)
}

/// Queues the deliveries owed for the end of session `sid`. Never fails the caller: the
/// person is signed out here whatever happens, and should this write fail, the session's
/// record still triggers the deliveries when it expires.
pub async fn session_ended(state: &AppState, sid: &str) {
    match state
        .store
        .queue_logouts(Some(sid), state.clock.now())
        .await
    {
        Ok(0) => {}
        Ok(_) => state.logout_wake.notify_one(),
        Err(e) => tracing::error!(error = %e, %sid, "cannot queue back-channel logouts"),
    }
}

/// Runs until the process ends: turns expired sessions into deliveries, then delivers.
pub async fn run_worker(state: AppState) {
    loop {
        let now = state.clock.now();
        if let Err(e) = state.store.queue_logouts(None, now).await {
            tracing::warn!(error = %e, "cannot look for expired sessions");
        }
        let batch = match state.store.claim_logouts(now, BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the logout outbox");
                Vec::new()
            }
        };
        let busy = !batch.is_empty();
        let mut sending = tokio::task::JoinSet::new();
        for d in batch {
            let state = state.clone();
            sending.spawn(async move { deliver(&state, d).await });
        }
        while sending.join_next().await.is_some() {}
        if !busy {
            tokio::select! {
                _ = state.logout_wake.notified() => {},
                _ = tokio::time::sleep(Duration::from_secs(2)) => {},
            }
        }
    }
}

async fn deliver(state: &AppState, d: Delivery) {
    let outcome = match send(state, &d).await {
        Ok(()) => {
            tracing::info!(client = %d.client_id, sid = %d.sid, "back-channel logout delivered");
            Ok(state.clock.now())
        }
        Err(e) => {
            let retry_at = if d.attempts >= MAX_ATTEMPTS {
                tracing::error!(client = %d.client_id, error = %e, "back-channel logout given up");
                crate::store::outbox::GIVEN_UP
            } else {
                tracing::warn!(client = %d.client_id, attempts = d.attempts, error = %e,
                    "back-channel logout failed; will retry");
                state.clock.now() + backoff(d.attempts)
            };
            Err((e, retry_at))
        }
    };
    if let Err(e) = state.store.finish_logout(&d.id, outcome).await {
        tracing::error!(id = %d.id, error = %e, "cannot record a back-channel logout's fate");
    }
}

async fn send(state: &AppState, d: &Delivery) -> Result<(), String> {
    let client = state
        .store
        .find_client(&d.client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the client is gone")?;
    let uri = client
        .backchannel_logout_uri
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or("the client has no back-channel logout URI any more")?;
    let alg =
        super::tokens::parse_alg(&client.id_token_alg).unwrap_or(jsonwebtoken::Algorithm::ES256);
    // Minted at delivery time, so a retried delivery never carries a stale token.
    let token =
        super::tokens::mint_logout(state, &state.keys(), &client.id, alg, &d.user_id, &d.sid)
            .map_err(|e| e.to_string())?;
    let res = state
        .http
        .post(uri)
        .form(&[("logout_token", token.as_str())])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    // §2.8: 200 OK on success; any 2xx is taken as received.
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("the service answered {}", res.status()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_then_caps() {
        let got: Vec<i64> = (0..12).map(super::backoff).collect();
        assert_eq!(got[..4], [5, 10, 20, 40]);
        assert_eq!(got[10..], [3600, 3600]);
    }
}
