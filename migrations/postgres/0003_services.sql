-- Downstream services: declarative registry (clients.toml), consent, access policy,
-- private_key_jwt and OpenID Connect Back-Channel Logout.
ALTER TABLE clients ADD COLUMN launcher_icon TEXT;
ALTER TABLE clients ADD COLUMN access_token_ttl_secs BIGINT;
ALTER TABLE clients ADD COLUMN refresh_token_ttl_secs BIGINT;
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
-- 'cli' (registered by `gerbang client add`) or 'config' (clients.toml, reconciled at start).
ALTER TABLE clients ADD COLUMN source TEXT NOT NULL DEFAULT 'cli';
-- A config client removed from the file is disabled, not deleted: re-adding it restores it.
ALTER TABLE clients ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;

-- What a person agreed to share with a (not first-party) service.
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Which services received tokens in which SSO session, so its end reaches each of them.
CREATE TABLE session_clients (
    sid        TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (sid, client_id)
);
CREATE INDEX session_clients_expiry ON session_clients (expires_at);

-- Back-channel logout deliveries, retried until the service answers 2xx or they give up.
CREATE TABLE logout_outbox (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    sid        TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    sent_at    BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX logout_outbox_due ON logout_outbox (sent_at, next_at);
