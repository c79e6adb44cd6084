//! The helpdesk actions as JSON for agency tools: `/api/helpdesk/…`, authorized by a
//! Gerbang access token with the `helpdesk` scope whose user holds the role. Same scope
//! rules and audit as the console; described at `/api/openapi.json`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::staff::{
    FRESH_MFA_SECS, Lookup, Purpose, Staff, enable_refused, find_in_scope, mask_email,
    parse_action, perform, reason_ok, staff_of,
};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::oidc::has_scope;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::users::User;
use crate::web::extract::ClientMeta;
use crate::web::i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/helpdesk/users/{nip}", get(get_user))
        .route("/api/helpdesk/users/{nip}/actions", post(post_action))
        .route("/api/openapi.json", get(get_openapi))
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    // RFC 6750 §3 (and RFC 9470 §3 for a second factor that is missing or too old): the
    // challenge names the error, so a tool knows to send the person to sign in again.
    let challenge = match (status, error) {
        (StatusCode::UNAUTHORIZED, "insufficient_user_authentication") => Some(format!(
            "Bearer realm=\"gerbang\", error=\"{error}\", error_description=\"{description}\", max_age={FRESH_MFA_SECS}"
        )),
        (StatusCode::UNAUTHORIZED, _) => Some(format!(
            "Bearer realm=\"gerbang\", scope=\"helpdesk\", error=\"{error}\""
        )),
        (StatusCode::FORBIDDEN, "insufficient_scope") => Some(format!(
            "Bearer realm=\"gerbang\", scope=\"helpdesk\", error=\"{error}\""
        )),
        _ => None,
    };
    if let Some(v) = challenge.and_then(|c| c.parse().ok()) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

fn unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "try again",
    )
}

/// The staff member behind a bearer token, or the error response to give. The token must
/// be a user's, carry the `helpdesk` scope, have been issued to a client the operator allows
/// that scope (its `aud`), and stand on a TOTP code proved within the console's window: a
/// refreshed token keeps its original `auth_time`, so refreshing never makes an old MFA fresh.
async fn staff(state: &AppState, headers: &HeaderMap, ip: &str) -> Result<Staff, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "a Bearer access token is required",
            )
        })?;
    let claims = crate::oidc::tokens::check_access(state, token.trim())
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is invalid or expired",
            )
        })?;
    if !claims.has_user() || !has_scope(&claims.scope, "helpdesk") {
        return Err(error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "a user token with the helpdesk scope is required",
        ));
    }
    let refuse = |why: &'static str| {
        let ev = AuditEvent {
            actor: Some(&claims.sub),
            subject: Some(&claims.sub),
            ip: Some(ip),
            client_id: Some(&claims.client_id),
            detail: Some(why),
            ..AuditEvent::new(AuditKind::HelpdeskRefused)
        };
        async move { state.store.audit(&ev, state.clock.now()).await }
    };
    // The token's audience must be a live client the operator marked for the scope: a
    // token minted for any other service (or before the mark was withdrawn) is not one.
    let allowed = match state.store.find_client(&claims.client_id).await {
        Ok(c) => c.is_some_and(|c| c.id == claims.aud && c.allows_scope("helpdesk")),
        Err(_) => return Err(unavailable()),
    };
    if !allowed {
        refuse("api: client not allowed the helpdesk scope")
            .await
            .map_err(|_| unavailable())?;
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the token was not issued to a client allowed the helpdesk scope",
        ));
    }
    let now = state.clock.now();
    let otp = claims
        .amr
        .as_ref()
        .is_some_and(|a| a.iter().any(|m| m == "otp"));
    let fresh = claims.auth_time.is_some_and(|t| t + FRESH_MFA_SECS >= now);
    if !otp || !fresh {
        refuse("api: no fresh TOTP")
            .await
            .map_err(|_| unavailable())?;
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "insufficient_user_authentication",
            "sign in again with an authenticator code: the helpdesk needs one from the last 15 minutes",
        ));
    }
    // The sign-in behind the token must still be going on: after "end sessions", a logout
    // or a password reset, its staff powers end at once, not when the token expires.
    let live = match &claims.sid {
        Some(sid) => match crate::auth::session::by_sid(state, sid).await {
            Ok(s) => s.is_some_and(|s| s.user_id == claims.sub),
            Err(_) => return Err(unavailable()),
        },
        None => false,
    };
    if !live {
        refuse("api: session ended")
            .await
            .map_err(|_| unavailable())?;
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the sign-in this token belongs to has ended",
        ));
    }
    let user = match state.store.find_user(&claims.sub).await {
        Ok(Some(u)) if u.is_active() => u,
        Ok(_) => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the account is not active",
            ));
        }
        Err(_) => return Err(unavailable()),
    };
    match staff_of(state, user, claims.auth_time.unwrap_or(0)).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => {
            // A role revoked while the token lives.
            refuse("api: no helpdesk role")
                .await
                .map_err(|_| unavailable())?;
            Err(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the user holds no helpdesk role",
            ))
        }
        Err(_) => Err(unavailable()),
    }
}

