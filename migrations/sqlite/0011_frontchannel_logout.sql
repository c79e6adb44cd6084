-- OpenID Connect Front-Channel Logout 1.0: where the logout page frames the service, and
-- whether `iss` and `sid` go with it (the specification's default: they do).
ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN frontchannel_logout_session_required BIGINT NOT NULL DEFAULT 1;
