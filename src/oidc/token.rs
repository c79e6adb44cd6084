//! `/token`: authorization_code (PKCE), refresh_token (rotating), client_credentials.

use axum::Json;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::claims::AuthContext;
use super::codes::{CodeEntry, RedeemedCode, RedeemedEntry, RevokedJti};
use super::request::param;
use super::tokens::{self, IdTokenInput};
use crate::auth::session;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::oidc::{OAuthErrorCode, has_scope};
use crate::domain::{pkce, refresh_token};
use crate::error::OAuthError;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::refresh::{RefreshGrant, RefreshUse};

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut res = Json(self).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res.headers_mut()
            .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        res
    }
}

impl From<tokens::TokenError> for OAuthError {
    fn from(e: tokens::TokenError) -> Self {
        match e {
            tokens::TokenError::Unavailable(e) => e.into(),
            e => {
                tracing::error!(error = %e, "token signing failed");
                OAuthError::server_error()
            }
        }
    }
}

pub async fn post_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response, OAuthError> {
    let params = super::request::parse_params(&body)?;
    let client = super::client_auth::authenticate(&state, &headers, &params).await?;
    let grant_type = param(&params, "grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "unsupported grant_type",
        ));
    }
    // A public client has no credentials to act on its own behalf with.
    if grant_type == "client_credentials" && client.is_public() {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "a public client cannot use client_credentials",
        ));
    }
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "this client may not use that grant",
        ));
    }
    let (grant, res) = match grant_type {
        "authorization_code" => (
            "authorization_code",
            authorization_code(&state, &client, &params).await?,
        ),
        "refresh_token" => ("refresh_token", refresh(&state, &client, &params).await?),
        _ => (
            "client_credentials",
            client_credentials(&state, &client, &params)?,
        ),
    };
    crate::ops::metrics::token_issued(grant);
    Ok(res.into_response())
}

type Params = std::collections::HashMap<String, String>;