fn person_json(
    u: &User,
    devices: usize,
    browsers: &[crate::auth::guard::BrowserLock],
) -> serde_json::Value {
    // Each known browser's own counter: locks that stop the person in that browser only.
    let browser_locks: Vec<_> = browsers
        .iter()
        .map(|b| json!({ "browser": b.browser, "failures": b.failures, "locked_until": b.locked_until }))
        .collect();
    json!({
        "nip": u.nip, "name": u.name, "instansi_id": u.instansi_id, "status": u.status.as_str(),
        // The helpdesk's Disable, on its own: `status` says what SIASN and the lock decide.
        "helpdesk_hold": u.held(), "helpdesk_hold_at": u.helpdesk_hold_at,
        "email_masked": mask_email(&u.email), "locked_until": u.locked_until,
        "failed_logins": u.failed_logins, "mfa_devices": devices, "browser_locks": browser_locks,
    })
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such person in your agencies",
    )
}

fn internal(e: AppError) -> Response {
    error(e.status, "server_error", e.key)
}

async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientMeta,
    Path(nip): Path<String>,
) -> Response {
    let ip = client.ip;
    let staff = match staff(&state, &headers, &ip).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match find_in_scope(&state, &staff, &nip, &ip, Purpose::View).await {
        Ok(Lookup::Person(u)) => {
            let devices = match state.store.list_totp(&u.id).await {
                Ok(d) => d.len(),
                Err(e) => return internal(e.into()),
            };
            match crate::auth::guard::browser_locks(&state, &u.id).await {
                Ok(b) => Json(person_json(&u, devices, &b)).into_response(),
                Err(e) => internal(e.into()),
            }
        }
        Ok(Lookup::NotFound | Lookup::Own) => not_found(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct ActionBody {
    action: String,
    reason: String,
    #[serde(default)]
    new_email: String,
}

async fn post_action(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    client: ClientMeta,
    Path(nip): Path<String>,
    body: Result<Json<ActionBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let ClientMeta { ip, user_agent: ua } = client;
    let staff = match staff(&state, &headers, &ip).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a JSON body {action, reason[, new_email]} is required",
        );
    };
    let person = match find_in_scope(&state, &staff, &nip, &ip, Purpose::Act).await {
        Ok(Lookup::Person(u)) => u,
        Ok(Lookup::NotFound) => return not_found(),
        Ok(Lookup::Own) => {
            return error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "nobody takes helpdesk actions on their own account",
            );
        }
        Err(e) => return internal(e),
    };
    let refused = |why: &'static str| AuditEvent {
        actor: Some(&staff.user.id),
        subject: Some(&person.id),
        ip: Some(&ip),
        detail: Some(why),
        ..AuditEvent::new(AuditKind::HelpdeskRefused)
    };
    let now = state.clock.now();
    let reason = body.reason.trim();
    if !reason_ok(reason) {
        if let Err(e) = state.store.audit(&refused("no reason"), now).await {
            return internal(e.into());
        }
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "reason must be 5-500 characters, with no hidden or direction-changing characters",
        );
    }
    let new_email = body.new_email.trim().to_string();
    let Some(action) = parse_action(&body.action, &new_email) else {
        if let Err(e) = state
            .store
            .audit(&refused("bad action or e-mail"), now)
            .await
        {
            return internal(e.into());
        }
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown action, or a bad new_email for set_email",
        );
    };
    if enable_refused(&staff, &person, action) {
        if let Err(e) = state
            .store
            .audit(&refused("enable over a SIASN disable"), now)
            .await
        {
            return internal(e.into());
        }
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            // A person may read this from an agency tool: in their language.
            lang.t("helpdesk.siasn_inactive"),
        );
    }
    match perform(&state, &staff, &person, action, reason, &ip, ua.as_deref()).await {
        Ok(()) => Json(json!({ "done": action.name(), "nip": person.nip })).into_response(),
        Err(e) => internal(e),
    }
}

