-- TOTP devices (secrets sealed with AES-256-GCM) and single-use recovery codes (SHA-256).
CREATE TABLE totp_credentials (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_name    TEXT NOT NULL,
    secret_enc     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    last_used_step BIGINT,
    UNIQUE (user_id, device_name)
);
CREATE INDEX totp_credentials_user ON totp_credentials (user_id);

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
