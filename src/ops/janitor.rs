//! The janitor: deletes what traffic leaves behind once nobody needs it, so storage stays
//! proportional to what is live. It runs on every replica; each job is leased (a row in
//! `janitor_leases`) so one replica works it at a time, and a crashed holder's lease runs out.
//!
//! Expired `session_clients` are not a job here: each one owes its services a back-channel
//! logout, so the back-channel worker deletes them as it queues those (in batches).

use std::time::Duration;

use crate::state::AppState;
use crate::store::StoreError;
use crate::store::janitor::Purge;

const DAY: i64 = 24 * 3600;
/// A lease outlives a batch by far; it is renewed after each one.
const LEASE_SECS: i64 = 120;
/// A revoked grant is refused anyway; an hour's grace keeps it for whoever is
/// investigating the revocation right after it happened.
const REVOKED_REFRESH_GRACE_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Mail,
    Logouts,
    Audit,
    Refresh,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Mail, Job::Logouts, Job::Audit, Job::Refresh];

    /// The lease's name and the metric's `job` label.
    pub fn name(self) -> &'static str {
        match self {
            Job::Mail => "mail_outbox",
            Job::Logouts => "logout_outbox",
            Job::Audit => "audit_events",
            Job::Refresh => "refresh_families",
        }
    }
}

/// Runs a round at start and every `janitor_interval_secs` until the process ends.
pub async fn run(state: AppState) {
    let holder = uuid::Uuid::new_v4().to_string();
    let every = Duration::from_secs(state.settings.janitor_interval_secs.max(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for job in Job::ALL {
            if let Err(e) = work(&state, &holder, job).await {
                tracing::warn!(job = job.name(), error = %e, "janitor job failed; next round retries");
            }
        }
    }
}

/// Works `job` if its lease is free: batches until nothing is due, then keeps the lease
/// until the next round is due, so the other replicas skip the job this round.
async fn work(state: &AppState, holder: &str, job: Job) -> Result<(), StoreError> {
    let s = &state.settings;
    let store = &state.store;
    let now = state.clock.now();
    if !store
        .claim_janitor_lease(job.name(), holder, now, now + LEASE_SECS)
        .await?
    {
        return Ok(());
    }
    let limit = s.janitor_batch_size.max(1);
    let outbox_cutoff = now - s.outbox_retention_days.max(0) * DAY;
    let mut deleted = 0u64;
    loop {
        let n = match job {
            Job::Mail => {
                store
                    .purge_batch(Purge::SentMail, outbox_cutoff, limit)
                    .await?
                    + store
                        .purge_batch(Purge::GivenUpMail, outbox_cutoff, limit)
                        .await?
            }
            Job::Logouts => {
                store
                    .purge_batch(Purge::SentLogouts, outbox_cutoff, limit)
                    .await?
                    + store
                        .purge_batch(Purge::GivenUpLogouts, outbox_cutoff, limit)
                        .await?
            }
            Job::Audit if s.audit_retention_days <= 0 => 0,
            Job::Audit => {
                let cutoff = now - s.audit_retention_days * DAY;
                store.purge_batch(Purge::AuditEvents, cutoff, limit).await?
            }
            Job::Refresh => {
                store
                    .purge_dead_refresh_families(now, now - REVOKED_REFRESH_GRACE_SECS, limit)
                    .await?
            }
        };
        if n > 0 {
            metrics::counter!("gerbang_janitor_deleted_rows_total", "job" => job.name())
                .increment(n);
            deleted += n;
        }
        // Fewer than a full batch from every statement: nothing more is due this round.
        if n < limit as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(s.janitor_pause_ms)).await;
        let t = state.clock.now();
        if !store
            .claim_janitor_lease(job.name(), holder, t, t + LEASE_SECS)
            .await?
        {
            // Lost it (this replica stalled past the lease): the new holder carries on.
            return Ok(());
        }
    }
    if deleted > 0 {
        tracing::info!(job = job.name(), deleted, "janitor round done");
    }
    let t = state.clock.now();
    let next = t + s.janitor_interval_secs.max(1) as i64;
    store
        .claim_janitor_lease(job.name(), holder, t, next)
        .await?;
    Ok(())
}
