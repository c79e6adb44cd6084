//! Client authentication at the token, PAR, introspection and revocation endpoints:
//! `client_secret_basic` or `client_secret_post` (never both at once), or `private_key_jwt`
//! (RFC 7523 §2.2) for clients registered with keys, or `none` for public clients (browser
//! and native apps), which only name themselves: a public client presenting a secret or an
//! assertion is refused, and a confidential one presenting nothing still is.
//!
//! Secrets are compared as SHA-256 digests in constant time. They are 256-bit random values
//! (generated ones) or at least 32 characters (operator-supplied), so a fast hash is enough,
//! and the token endpoint is not slowed to argon2 speed for every service call.

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::request::param;
use crate::cache;
use crate::error::OAuthError;
use crate::secrets::{ct_eq, sha256_hex};
use crate::state::AppState;
use crate::store::clients::{AuthMethod, Client};

pub const MIN_SECRET_LEN: usize = 32;
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Signature algorithms accepted in client assertions: asymmetric only (checked in
/// `private_key_jwt`; listed in discovery).
pub const ASSERTION_ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];
/// How long a fetched client JWKS is trusted before it is fetched again.
const JWKS_TTL: i64 = 300;
/// Clock skew allowed on a client assertion's `exp`.
const ASSERTION_LEEWAY: i64 = 30;
/// The longest life an assertion may claim (`exp` - now). Its `jti` is kept until `exp`, so
/// this also bounds what a flood of assertions can leave in the cache; RFC 7523 assertions
/// are minted per request and live seconds, and no library makes them live longer than this.
pub const MAX_ASSERTION_LIFETIME: i64 = 300;
/// Outbound JWKS fetches per client and per window: one when the cached set expired or is
/// missing, one more for an unknown `kid` (a key the service just rotated in). Requests
/// come before any authentication, so without this each one could make us fetch.
const JWKS_FETCH_WINDOW: i64 = 60;
/// The largest client JWKS we read.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// A client's fetched JWKS document, as fetched, under the client id, for `JWKS_TTL`.
struct JwksEntry;

impl cache::Kind for JwksEntry {
    const NS: &'static str = "client_jwks";
    type Key<'k> = &'k str;
}
impl cache::Entry for JwksEntry {
    type Value = cache::Text;
}

/// JWKS fetches of a client in one window, per reason: `(client, "miss" | "kid", window)`,
/// for two windows.
struct JwksFetches;

impl cache::Kind for JwksFetches {
    const NS: &'static str = "client_jwks_fetch";
    type Key<'k> = (&'k str, &'k str, i64);
}
impl cache::Counter for JwksFetches {}

/// Uses of a client assertion: `(client, SHA-256 of its jti)`, while it is accepted.
struct AssertionSeen;

impl cache::Kind for AssertionSeen {
    const NS: &'static str = "assertion";
    type Key<'k> = (&'k str, &'k str);
}
impl cache::Counter for AssertionSeen {}

pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let form_id = param(params, "client_id");
    if let Some(assertion) = param(params, "client_assertion") {
        if param(params, "client_assertion_type") != Some(ASSERTION_TYPE) {
            return Err(OAuthError::invalid_request(
                "client_assertion_type must be jwt-bearer",
            ));
        }
        if headers.contains_key(axum::http::header::AUTHORIZATION)
            || param(params, "client_secret").is_some()
        {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        return private_key_jwt(state, assertion, form_id).await;
    }
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let (id, secret) = match (basic, param(params, "client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some(b), None) => parse_basic(b).ok_or_else(OAuthError::invalid_client)?,
        (None, Some(s)) => (
            form_id.ok_or_else(OAuthError::invalid_client)?.to_string(),
            s.to_string(),
        ),
        (None, None) => {
            let id = form_id.ok_or_else(OAuthError::invalid_client)?;
            return public_client(state, id).await;
        }
    };
    if form_id.is_some_and(|f| f != id) {
        return Err(OAuthError::invalid_request(
            "client_id does not match the credentials",
        ));
    }
    let presented = sha256_hex(&secret);
    let matches = |c: &Client| {
        c.auth_method == AuthMethod::Secret && ct_eq(presented.as_bytes(), c.secret_hash.as_bytes())
    };
    let (client, remembered) = find_client(state, &id, false).await?;
    match client {
        Some(c) if matches(&c) => Ok(c),
        // A secret rotated since this replica remembered the record: read it again, so the
        // new secret works at once and the old one is forgotten here at once.
        Some(_) if remembered => match find_client(state, &id, true).await?.0 {
            Some(c) if matches(&c) => Ok(c),
            _ => Err(OAuthError::invalid_client()),
        },
        _ => Err(OAuthError::invalid_client()),
    }
}

/// `none` (RFC 7591 §2): a public client names itself with `client_id` and proves nothing;
/// PKCE S256 is what ties its code to the app that asked. Only clients registered public get
/// this: a confidential client without credentials is refused as before.
async fn public_client(state: &AppState, id: &str) -> Result<Client, OAuthError> {
    let (client, remembered) = find_client(state, id, false).await?;
    match client {
        Some(c) if c.is_public() => Ok(c),
        // Registered public since this replica remembered the record.
        Some(_) if remembered => match find_client(state, id, true).await?.0 {
            Some(c) if c.is_public() => Ok(c),
            _ => Err(OAuthError::invalid_client()),
        },
        _ => Err(OAuthError::invalid_client()),
    }
}

/// `authenticate` for the endpoints that are for confidential clients only
/// (introspection): a public client proves nothing, so it learns nothing there.
pub async fn authenticate_confidential(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let client = authenticate(state, headers, params).await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client());
    }
    Ok(client)
}

/// The client a request names (`client_id`, or the id in its Basic credentials), as this
/// replica remembers it; nothing is authenticated. For CORS on `/token` and `/revoke`, whose
/// allowed origins are those of the client the request is for.
pub async fn named_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Option<Client>, OAuthError> {
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(parse_basic)
        .map(|(id, _)| id);
    let id = match (param(params, "client_id"), basic) {
        (Some(f), _) => f.to_string(),
        (None, Some(b)) => b,
        (None, None) => match param(params, "client_assertion").and_then(unverified_sub) {
            Some(sub) => sub,
            None => return Ok(None),
        },
    };
    // The CORS layer calls this with a body of any content type, which the input gate
    // (`web::input`) judges only when a handler would read it as a form: the id is held to
    // the gate's rule here too, before it reaches the store (PostgreSQL refuses a NUL).
    if id.is_empty() || id.len() > 64 || !crate::domain::input::fit("", &id) {
        return Ok(None);
    }
    Ok(find_client(state, &id, false).await?.0)
}

/// The client record, from this replica's memo when it is at most `client_cache_secs` old.
/// Services call the token endpoints all day, and a database read each time cost 2-5x of
/// their throughput (bench/README.md); the price is that a secret rotated in another process
/// keeps working here for at most that long (1 s by default; 0 = read every time). Returns
/// whether the record came from the memo. Unknown ids are not kept.
async fn find_client(
    state: &AppState,
    id: &str,
    fresh: bool,
) -> Result<(Option<Client>, bool), OAuthError> {
    let now = state.clock.now();
    let ttl = state.settings.client_cache_secs.clamp(0, 5);
    if !fresh
        && ttl > 0
        && let Some(c) = state.clients.get(&id.to_string(), now)
    {
        return Ok((Some((*c).clone()), true));
    }
    let client = state.store.find_client(id).await?;
    match &client {
        Some(c) if ttl > 0 => state.clients.insert(
            id.to_string(),
            std::sync::Arc::new(c.clone()),
            now + ttl,
            now,
        ),
        Some(_) => {}
        None => state.clients.remove(&id.to_string()),
    }
    Ok((client, false))
}

