-- Scopes beyond the standard ones (openid, profile, email, offline_access) that the operator
-- allows a client, space-separated: today only `helpdesk`, which reaches the staff API.
ALTER TABLE clients ADD COLUMN allowed_scopes TEXT NOT NULL DEFAULT '';
