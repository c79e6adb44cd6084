-- The janitor's leases: one row per job. A replica works a job only while it holds the row's
-- lease; a crashed holder's lease runs out (`until`, unix seconds) and another takes it.
CREATE TABLE janitor_leases (
    job    TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  BIGINT NOT NULL
);
-- The audit console filters by date alone, or by kind, actor or subject (audit_events_subject
-- exists) within dates, newest first; retention deletes walk `at` from the oldest.
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_kind ON audit_events (kind, at);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
-- The mail worker's due scan (it had no index) and the janitor's delivered-mail range.
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_at);
-- The janitor deletes expired grants (refresh_families_expires, from 0006) and, after a grace,
-- revoked ones; the partial index stays as small as the revoked grants awaiting deletion.
CREATE INDEX refresh_families_revoked ON refresh_families (revoked_at) WHERE revoked_at IS NOT NULL;