/// RFC 7523 §3: `iss` = `sub` = the client, `aud` names this server, `exp` in the future,
/// `jti` never seen before, signed by one of the client's registered keys.
async fn private_key_jwt(
    state: &AppState,
    assertion: &str,
    form_id: Option<&str>,
) -> Result<Client, OAuthError> {
    let bad = OAuthError::invalid_client;
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| bad())?;
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::EdDSA
    ) {
        return Err(bad());
    }
    // The client is named inside the assertion; read it before the signature can be checked.
    let sub = unverified_sub(assertion).ok_or_else(bad)?;
    if form_id.is_some_and(|f| f != sub) {
        return Err(OAuthError::invalid_request(
            "client_id does not match the assertion",
        ));
    }
    let key_client = |c: Option<Client>| {
        c.filter(|c| c.auth_method == AuthMethod::PrivateKeyJwt)
            .ok_or_else(bad)
    };
    let (found, remembered) = find_client(state, &sub, false).await?;
    let mut client = key_client(found)?;
    let mut key = find_key(state, &client, header.kid.as_deref(), false).await?;
    if key.is_none() && remembered {
        // The remembered record may predate a key just registered inline.
        client = key_client(find_client(state, &sub, true).await?.0)?;
        key = find_key(state, &client, header.kid.as_deref(), false).await?;
    }
    let key = match key {
        Some(k) => k,
        // A key the service just rotated in: fetch its JWKS once more.
        None if client.jwks_uri.is_some() => find_key(state, &client, header.kid.as_deref(), true)
            .await?
            .ok_or_else(bad)?,
        None => return Err(bad()),
    };
    let iss = state.settings.issuer();
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[&client.id]);
    v.sub = Some(client.id.clone());
    v.set_audience(&[
        iss.to_string(),
        format!("{iss}/token"),
        format!("{iss}/par"),
        format!("{iss}/introspect"),
        format!("{iss}/revoke"),
    ]);
    v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    v.leeway = ASSERTION_LEEWAY as u64;
    let data = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &v).map_err(|e| {
        tracing::info!(client = %client.id, error = %e, "client assertion rejected");
        bad()
    })?;
    let exp = data.claims.get("exp").and_then(|e| e.as_i64()).unwrap_or(0);
    let now = state.clock.now();
    if exp - now > MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY {
        // A long-lived assertion would outlive its `jti` record and could be replayed.
        tracing::info!(client = %client.id, lifetime = exp - now, "client assertion lives too long");
        return Err(bad());
    }
    let jti = data
        .claims
        .get("jti")
        .and_then(|j| j.as_str())
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| OAuthError::invalid_request("the client assertion needs a jti"))?;
    // Single use: a captured assertion must not authenticate anyone a second time, so its
    // `jti` is kept for as long as the assertion itself is accepted (`exp` plus the leeway).
    let ttl = (exp - now).max(0) + ASSERTION_LEEWAY + 1;
    let seen = state
        .cache
        .count::<AssertionSeen>((&client.id, &sha256_hex(jti)), ttl)
        .await?;
    if seen > 1 {
        tracing::warn!(client = %client.id, "client assertion replayed");
        return Err(bad());
    }
    Ok(client)
}

fn unverified_sub(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let raw = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    // Read before any signature is checked, and looked up in the store: the same rule as
    // every parameter (`web::input`), since the gate cannot see inside the assertion.
    v.get("sub")?
        .as_str()
        .filter(|s| crate::domain::input::fit("", s))
        .map(str::to_string)
}

pub fn parse_jwks(s: &str) -> Result<JwkSet, String> {
    let set: JwkSet = serde_json::from_str(s).map_err(|e| e.to_string())?;
    if set.keys.is_empty() {
        return Err("the key set is empty".into());
    }
    for k in &set.keys {
        DecodingKey::from_jwk(k).map_err(|e| e.to_string())?;
    }
    Ok(set)
}

