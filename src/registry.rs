//! The client registry as configuration: `clients.toml` declares the downstream services and
//! is reconciled into the `clients` table at every start. Clients registered with
//! `gerbang client add` live beside them; the file never touches those.
//!
//! Every client, from the file or the CLI, passes the same `validate`.

use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;
use url::Url;

use crate::oidc::client_auth::MIN_SECRET_LEN;
use crate::secrets::sha256_hex;
use crate::store::clients::{AuthMethod, Client};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Invalid(String),
    #[error("clients file: {0}")]
    File(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The longest access-token lifetime a client may ask for; signing keys are kept at least
/// this long after their successor starts signing (`gerbang keys rotate`).
pub const MAX_ACCESS_TTL: i64 = 24 * 3600;

fn invalid(msg: impl Into<String>) -> RegistryError {
    RegistryError::Invalid(msg.into())
}

/// One `[[client]]` entry of `clients.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub name: String,
    /// SHA-256 (hex) of the secret, so the file holds nothing usable.
    pub secret_hash: Option<String>,
    /// Or the name of an environment variable that holds the secret itself.
    pub secret_env: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// OIDC Front-Channel Logout 1.0: loaded in a hidden frame by the logout page.
    pub frontchannel_logout_uri: Option<String>,
    /// Whether `iss` and `sid` go with it (default true).
    #[serde(default = "default_true")]
    pub frontchannel_logout_session_required: bool,
    #[serde(default = "default_grants")]
    pub grant_types: Vec<String>,
    /// `client_secret_basic` (default; `client_secret_post` is accepted too) or
    /// `private_key_jwt`.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// For `private_key_jwt`: where the service publishes its keys, or the keys themselves.
    pub jwks_uri: Option<String>,
    pub jwks: Option<String>,
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub allowed_roles: Vec<String>,
    /// Staff scopes the service may ask for (`["helpdesk"]` for an agency's helpdesk tool);
    /// the standard scopes are every client's.
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
    pub launcher_url: Option<String>,
    pub launcher_icon: Option<String>,
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    #[serde(default = "default_alg")]
    pub id_token_alg: String,
    /// A browser or native app with no secret (`token_endpoint_auth_method = "none"`):
    /// PKCE S256 binds its codes, its redirect URIs follow RFC 8252.
    #[serde(default)]
    pub public: bool,
    /// Browser origins whose scripts may call the token endpoints (CORS), exact
    /// `scheme://host[:port]`.
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// A public client may be granted `offline_access`; without this it is dropped.
    #[serde(default)]
    pub allow_offline_access: bool,
}

fn default_grants() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}
fn default_true() -> bool {
    true
}
fn default_alg() -> String {
    "ES256".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    client: Vec<Entry>,
}

/// Reads and validates the whole file; nothing is written unless every entry is good.
pub fn load(path: &Path) -> Result<Vec<Client>, RegistryError> {
    load_with_env(path, |k| std::env::var(k).ok())
}