async fn get_openapi() -> Json<serde_json::Value> {
    let err = json!({ "$ref": "#/components/schemas/Error" });
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "Gerbang helpdesk API", "version": "1" },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A Gerbang access token with scope `helpdesk`, issued to a client the operator allows that scope, from a sign-in with an authenticator code in the last 15 minutes (refreshing keeps the original time); the user must hold the helpdesk or admin role." } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": {
                    "error": { "type": "string" }, "error_description": { "type": "string" } } },
                "Person": { "type": "object", "properties": {
                    "nip": { "type": "string" }, "name": { "type": "string" }, "instansi_id": { "type": ["string", "null"] },
                    "status": { "type": "string", "enum": ["active", "disabled", "locked", "siasn_inactive"],
                        "description": "What the import and the lock decide; the person may sign in only when it is `active` and `helpdesk_hold` is false" },
                    "helpdesk_hold": { "type": "boolean", "description": "A helpdesk Disable keeps the account off whatever `status` says; no import lifts it, only an Enable (which lifts only the hold)" },
                    "helpdesk_hold_at": { "type": ["integer", "null"] },
                    "email_masked": { "type": "string" }, "locked_until": { "type": ["integer", "null"] },
                    "failed_logins": { "type": "integer" }, "mfa_devices": { "type": "integer" },
                    "browser_locks": { "type": "array", "items": { "type": "object", "properties": {
                        "browser": { "type": "string" }, "failures": { "type": "integer" },
                        "locked_until": { "type": ["integer", "null"] } } } } } },
                "Action": { "type": "object", "required": ["action", "reason"], "properties": {
                    "action": { "type": "string", "enum": ["unlock", "reset_mfa", "set_email", "disable", "enable", "end_sessions"] },
                    "reason": { "type": "string", "minLength": 5, "maxLength": 500 },
                    "new_email": { "type": "string", "format": "email" } } }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/helpdesk/users/{nip}": { "get": {
                "summary": "A person of one of the caller's agencies (others are 404, like unknown NIPs)",
                "parameters": [{ "name": "nip", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{18}$" } }],
                "responses": { "200": { "description": "found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Person" } } } },
                    "401": { "description": "no or bad token, a client not allowed the helpdesk scope, or `insufficient_user_authentication`: no authenticator code in the last 15 minutes", "content": { "application/json": { "schema": err } } },
                    "403": { "description": "no helpdesk scope or role", "content": { "application/json": { "schema": err } } },
                    "404": { "description": "not found in the caller's agencies (staff members are visible to admins only)", "content": { "application/json": { "schema": err } } } } } },
            "/api/helpdesk/users/{nip}/actions": { "post": {
                "summary": "Unlock, reset MFA, change e-mail, disable, enable or end sessions; audited and e-mailed",
                "parameters": [{ "name": "nip", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Action" } } } },
                "responses": { "200": { "description": "done" },
                    "400": { "description": "bad action or reason", "content": { "application/json": { "schema": err } } },
                    "401": { "description": "no or bad token, or no authenticator code in the last 15 minutes" }, "403": { "description": "no helpdesk scope or role, or the caller's own account" },
                    "404": { "description": "not found in the caller's agencies (staff members: admins only)" } } } }
        }
    }))
}
