-- SIASN lifecycle and e-mail precedence (see src/store/lifecycle.rs):
-- `siasn_status`: the employment state the last import carried (a domain::siasn code), so a
--   disabled account can say why. `users.status = 'siasn_inactive'` marks a disable the
--   import made (and may lift); the helpdesk's own `disabled` is never lifted by an import.
-- `siasn_email`: the address SIASN gave last time, so an import that still carries the value
--   the helpdesk or the person replaced is recognised as stale and does not overwrite it.
ALTER TABLE users ADD COLUMN siasn_status TEXT;
ALTER TABLE users ADD COLUMN siasn_email TEXT;
-- A disable ends the person's back-channel sessions, found by person.
CREATE INDEX session_clients_user ON session_clients (user_id);
