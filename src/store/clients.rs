//! `clients`: the downstream services (OIDC relying parties) and the consents people gave
//! them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_secret_basic` or `client_secret_post`.
    Secret,
    /// RFC 7523 assertion signed with a key from the client's JWKS.
    PrivateKeyJwt,
    /// `none`: a public client (a browser or native app that cannot keep a secret). It
    /// names itself with `client_id`; PKCE is what binds its code to it.
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Secret => "client_secret_basic client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// SHA-256 (hex) of the secret; see `oidc::client_auth` for why not argon2. Empty for
    /// `private_key_jwt` clients.
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// OIDC Front-Channel Logout: the page the logout page loads in a hidden frame.
    pub frontchannel_logout_uri: Option<String>,
    /// Whether `iss` and `sid` are added to that URI (the specification's default: yes).
    pub frontchannel_logout_session_required: bool,
    pub grant_types: Vec<String>,
    pub auth_method: AuthMethod,
    pub id_token_alg: String,
    pub first_party: bool,
    /// Roles of which a user needs one to get tokens; empty means everyone.
    pub allowed_roles: Vec<String>,
    /// Staff scopes (`crate::domain::oidc::STAFF_SCOPES`) the operator allows this client to ask for; the
    /// standard scopes need no mention.
    pub allowed_scopes: Vec<String>,
    pub launcher_url: Option<String>,
    pub launcher_icon: Option<String>,
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    /// Inline JWKS (JSON) for `private_key_jwt`.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// `cli` or `config`.
    pub source: String,
    /// Browser origins (`scheme://host[:port]`) whose scripts may call the token endpoints,
    /// userinfo, discovery and JWKS (CORS).
    pub web_origins: Vec<String>,
    /// A public client's grants may carry `offline_access` (a refresh token that outlives
    /// the sign-in) only when the operator says so; confidential clients always may.
    pub allow_offline_access: bool,
}

impl Client {
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// A person may use the service when it names no roles, or they hold one of them.
    pub fn admits(&self, roles: &[String]) -> bool {
        self.allowed_roles.is_empty() || self.allowed_roles.iter().any(|r| roles.contains(r))
    }

    /// Whether the client may be granted `scope`: a standard one always, a staff one only
    /// when the operator listed it in `allowed_scopes` — and never to a public client, which
    /// anyone who knows its id can act as (registration refuses that pair; a record stored
    /// before it did is refused here, at /authorize, /par, /token and the staff API).
    pub fn allows_scope(&self, scope: &str) -> bool {
        !crate::domain::oidc::STAFF_SCOPES.contains(&scope)
            || (!self.is_public() && self.allowed_scopes.iter().any(|s| s == scope))
    }

    /// A public client: no secret, no keys (`token_endpoint_auth_method: none`).
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    /// Whether an authorization request's `redirect_uri` is one of the client's: exactly,
    /// or for a public client also a registered loopback URI on another port (RFC 8252
    /// §7.3), and for a public client only a kind a native or browser app can receive.
    pub fn accepts_redirect(&self, uri: &str) -> bool {
        if self.is_public() {
            self.redirect_uris
                .iter()
                .any(|r| crate::domain::redirect::public_redirect_matches(r, uri))
        } else {
            self.redirect_uris.iter().any(|r| r == uri)
        }
    }

    /// A scope the server drops from this client's requests: `offline_access` for a public
    /// client the operator has not allowed it (OIDC Core §11 lets the server ignore it).
    pub fn drops_scope(&self, scope: &str) -> bool {
        scope == "offline_access" && self.is_public() && !self.allow_offline_access
    }

    /// A bare client for tests and the CLI; every optional part empty.
    pub fn new(id: &str, name: &str) -> Self {
        Client {
            id: id.to_string(),
            name: name.to_string(),
            secret_hash: String::new(),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: true,
            grant_types: Vec::new(),
            auth_method: AuthMethod::Secret,
            id_token_alg: "ES256".into(),
            first_party: false,
            allowed_roles: Vec::new(),
            allowed_scopes: Vec::new(),
            launcher_url: None,
            launcher_icon: None,
            access_token_ttl_secs: None,
            refresh_token_ttl_secs: None,
            jwks: None,
            jwks_uri: None,
            source: "cli".into(),
            web_origins: Vec::new(),
            allow_offline_access: false,
        }
    }
}

