-- The token tables are written on every code exchange and refresh. A foreign key makes each
-- insert lock its parent row (FOR KEY SHARE), and with many services refreshing for the same
-- few client rows (and one user's apps for that user's row) those locks become multixacts:
-- measured ~2 multixact page accesses per refresh, and ~10% of refresh throughput. Users and
-- clients are never deleted (a removed service is disabled), and every use of a token reads
-- its user and authenticates its client first, so these keys guarded nothing that runs.
ALTER TABLE refresh_tokens DROP CONSTRAINT IF EXISTS refresh_tokens_user_id_fkey;
ALTER TABLE refresh_tokens DROP CONSTRAINT IF EXISTS refresh_tokens_client_id_fkey;
ALTER TABLE session_clients DROP CONSTRAINT IF EXISTS session_clients_client_id_fkey;