/// `load` with the environment given (`secret_env` lookups).
pub fn load_with_env(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Client>, RegistryError> {
    if !path.exists() {
        return Err(RegistryError::File(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let file: File = Figment::from(Toml::file(path))
        .extract()
        .map_err(|e| RegistryError::File(format!("{}: {e}", path.display())))?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(file.client.len());
    for e in file.client {
        if !seen.insert(e.id.clone()) {
            return Err(invalid(format!("client {:?} is declared twice", e.id)));
        }
        let id = e.id.clone();
        let c = from_entry(e, &env).map_err(|e| invalid(format!("client {id:?}: {e}")))?;
        out.push(c);
    }
    Ok(out)
}

fn from_entry(e: Entry, env: impl Fn(&str) -> Option<String>) -> Result<Client, RegistryError> {
    let auth_method = match (e.public, e.token_endpoint_auth_method.as_deref()) {
        (true, None | Some("none")) => AuthMethod::None,
        (true, Some(m)) => {
            return Err(invalid(format!(
                "a public client has no secret and no keys: token_endpoint_auth_method {m:?} \
                 contradicts public = true"
            )));
        }
        (false, Some("none")) => {
            return Err(invalid(
                "token_endpoint_auth_method \"none\" is a public client: set public = true",
            ));
        }
        (false, None | Some("client_secret_basic") | Some("client_secret_post")) => {
            AuthMethod::Secret
        }
        (false, Some("private_key_jwt")) => AuthMethod::PrivateKeyJwt,
        (false, Some(m)) => {
            return Err(invalid(format!("unknown token_endpoint_auth_method {m:?}")));
        }
    };
    let secret_hash = match (auth_method, &e.secret_hash, &e.secret_env) {
        (AuthMethod::None, None, None) => String::new(),
        (AuthMethod::None, _, _) => {
            return Err(invalid(
                "a public client has no secret (secret_hash, secret_env)",
            ));
        }
        (AuthMethod::PrivateKeyJwt, None, None) => String::new(),
        (AuthMethod::PrivateKeyJwt, _, _) => {
            return Err(invalid("a private_key_jwt client has no secret"));
        }
        (AuthMethod::Secret, Some(h), None) => {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid("secret_hash must be 64 hex digits (SHA-256)"));
            }
            h.to_ascii_lowercase()
        }
        (AuthMethod::Secret, None, Some(var)) => {
            let s = env(var).ok_or_else(|| {
                invalid(format!(
                    "environment variable {var} (secret_env) is not set"
                ))
            })?;
            check_secret(&s)?;
            sha256_hex(&s)
        }
        (AuthMethod::Secret, _, _) => {
            return Err(invalid("give exactly one of secret_hash or secret_env"));
        }
    };
    let c = Client {
        id: e.id,
        name: e.name.trim().to_string(),
        secret_hash,
        redirect_uris: e.redirect_uris,
        post_logout_redirect_uris: e.post_logout_redirect_uris,
        backchannel_logout_uri: e.backchannel_logout_uri,
        frontchannel_logout_uri: e.frontchannel_logout_uri,
        frontchannel_logout_session_required: e.frontchannel_logout_session_required,
        grant_types: e.grant_types,
        auth_method,
        id_token_alg: e.id_token_alg,
        first_party: e.first_party,
        allowed_roles: e.allowed_roles,
        allowed_scopes: e.allowed_scopes,
        launcher_url: e.launcher_url,
        launcher_icon: e.launcher_icon,
        access_token_ttl_secs: e.access_token_ttl_secs,
        refresh_token_ttl_secs: e.refresh_token_ttl_secs,
        jwks: e.jwks,
        jwks_uri: e.jwks_uri,
        source: "config".into(),
        web_origins: e.web_origins,
        allow_offline_access: e.allow_offline_access,
    };
    validate(&c)?;
    Ok(c)
}

pub fn check_secret(s: &str) -> Result<(), RegistryError> {
    if s.chars().count() < MIN_SECRET_LEN {
        return Err(invalid(format!(
            "the client secret must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    Ok(())
}

/// Everything a client must satisfy before it is stored.
pub fn validate(c: &Client) -> Result<(), RegistryError> {
    if c.id.is_empty()
        || c.id.len() > 64
        || !c
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(invalid(format!(
            "bad client id {:?}: use 1-64 letters, digits, '-', '_' or '.'",
            c.id
        )));
    }
    if c.name.is_empty()
        || c.name.chars().count() > 200
        || c.name.chars().any(crate::domain::text::is_deceptive)
    {
        return Err(invalid("name must be 1-200 printable characters"));
    }
    for g in &c.grant_types {
        if !matches!(
            g.as_str(),
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            return Err(invalid(format!("unknown grant type {g:?}")));
        }
    }
    if c.allows_grant("authorization_code") && c.redirect_uris.is_empty() {
        return Err(invalid("at least one redirect URI is required"));
    }
    if c.is_public() {
        validate_public(c)?;
    } else {
        for u in c.redirect_uris.iter().chain(&c.post_logout_redirect_uris) {
            validate_redirect_uri(u)?;
        }
        if c.allow_offline_access {
            return Err(invalid(
                "allow_offline_access is for public clients (a confidential client may always \
                 ask for offline_access)",
            ));
        }
    }
    for o in &c.web_origins {
        crate::domain::redirect::web_origin(o).map_err(invalid)?;
    }
    // OIDC Back-Channel Logout §2.2: absolute, no fragment; https outside loopback.
    for u in c.backchannel_logout_uri.iter().chain(&c.jwks_uri) {
        validate_redirect_uri(u)?;
    }
    // Front-Channel Logout §2: an absolute http(s) URI framed by the logout page; https
    // outside loopback, and no query key the logout page adds itself.
    if let Some(u) = &c.frontchannel_logout_uri {
        validate_redirect_uri(u)?;
        let parsed = url::Url::parse(u).map_err(|_| invalid(format!("bad URI {u:?}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(invalid("frontchannel_logout_uri must be an https URI"));
        }
        if parsed.query_pairs().any(|(k, _)| k == "iss" || k == "sid") {
            return Err(invalid(
                "frontchannel_logout_uri must not carry iss or sid itself",
            ));
        }
    }
    if let Some(u) = &c.launcher_url {
        validate_redirect_uri(u)?;
    }
    if let Some(i) = &c.launcher_icon
        && !page_image(i)
    {
        return Err(invalid(
            "launcher_icon must be a path on Gerbang (/static/…) or a data:image/ URI",
        ));
    }
    if crate::oidc::tokens::parse_alg(&c.id_token_alg).is_none() {
        return Err(invalid(format!(
            "unsupported ID token algorithm {:?}: use ES256 or RS256",
            c.id_token_alg
        )));
    }
    for ttl in [c.access_token_ttl_secs, c.refresh_token_ttl_secs]
        .into_iter()
        .flatten()
    {
        if !(30..=400 * 24 * 3600).contains(&ttl) {
            return Err(invalid(
                "token lifetimes must be between 30 seconds and 400 days",
            ));
        }
    }
    for r in &c.allowed_roles {
        if r.is_empty() || r.contains(char::is_whitespace) {
            return Err(invalid(format!("bad role name {r:?}")));
        }
    }
    for s in &c.allowed_scopes {
        if !crate::domain::oidc::STAFF_SCOPES.contains(&s.as_str()) {
            return Err(invalid(format!(
                "unknown allowed scope {s:?}: use {} (standard scopes need no mention)",
                crate::domain::oidc::STAFF_SCOPES.join(", ")
            )));
        }
    }
    if c.auth_method == AuthMethod::PrivateKeyJwt {
        match (&c.jwks, &c.jwks_uri) {
            (Some(j), None) => {
                crate::oidc::client_auth::parse_jwks(j)
                    .map_err(|e| invalid(format!("jwks: {e}")))?;
            }
            (None, Some(_)) => {}
            _ => {
                return Err(invalid(
                    "private_key_jwt needs exactly one of jwks or jwks_uri",
                ));
            }
        }
    }
    Ok(())
}

/// A public client (RFC 8252): no secret or keys, no `client_credentials` (it has nothing to
/// prove itself with), and only redirects an app can receive that nobody else can.
fn validate_public(c: &Client) -> Result<(), RegistryError> {
    if !c.secret_hash.is_empty() || c.jwks.is_some() || c.jwks_uri.is_some() {
        return Err(invalid(
            "a public client has no secret and no keys (it cannot keep them)",
        ));
    }
    if c.allows_grant("client_credentials") {
        return Err(invalid(
            "a public client cannot use client_credentials: it has no credentials",
        ));
    }
    for u in c.redirect_uris.iter().chain(&c.post_logout_redirect_uris) {
        crate::domain::redirect::public_redirect(u).map_err(invalid)?;
    }
    // Anyone who knows a public client's id can act as it: a staff scope on it would hand
    // a staff token to any app while an officer's sign-in is fresh.
    if let Some(s) = c
        .allowed_scopes
        .iter()
        .find(|s| crate::domain::oidc::STAFF_SCOPES.contains(&s.as_str()))
    {
        return Err(invalid(format!(
            "a public client cannot be allowed the staff scope {s:?}: any app that knows \
             its client_id could obtain it; register the staff tool as a confidential client"
        )));
    }
    Ok(())
}

/// An image a page may show: the pages' CSP allows Gerbang itself and data: URIs only.
pub fn page_image(src: &str) -> bool {
    (src.starts_with('/') && !src.starts_with("//")) || src.starts_with("data:image/")
}

/// Redirect URIs: absolute, no fragment, https — or http only on a loopback host (RFC 8252 §7.3).
pub fn validate_redirect_uri(s: &str) -> Result<(), RegistryError> {
    let url = Url::parse(s).map_err(|e| invalid(format!("bad URI {s:?}: {e}")))?;
    if url.fragment().is_some() {
        return Err(invalid(format!(
            "bad URI {s:?}: it must not have a #fragment"
        )));
    }
    if s.contains(' ') {
        return Err(invalid(format!(
            "bad URI {s:?}: it must not contain spaces"
        )));
    }
    let loopback = matches!(
        url.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(invalid(format!(
            "bad URI {s:?}: it must use https (http is allowed only for localhost, 127.0.0.1 or [::1])"
        ))),
    }
}

fn clash(id: &str) -> RegistryError {
    invalid(format!(
        "client {id:?} is in the clients file and was also registered with \
         `gerbang client add`; rename one of them"
    ))
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub upserted: usize,
    pub disabled: Vec<String>,
}

/// Makes the table agree with the file: its clients inserted or updated, its former clients
/// that are gone disabled (tokens and consents stay, should the entry come back).
pub async fn reconcile(
    store: &Store,
    clients: &[Client],
    now: i64,
) -> Result<Reconciled, RegistryError> {
    // Checked before any write, so a clash leaves the table as it was.
    let existing = store.list_clients().await?;
    for c in clients {
        if existing
            .iter()
            .any(|e| e.id == c.id && e.source != "config")
        {
            return Err(clash(&c.id));
        }
    }
    for c in clients {
        store
            .upsert_client(c, now, true)
            .await
            .map_err(|e| match e {
                // A CLI client registered since the check above.
                StoreError::Duplicate => clash(&c.id),
                e => e.into(),
            })?;
    }
    let mut disabled = Vec::new();
    for gone in existing
        .into_iter()
        .filter(|e| e.source == "config" && !clients.iter().any(|c| c.id == e.id))
    {
        store.disable_client(&gone.id).await?;
        disabled.push(gone.id);
    }
    Ok(Reconciled {
        upserted: clients.len(),
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(toml: &str) -> Result<Client, RegistryError> {
        let f: File = Figment::from(Toml::string(toml)).extract().unwrap();
        let e = f.client.into_iter().next().unwrap();
        from_entry(e, |k| (k == "SECRET").then(|| "x".repeat(40)))
    }

    const BASE: &str = r#"[[client]]
id = "siasn"
name = "SIASN"
redirect_uris = ["http://127.0.0.1:9000/cb"]
"#;

    #[test]
    fn redirect_uris_need_https_unless_loopback() {
        assert!(validate_redirect_uri("https://myasn.bkn.go.id/callback").is_ok());
        assert!(validate_redirect_uri("http://127.0.0.1:9000/cb").is_ok());
        assert!(validate_redirect_uri("http://localhost/cb").is_ok());
        assert!(validate_redirect_uri("http://[::1]:8000/cb").is_ok());
        assert!(validate_redirect_uri("http://myasn.bkn.go.id/cb").is_err());
        assert!(validate_redirect_uri("http://127.0.0.1.evil.com/cb").is_err());
        assert!(validate_redirect_uri("https://a.go.id/cb#x").is_err());
        assert!(validate_redirect_uri("/relative").is_err());
        assert!(validate_redirect_uri("javascript:alert(1)").is_err());
    }
    #[test]
    fn the_shipped_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients.example.toml");
        let clients = load_with_env(&path, |k| {
            k.starts_with("GERBANG_SECRET_").then(|| "x".repeat(40))
        })
        .unwrap();
        let ids: Vec<&str> = clients.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "myasn",
                "siasn",
                "siasn-admin",
                "ekinerja",
                "sscasn",
                "dms",
                "simpeg-lama"
            ]
        );
        assert!(clients.iter().all(|c| c.source == "config"));
        // Without the secrets in the environment it refuses, naming the variable.
        let err = load_with_env(&path, |_| None).unwrap_err().to_string();
        assert!(err.contains("GERBANG_SECRET_MYASN"), "{err}");
    }

    #[test]
    fn frontchannel_logout_uri_is_checked_and_wants_the_session_by_default() {
        let s = format!("{BASE}secret_env = \"SECRET\"\n");
        let c = entry(&format!(
            "{s}frontchannel_logout_uri = \"https://simpeg.example.go.id/fc.php\""
        ))
        .unwrap();
        assert_eq!(
            c.frontchannel_logout_uri.as_deref(),
            Some("https://simpeg.example.go.id/fc.php")
        );
        assert!(c.frontchannel_logout_session_required);
        let bare = entry(&format!(
            "{s}frontchannel_logout_uri = \"http://127.0.0.1:9/fc\"\nfrontchannel_logout_session_required = false"
        ))
        .unwrap();
        assert!(!bare.frontchannel_logout_session_required);
        for bad in [
            "http://simpeg.example.go.id/fc",
            "https://simpeg.example.go.id/fc#top",
            "https://simpeg.example.go.id/fc?sid=x",
            "/fc.php",
        ] {
            assert!(
                entry(&format!("{s}frontchannel_logout_uri = \"{bad}\"")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn secret_by_env_is_hashed_and_short_ones_refused() {
        let c = entry(&format!("{BASE}secret_env = \"SECRET\"")).unwrap();
        assert_eq!(c.secret_hash, sha256_hex(&"x".repeat(40)));
        assert!(entry(&format!("{BASE}secret_env = \"UNSET\"")).is_err());
        assert!(entry(BASE).is_err(), "a secret client needs a secret");
        assert!(entry(&format!("{BASE}secret_hash = \"abc\"")).is_err());
    }

    #[test]
    fn private_key_jwt_needs_keys_and_no_secret() {
        let pkj = format!("{BASE}token_endpoint_auth_method = \"private_key_jwt\"\n");
        assert!(entry(&pkj).is_err(), "no keys");
        let ok = format!("{pkj}jwks_uri = \"https://siasn.example/jwks\"");
        assert_eq!(entry(&ok).unwrap().auth_method, AuthMethod::PrivateKeyJwt);
        assert!(entry(&format!("{ok}\nsecret_env = \"SECRET\"")).is_err());
    }

    #[test]
    fn public_clients_have_no_secret_and_native_redirects() {
        let public = "[[client]]\nid = \"app\"\nname = \"ASN Digital\"\npublic = true\n";
        let uris =
            "redirect_uris = [\"id.go.bkn.mobile:/oauth2redirect\", \"http://127.0.0.1/cb\"]\n";
        let c = entry(&format!(
            "{public}{uris}web_origins = [\"https://app.bkn.go.id\"]\nallow_offline_access = true"
        ))
        .unwrap();
        assert!(c.is_public() && c.allow_offline_access && c.secret_hash.is_empty());
        assert_eq!(c.web_origins, ["https://app.bkn.go.id"]);
        assert!(c.accepts_redirect("http://127.0.0.1:50123/cb"));
        assert!(!c.accepts_redirect("http://localhost:50123/cb"));
        let with = |more: &str| entry(&format!("{public}{uris}{more}"));
        assert!(with("token_endpoint_auth_method = \"none\"").is_ok());
        assert!(
            with("secret_env = \"SECRET\"").is_err(),
            "a public client has no secret"
        );
        assert!(with("token_endpoint_auth_method = \"private_key_jwt\"\njwks_uri = \"https://a.go.id/jwks\"").is_err());
        assert!(with("grant_types = [\"client_credentials\"]").is_err());
        assert!(with("web_origins = [\"https://app.bkn.go.id/\"]").is_err());
        // Issue 24 item 9: a staff scope on a client anyone can act as.
        let staff = with("allowed_scopes = [\"helpdesk\"]")
            .unwrap_err()
            .to_string();
        assert!(staff.contains("staff scope \"helpdesk\""), "{staff}");
        // A record stored before registration refused it is never allowed the scope.
        let mut old = c.clone();
        old.allowed_scopes = vec!["helpdesk".into()];
        assert!(!old.allows_scope("helpdesk") && old.allows_scope("email"));
        for bad in [
            "http://localhost:8000/cb",
            "http://app.bkn.go.id/cb",
            "myapp:/cb",
        ] {
            assert!(
                entry(&format!("{public}redirect_uris = [\"{bad}\"]")).is_err(),
                "{bad}"
            );
        }
        // `none` says public; a confidential client gets no offline allowance to misread.
        let conf = format!("{BASE}secret_env = \"SECRET\"\n");
        assert!(entry(&format!("{BASE}token_endpoint_auth_method = \"none\"")).is_err());
        assert!(entry(&format!("{conf}allow_offline_access = true")).is_err());
        // Confidential clients keep their rules, localhost included.
        let c = entry(&conf.replace("127.0.0.1:9000", "localhost:9000")).unwrap();
        assert!(!c.is_public() && c.accepts_redirect("http://localhost:9000/cb"));
        assert!(!c.accepts_redirect("http://localhost:9001/cb"));
    }

    #[test]
    fn urls_and_lifetimes_are_checked() {
        let s = format!("{BASE}secret_env = \"SECRET\"\n");
        assert!(
            entry(&format!(
                "{s}backchannel_logout_uri = \"http://siasn.example/bc\""
            ))
            .is_err()
        );
        assert!(entry(&format!("{s}launcher_icon = \"javascript:alert(1)\"")).is_err());
        assert!(entry(&format!("{s}access_token_ttl_secs = 5")).is_err());
        assert!(entry(&format!("{s}id_token_alg = \"none\"")).is_err());
        assert!(entry(&format!("{s}allowed_roles = [\"a b\"]")).is_err());
        assert!(entry(&format!("{s}allowed_roles = [\"siasn-admin\"]")).is_ok());
        let helpdesk = entry(&format!("{s}allowed_scopes = [\"helpdesk\"]")).unwrap();
        assert!(helpdesk.allows_scope("helpdesk") && helpdesk.allows_scope("email"));
        assert!(!entry(&s).unwrap().allows_scope("helpdesk"));
        assert!(entry(&format!("{s}allowed_scopes = [\"admin\"]")).is_err());
        assert!(entry(&format!("{s}allowed_scopes = [\"openid\"]")).is_err());
    }
}