async fn find_key(
    state: &AppState,
    client: &Client,
    kid: Option<&str>,
    refetch: bool,
) -> Result<Option<DecodingKey>, OAuthError> {
    let raw = match (&client.jwks, &client.jwks_uri) {
        (Some(inline), _) => inline.clone(),
        (None, Some(uri)) => match fetch_jwks(state, &client.id, uri, refetch).await? {
            Some(r) => r,
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    let Ok(set) = parse_jwks(&raw) else {
        return Ok(None);
    };
    let jwk = match kid {
        Some(k) => set.find(k),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    };
    Ok(jwk.and_then(|j| DecodingKey::from_jwk(j).ok()))
}

/// The client's published JWKS, kept in the shared cache for `JWKS_TTL`. A fetch (the cache
/// missed, or `refetch` for an unknown `kid`) happens only within that reason's budget of one
/// per client per `JWKS_FETCH_WINDOW`, counted atomically across replicas; beyond it the
/// cached set (if any) is used as it is.
async fn fetch_jwks(
    state: &AppState,
    client_id: &str,
    uri: &str,
    refetch: bool,
) -> Result<Option<String>, OAuthError> {
    let cached = state.cache.get::<JwksEntry>(client_id).await?;
    if !refetch && cached.is_some() {
        return Ok(cached);
    }
    // A fixed window named by its number: every replica counts into the same key, and an
    // attacker's steady stream cannot keep one window open forever.
    let window = state.clock.now() / JWKS_FETCH_WINDOW;
    let reason = if refetch { "kid" } else { "miss" };
    let budget = (client_id, reason, window);
    if state
        .cache
        .count::<JwksFetches>(budget, JWKS_FETCH_WINDOW * 2)
        .await?
        > 1
    {
        tracing::debug!(client = %client_id, reason, "JWKS fetch budget spent");
        return Ok(cached);
    }
    let fetched = async {
        let mut res = state
            .http
            .get(uri)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.to_string())?;
        // A key set is a few KB; a service's endpoint must not make us buffer gigabytes.
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|e| e.to_string())
    }
    .await;
    match fetched {
        Ok(body) if parse_jwks(&body).is_ok() => {
            state
                .cache
                .put::<JwksEntry>(client_id, &body, JWKS_TTL)
                .await?;
            Ok(Some(body))
        }
        Ok(_) => {
            tracing::warn!(client = %client_id, %uri, "the client's JWKS is not a valid key set");
            Ok(cached)
        }
        Err(e) => {
            tracing::warn!(client = %client_id, %uri, error = %e, "cannot fetch the client's JWKS");
            Ok(cached)
        }
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined and base64'd.
fn parse_basic(b64: &str) -> Option<(String, String)> {
    let raw = STANDARD.decode(b64.trim()).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let (id, secret) = (dec(id)?, dec(secret)?);
    // The id reaches the store (PostgreSQL refuses NUL in text) and no id or secret holds a
    // control character: refused like any malformed credentials (`invalid_client`).
    let fit = |s: &str| crate::domain::input::fit("", s);
    (fit(&id) && fit(&secret)).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cache_keys_keep_their_names() {
        // What a running Redis holds: these strings must not change.
        use crate::cache::key;
        assert_eq!(key::<super::JwksEntry>("c1"), "client_jwks:c1");
        assert_eq!(
            key::<super::JwksFetches>(("c1", "kid", 29_000_000)),
            "client_jwks_fetch:c1:kid:29000000"
        );
        assert_eq!(key::<super::AssertionSeen>(("c1", "ab")), "assertion:c1:ab");
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD.encode("my%20app:s%3Acret+x");
        assert_eq!(
            super::parse_basic(&b),
            Some(("my app".to_string(), "s:cret x".to_string()))
        );
        assert_eq!(super::parse_basic("!!!"), None);
        for bad in ["my%00app:secret", "app:s%01cret", "a\u{7f}:b"] {
            let b = base64::engine::general_purpose::STANDARD.encode(bad);
            assert_eq!(super::parse_basic(&b), None, "{bad}");
        }
    }
}
