//! The outbox worker: drains `store::outbox` with retry and exponential backoff.

use std::time::Duration;

use crate::error::Outage;
use crate::state::AppState;
use crate::store::StoreError;

/// After this many attempts (about a day of backoff) a message is left for an operator.
const MAX_ATTEMPTS: i64 = 16;
/// Messages in flight at once (lettre's pool keeps up to 10 connections).
const SEND_CONCURRENCY: i64 = 8;

/// Seconds before the next try after `attempts` failures: 30 s, 1 min, 2 min, … up to 1 h.
pub fn backoff(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

/// Drains the outbox until the process ends.
pub async fn run_worker(state: AppState) {
    loop {
        let sent = drain_once(&state).await;
        if sent == 0 {
            tokio::select! {
                _ = state.mailer.wake.notified() => {},
                _ = tokio::time::sleep(Duration::from_secs(2)) => {},
            }
        }
    }
}

async fn drain_once(state: &AppState) -> usize {
    let now = state.clock.now();
    let batch = match state.store.claim_mail(now, SEND_CONCURRENCY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the mail outbox");
            return 0;
        }
    };
    let n = batch.len();
    // A batch goes out in parallel: SMTP is round-trip bound, and the pool reuses connections.
    let mut sending = tokio::task::JoinSet::new();
    for q in batch {
        let state = state.clone();
        sending.spawn(async move { deliver(&state, q).await });
    }
    while sending.join_next().await.is_some() {}
    n
}

/// Records a sent message, retrying while the database is away: the claim's lease (2 min)
/// outlives these tries, so a database restart right after a send does not lead to the
/// message being sent a second time (found by the PostgreSQL drill, `bench/drill.sh`).
async fn mark_sent(state: &AppState, id: &str, now: i64) -> Result<(), StoreError> {
    let mut tries = 0;
    loop {
        match state.store.mark_mail_sent(id, now).await {
            Err(e) if tries < 90 && e.is_outage() => {
                tries += 1;
                tracing::warn!(id, error = %e, "cannot record a sent mail yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

async fn deliver(state: &AppState, q: crate::store::outbox::QueuedMail) {
    let result = state.mailer.send(&q.mail, &q.id).await;
    let now = state.clock.now();
    let marked = match &result {
        Ok(()) => mark_sent(state, &q.id, now).await,
        Err(e) => {
            let retry_at = if q.attempts >= MAX_ATTEMPTS {
                crate::store::outbox::GIVEN_UP
            } else {
                now + backoff(q.attempts)
            };
            tracing::warn!(id = %q.id, attempts = q.attempts, error = %e, "mail not sent; will retry");
            state
                .store
                .mark_mail_failed(&q.id, &e.to_string(), retry_at)
                .await
        }
    };
    if let Err(e) = marked {
        tracing::error!(id = %q.id, error = %e, "cannot record the mail's fate; it may be sent again");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_then_caps() {
        let got: Vec<i64> = (0..10).map(super::backoff).collect();
        assert_eq!(
            got,
            vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
        );
    }
}