async fn authorization_code(
    state: &AppState,
    client: &Client,
    p: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = param(p, "code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let hash = sha256_hex(code);
    let Some(grant) = state.cache.take::<CodeEntry>(&hash).await? else {
        revoke_redeemed(state, &hash).await?;
        return Err(OAuthError::invalid_grant(
            "the code is invalid, expired or already used",
        ));
    };
    // Checks after `take`: a code presented with a wrong verifier or by the wrong client is
    // burned, so it cannot be retried with guesses.
    if grant.expires_at <= state.clock.now() {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if param(p, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let verifier = param(p, "code_verifier")
        .ok_or_else(|| OAuthError::invalid_grant("code_verifier is required"))?;
    if !pkce::verify_s256(verifier, &grant.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let user = state
        .store
        .find_user(&grant.user_id)
        .await?
        .filter(|u| u.is_active())
        .ok_or_else(|| OAuthError::invalid_grant("the account is not active"))?;
    // The sign-in that issued the code must still be going on: a logout (or "end everything")
    // in the code's lifetime would otherwise leave a grant its revocation never saw. One cache
    // read per exchange, none per refresh.
    if !session_live(state, &grant.sid, &user).await? {
        return Err(OAuthError::invalid_grant(
            "the sign-in that issued the code has ended",
        ));
    }
    if !still_allowed(state, client, &user.id, &grant.scope).await? {
        let ev = AuditEvent {
            actor: Some(&user.id),
            subject: Some(&user.id),
            client_id: Some(&client.id),
            detail: Some("code exchange: the client's policy no longer admits the person"),
            ..AuditEvent::new(AuditKind::AccessDenied)
        };
        state.store.audit(&ev, state.clock.now()).await?;
        return Err(OAuthError::invalid_grant(
            "the person may no longer use this service with this scope",
        ));
    }
    let auth = AuthContext {
        auth_time: grant.auth_time,
        amr: grant.amr.clone(),
        acr: grant.acr.clone(),
        sid: grant.sid.clone(),
    };
    let t = UserTokens {
        client,
        user: &user,
        scope: &grant.scope,
        nonce: grant.nonce.as_deref(),
        auth: &auth,
    };
    let new = Grant::New {
        session_ends_at: grant.session_expires_at,
    };
    let issued = issue_user_tokens(state, &t, new).await?;
    // Checked again once the grant is stored: a session ended between the check above and
    // the write ran its revocation before this grant existed. Now either this read sees the
    // session gone, or the session ends after the write and its revocation finds the grant.
    if !session_live(state, &grant.sid, &user).await? {
        let now = state.clock.now();
        state.store.revoke_family(&issued.family_id, now).await?;
        revoke_jti(state, &issued.jti, issued.access_expires_at).await?;
        return Err(OAuthError::invalid_grant(
            "the sign-in that issued the code has ended",
        ));
    }
    if client.backchannel_logout_uri.is_some() {
        state
            .store
            .note_session_client(&grant.sid, &client.id, &user.id, grant.session_expires_at)
            .await?;
    }
    let redeemed = RedeemedCode {
        family_id: Some(issued.family_id.clone()),
        jti: issued.jti.clone(),
        access_expires_at: issued.access_expires_at,
    };
    let keep = RedeemedEntry::ttl(&state.settings);
    state
        .cache
        .put::<RedeemedEntry>(&hash, &redeemed, keep)
        .await?;
    Ok(issued.response)
}

/// Whether the sign-in session `sid` is still going on and the account still admits it.
async fn session_live(
    state: &AppState,
    sid: &str,
    user: &crate::store::users::User,
) -> Result<bool, OAuthError> {
    Ok(session::by_sid(state, sid)
        .await?
        .is_some_and(|s| user.admits_session(s.auth_time)))
}

/// RFC 6749 §4.1.2: a code used twice revokes the tokens issued for it.
async fn revoke_redeemed(state: &AppState, code_hash: &str) -> Result<(), OAuthError> {
    let Some(r) = state.cache.take::<RedeemedEntry>(code_hash).await? else {
        return Ok(());
    };
    let now = state.clock.now();
    if let Some(f) = &r.family_id {
        state.store.revoke_family(f, now).await?;
    }
    revoke_jti(state, &r.jti, r.access_expires_at).await?;
    tracing::warn!(jti = %r.jti, "authorization code replayed; revoked the tokens it issued");
    Ok(())
}

pub async fn revoke_jti(
    state: &AppState,
    jti: &str,
    exp: i64,
) -> Result<(), crate::cache::CacheError> {
    let ttl = (exp - state.clock.now()).max(1);
    state.cache.put::<RevokedJti>(jti, &(), ttl).await
}

struct Issued {
    response: TokenResponse,
    family_id: String,
    jti: String,
    access_expires_at: i64,
}

/// Whose tokens, for which client, with what.
struct UserTokens<'a> {
    client: &'a Client,
    user: &'a crate::store::users::User,
    scope: &'a str,
    nonce: Option<&'a str>,
    auth: &'a AuthContext,
}

/// Which grant tokens are issued for.
enum Grant<'a> {
    /// A new grant from a code; `session_ends_at` is when the code's sign-in session ends.
    New { session_ends_at: i64 },
    /// The rotation of a family, which keeps its family and the family's absolute expiry.
    Rotate(&'a RefreshGrant),
}

/// Mints and stores a user's tokens: a new grant or the rotation of an existing one.
async fn issue_user_tokens(
    state: &AppState,
    t: &UserTokens<'_>,
    grant: Grant<'_>,
) -> Result<Issued, OAuthError> {
    let UserTokens {
        client,
        user,
        scope,
        auth,
        ..
    } = *t;
    let now = state.clock.now();
    let (family_id, generation, expires_at) = match grant {
        Grant::Rotate(old) => (old.family_id.clone(), old.generation + 1, old.expires_at),
        // Bounded by the session's end here, once: a refresh then checks only the row.
        Grant::New { session_ends_at } => (
            new_family_id(),
            0,
            refresh_token::grant_expires_at(
                now,
                refresh_ttl(state, client),
                scope,
                session_ends_at,
            ),
        ),
    };
    let refresh = refresh_token::format(&family_id, generation, &random_token());
    let hash = sha256_hex(&refresh);
    // Minted before storing, so a signing failure stores no token that nobody received.
    let issued = mint_user_tokens(state, t, refresh, family_id.clone())?;
    match grant {
        Grant::New { .. } => {
            let grant = RefreshGrant {
                family_id,
                generation,
                current_hash: hash,
                user_id: user.id.clone(),
                client_id: client.id.clone(),
                scope: scope.to_string(),
                sid: auth.sid.clone(),
                auth_time: auth.auth_time,
                amr: auth.amr.join(" "),
                acr: auth.acr.clone(),
                expires_at,
            };
            state.store.insert_refresh(&grant, now).await?;
        }
        Grant::Rotate(old) => {
            if !state.store.rotate_refresh(old, &hash, now).await? {
                // A parallel request spent the same token first: a replay.
                state.store.revoke_family(&family_id, now).await?;
                return Err(OAuthError::invalid_grant(
                    "the refresh token was already used; its grant is revoked",
                ));
            }
        }
    }
    Ok(issued)
}

/// A new grant's lifetime: the client's own, else the default for its kind. A public
/// client's token lives in a browser or on a phone, so its default is shorter.
fn refresh_ttl(state: &AppState, client: &Client) -> i64 {
    client
        .refresh_token_ttl_secs
        .unwrap_or(if client.is_public() {
            state.settings.public_refresh_token_ttl_secs
        } else {
            state.settings.refresh_token_ttl_secs
        })
}

/// A new family's id: 128 random bits, base64url. It is secret like the tokens that carry
/// it: knowing it is what lets an earlier generation be taken for a replay.
fn new_family_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The signed tokens and the response carrying them, around an already chosen refresh token.
fn mint_user_tokens(
    state: &AppState,
    t: &UserTokens<'_>,
    refresh: String,
    family_id: String,
) -> Result<Issued, OAuthError> {
    let UserTokens {
        client,
        user,
        scope,
        nonce,
        auth,
    } = *t;
    let ring = state.keys();
    let (access, claims) = tokens::mint_access(state, &ring, &user.id, client, scope, Some(auth))?;
    let alg = tokens::parse_alg(&client.id_token_alg).unwrap_or(jsonwebtoken::Algorithm::ES256);
    let id_token = tokens::mint_id(
        state,
        &ring,
        &IdTokenInput {
            user,
            client_id: &client.id,
            alg,
            scope,
            nonce,
            auth,
            access_token: &access,
        },
    )?;
    Ok(Issued {
        response: TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: claims.exp - claims.iat,
            scope: scope.to_string(),
            id_token: Some(id_token),
            refresh_token: Some(refresh),
        },
        family_id,
        jti: claims.jti,
        access_expires_at: claims.exp,
    })
}

/// The sign-in a refresh stands on, as it stands `now`: a fresh code's `loa:3` lapses to
/// `loa:2` with time, as a session's does (the grant keeps what was proven at sign-in).
fn auth_of(grant: &RefreshGrant, now: i64) -> AuthContext {
    AuthContext {
        auth_time: grant.auth_time,
        amr: grant.amr.split(' ').map(str::to_string).collect(),
        acr: crate::domain::oidc::acr_now(&grant.acr, grant.auth_time, now).to_string(),
        sid: grant.sid.clone(),
    }
}

/// Whether the client's policy still admits a grant of `scope` to the person: a refresh
/// family lives for weeks, and the roles and marks it stood on can be withdrawn meanwhile.
/// Only clients that name roles, and grants that carry a staff scope, cost a query; every
/// other refresh (the hot path) is decided here without one.
async fn still_allowed(
    state: &AppState,
    client: &Client,
    user_id: &str,
    scope: &str,
) -> Result<bool, OAuthError> {
    let staff: Vec<&str> = crate::domain::oidc::STAFF_SCOPES
        .iter()
        .copied()
        .filter(|s| has_scope(scope, s))
        .collect();
    if !staff.iter().all(|s| client.allows_scope(s)) {
        return Ok(false);
    }
    // The operator withdrew a public client's offline_access since the grant was made.
    if has_scope(scope, "offline_access") && client.drops_scope("offline_access") {
        return Ok(false);
    }
    if client.allowed_roles.is_empty() && staff.is_empty() {
        return Ok(true);
    }
    let roles = state.store.role_names(user_id).await?;
    let staff_role = roles.iter().any(|r| crate::domain::oidc::is_staff_role(r));
    Ok(client.admits(&roles) && (staff.is_empty() || staff_role))
}

/// A refresh the client's policy no longer admits: the family ends (its successor too, on
/// the one-statement path) and the refusal is audited.
async fn policy_refused(
    state: &AppState,
    client: &Client,
    user_id: &str,
    family_id: &str,
) -> Result<OAuthError, OAuthError> {
    let now = state.clock.now();
    state.store.revoke_family(family_id, now).await?;
    let ev = AuditEvent {
        actor: Some(user_id),
        subject: Some(user_id),
        client_id: Some(&client.id),
        detail: Some("refresh: the client's policy no longer admits the person"),
        ..AuditEvent::new(AuditKind::AccessDenied)
    };
    state.store.audit(&ev, now).await?;
    Ok(OAuthError::invalid_grant(
        "the person may no longer use this service with this scope; its grant is revoked",
    ))
}

async fn refresh(
    state: &AppState,
    client: &Client,
    p: &Params,
) -> Result<TokenResponse, OAuthError> {
    let token = param(p, "refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = state.clock.now();
    let Some(presented) = refresh_token::parse(token) else {
        return Err(OAuthError::invalid_grant(
            "the refresh token is invalid or expired",
        ));
    };
    // The common case (same scope, right client, active user) in one statement where the
    // database allows; anything else goes the checked way below. Here the rotation is stored
    // before the tokens are signed: a signing failure (an outage of its own) would cost this
    // client its grant, and the person signs in again.
    if param(p, "scope").is_none() {
        let next = refresh_token::format(
            &presented.family_id,
            presented.generation + 1,
            &random_token(),
        );
        if let Some((old, user)) = state
            .store
            .rotate_live_refresh(&presented, &client.id, &sha256_hex(&next), now)
            .await?
        {
            if !still_allowed(state, client, &user.id, &old.scope).await? {
                return Err(policy_refused(state, client, &old.user_id, &old.family_id).await?);
            }
            let t = UserTokens {
                client,
                user: &user,
                scope: &old.scope,
                nonce: None,
                auth: &auth_of(&old, now),
            };
            let issued = mint_user_tokens(state, &t, next, old.family_id.clone())?;
            return Ok(issued.response);
        }
    }
    let (grant, user) = match state.store.find_refresh_for_use(&presented, now).await? {
        RefreshUse::Fresh { grant, user } => (grant, user),
        RefreshUse::Replayed => {
            tracing::warn!(client = %client.id, "refresh token reused; revoked its family");
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; its grant is revoked",
            ));
        }
        RefreshUse::Invalid => {
            return Err(OAuthError::invalid_grant(
                "the refresh token is invalid or expired",
            ));
        }
    };
    if grant.client_id != client.id {
        // Someone else's token: burn the family, it has leaked.
        state.store.revoke_family(&grant.family_id, now).await?;
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    // A narrower scope may be asked for, never a wider one (RFC 6749 §6).
    let scope = match param(p, "scope") {
        None => grant.scope.clone(),
        Some(s) => {
            if s.split(' ').any(|x| !has_scope(&grant.scope, x)) {
                return Err(OAuthError::new(
                    OAuthErrorCode::InvalidScope,
                    "scope exceeds the original grant",
                ));
            }
            s.to_string()
        }
    };
    let Some(user) = user.filter(|u| u.is_active()) else {
        state.store.revoke_family(&grant.family_id, now).await?;
        return Err(OAuthError::invalid_grant("the account is not active"));
    };
    if !still_allowed(state, client, &user.id, &grant.scope).await? {
        return Err(policy_refused(state, client, &user.id, &grant.family_id).await?);
    }
    let t = UserTokens {
        client,
        user: &user,
        scope: &scope,
        nonce: None,
        auth: &auth_of(&grant, now),
    };
    let issued = issue_user_tokens(state, &t, Grant::Rotate(&grant)).await?;
    Ok(issued.response)
}

fn client_credentials(
    state: &AppState,
    client: &Client,
    p: &Params,
) -> Result<TokenResponse, OAuthError> {
    // A client acting for itself gets no user scopes.
    let scope = param(p, "scope").unwrap_or("");
    if scope
        .split(' ')
        .any(|s| crate::domain::oidc::SCOPES.contains(&s))
    {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidScope,
            "user scopes need a user: use the authorization code flow",
        ));
    }
    let ring = state.keys();
    let (access, claims) = tokens::mint_access(state, &ring, &client.id, client, scope, None)?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        scope: scope.to_string(),
        id_token: None,
        refresh_token: None,
    })
}
