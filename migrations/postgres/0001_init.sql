-- Same shape as migrations/sqlite/0001_init.sql (a test keeps the two lists in step):
-- BIGINT unix seconds and TEXT ids so one set of queries serves both backends.
CREATE TABLE instansi (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    nip                 TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    email               TEXT NOT NULL,
    email_verified_at   BIGINT,
    instansi_id         TEXT,
    unit_kerja          TEXT,
    jabatan             TEXT,
    status              TEXT NOT NULL DEFAULT 'active',
    password_hash       TEXT,
    password_changed_at BIGINT,
    failed_logins       BIGINT NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    lock_level          BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX users_instansi ON users (instansi_id);

CREATE TABLE clients (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    secret_hash               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    backchannel_logout_uri    TEXT,
    grant_types               TEXT NOT NULL,
    auth_method               TEXT NOT NULL,
    id_token_alg              TEXT NOT NULL,
    first_party               BIGINT NOT NULL DEFAULT 0,
    launcher_url              TEXT,
    allowed_roles             TEXT NOT NULL DEFAULT '',
    created_at                BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    sid        TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    amr        TEXT NOT NULL,
    acr        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_sid ON refresh_tokens (sid);

CREATE TABLE roles (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    instansi_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, role, instansi_id)
);

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT,
    subject    TEXT,
    kind       TEXT NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    client_id  TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_subject ON audit_events (subject, at);

CREATE TABLE mail_outbox (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    sent_at    BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