/// Lists are stored space-separated: URIs, grant and role names never contain spaces.
fn split(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn from_row(r: &AnyRow) -> Result<Client, sqlx::Error> {
    let method: String = r.try_get("auth_method")?;
    Ok(Client {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        secret_hash: r.try_get("secret_hash")?,
        redirect_uris: split(&r.try_get::<String, _>("redirect_uris")?),
        post_logout_redirect_uris: split(&r.try_get::<String, _>("post_logout_redirect_uris")?),
        backchannel_logout_uri: r.try_get("backchannel_logout_uri")?,
        frontchannel_logout_uri: r.try_get("frontchannel_logout_uri")?,
        frontchannel_logout_session_required: r
            .try_get::<i64, _>("frontchannel_logout_session_required")?
            != 0,
        grant_types: split(&r.try_get::<String, _>("grant_types")?),
        auth_method: match method.as_str() {
            "private_key_jwt" => AuthMethod::PrivateKeyJwt,
            "none" => AuthMethod::None,
            _ => AuthMethod::Secret,
        },
        id_token_alg: r.try_get("id_token_alg")?,
        first_party: r.try_get::<i64, _>("first_party")? != 0,
        allowed_roles: split(&r.try_get::<String, _>("allowed_roles")?),
        allowed_scopes: split(&r.try_get::<String, _>("allowed_scopes")?),
        launcher_url: r.try_get("launcher_url")?,
        launcher_icon: r.try_get("launcher_icon")?,
        access_token_ttl_secs: r.try_get("access_token_ttl_secs")?,
        refresh_token_ttl_secs: r.try_get("refresh_token_ttl_secs")?,
        jwks: r.try_get("jwks")?,
        jwks_uri: r.try_get("jwks_uri")?,
        source: r.try_get("source")?,
        web_origins: split(&r.try_get::<String, _>("web_origins")?),
        allow_offline_access: r.try_get::<i64, _>("allow_offline_access")? != 0,
    })
}

macro_rules! client_columns {
    () => {
        "id, name, secret_hash, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri,
         grant_types, auth_method, id_token_alg, first_party, allowed_roles, launcher_url,
         launcher_icon, access_token_ttl_secs, refresh_token_ttl_secs, jwks, jwks_uri, source,
         allowed_scopes, web_origins, allow_offline_access, frontchannel_logout_uri,
         frontchannel_logout_session_required"
    };
}

/// A consent on record: the scopes a person agreed to share with a service.
#[derive(Debug, Clone)]
pub struct Consent {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub granted_at: i64,
}

impl Store {
    /// Inserts or, with `replace`, overwrites a client (the registry file is the truth for
    /// its own entries). A CLI client is never overwritten by the file.
    pub async fn upsert_client(
        &self,
        c: &Client,
        now: i64,
        replace: bool,
    ) -> Result<(), StoreError> {
        let conflict = if replace {
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
                redirect_uris = excluded.redirect_uris,
                post_logout_redirect_uris = excluded.post_logout_redirect_uris,
                backchannel_logout_uri = excluded.backchannel_logout_uri,
                grant_types = excluded.grant_types, auth_method = excluded.auth_method,
                id_token_alg = excluded.id_token_alg, first_party = excluded.first_party,
                allowed_roles = excluded.allowed_roles, launcher_url = excluded.launcher_url,
                launcher_icon = excluded.launcher_icon,
                access_token_ttl_secs = excluded.access_token_ttl_secs,
                refresh_token_ttl_secs = excluded.refresh_token_ttl_secs,
                jwks = excluded.jwks, jwks_uri = excluded.jwks_uri,
                allowed_scopes = excluded.allowed_scopes, web_origins = excluded.web_origins,
                allow_offline_access = excluded.allow_offline_access,
                frontchannel_logout_uri = excluded.frontchannel_logout_uri,
                frontchannel_logout_session_required = excluded.frontchannel_logout_session_required,
                disabled = 0
              WHERE clients.source = excluded.source"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris,
                 backchannel_logout_uri, grant_types, auth_method, id_token_alg, first_party,
                 allowed_roles, launcher_url, launcher_icon, access_token_ttl_secs,
                 refresh_token_ttl_secs, jwks, jwks_uri, source, disabled, created_at, allowed_scopes,
                 web_origins, allow_offline_access, frontchannel_logout_uri,
                 frontchannel_logout_session_required)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, 0, $19, $20, $21, $22, $23, $24){conflict}"
        );
        // Both parts are constants; only the values are bound.
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.secret_hash)
            .bind(c.redirect_uris.join(" "))
            .bind(c.post_logout_redirect_uris.join(" "))
            .bind(&c.backchannel_logout_uri)
            .bind(c.grant_types.join(" "))
            .bind(c.auth_method.as_str())
            .bind(&c.id_token_alg)
            .bind(c.first_party as i64)
            .bind(c.allowed_roles.join(" "))
            .bind(&c.launcher_url)
            .bind(&c.launcher_icon)
            .bind(c.access_token_ttl_secs)
            .bind(c.refresh_token_ttl_secs)
            .bind(&c.jwks)
            .bind(&c.jwks_uri)
            .bind(&c.source)
            .bind(now)
            .bind(c.allowed_scopes.join(" "))
            .bind(c.web_origins.join(" "))
            .bind(c.allow_offline_access as i64)
            .bind(&c.frontchannel_logout_uri)
            .bind(c.frontchannel_logout_session_required as i64)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_insert)?;
        // With `replace`, nothing written means the id belongs to a CLI client.
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate);
        }
        Ok(())
    }

    pub async fn insert_client(&self, c: &Client, now: i64) -> Result<(), StoreError> {
        self.upsert_client(c, now, false).await
    }

    /// Disables a client: it is refused everywhere, its rows stay (see `registry`).
    pub async fn disable_client(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE clients SET disabled = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn find_client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE id = $1 AND disabled = 0"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Every browser origin some enabled client registered (`web_origins`), for CORS on the
    /// endpoints any registered app may call.
    pub async fn web_origins(&self) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT web_origins FROM clients WHERE disabled = 0 AND web_origins <> ''")
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for r in rows {
            out.extend(split(&r.try_get::<String, _>("web_origins")?));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    pub async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE disabled = 0 ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// The front-channel logout URIs of the services that got tokens in session `sid`
    /// (`session_clients`), with whether each wants `iss` and `sid`. Read before the session
    /// ends: ending it turns those rows into back-channel deliveries.
    pub async fn frontchannel_targets(&self, sid: &str) -> Result<Vec<(String, bool)>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.frontchannel_logout_uri, c.frontchannel_logout_session_required
             FROM session_clients s JOIN clients c ON c.id = s.client_id
             WHERE s.sid = $1 AND c.disabled = 0 AND c.frontchannel_logout_uri IS NOT NULL
               AND c.frontchannel_logout_uri <> '' ORDER BY c.id",
        )
        .bind(sid)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("frontchannel_logout_uri")?,
                    r.try_get::<i64, _>("frontchannel_logout_session_required")? != 0,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The scopes a person already agreed to share with a service, if any.
    pub async fn consent_scope(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("scope")).transpose()?)
    }

    pub async fn save_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope,
                 granted_at = excluded.granted_at",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_consents(&self, user_id: &str) -> Result<Vec<Consent>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.client_id, k.name, c.scope, c.granted_at FROM consents c
             JOIN clients k ON k.id = c.client_id WHERE c.user_id = $1 ORDER BY k.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Consent {
                    client_id: r.try_get("client_id")?,
                    client_name: r.try_get("name")?,
                    scope: r.try_get("scope")?,
                    granted_at: r.try_get("granted_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Withdraws a consent and the refresh tokens it allowed; false when there was none.
    pub async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let gone = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        super::refresh::revoke_user_client(&mut *tx, user_id, client_id, now).await?;
        tx.commit().await?;
        Ok(gone > 0)
    }
}
