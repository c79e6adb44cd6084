//! A validated authorization request: the parameter rules `/authorize` and `/par` share, and
//! the request kept in the cache while the person signs in (`/login?req=…`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError};
use crate::domain::oidc::{OAuthErrorCode, SCOPES, has_scope};
use crate::domain::pkce;
use crate::state::AppState;
use crate::store::clients::Client;

/// A validated authorization request waiting for the user to sign in (`/login?req=…`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub login_hint: Option<String>,
    /// `prompt=consent`: ask again even when a consent is on record.
    #[serde(default)]
    pub prompt_consent: bool,
    /// The session `/authorize` checked (fresh enough, admitted) before asking for consent:
    /// only that session may answer it. A request saved for the login form has none, so the
    /// consent form cannot stand in for a sign-in (`prompt=login`, `max_age`, a stale session).
    #[serde(default)]
    pub consent_sid: Option<String>,
    /// How the answer travels back (query, fragment or an auto-submitted form).
    #[serde(default)]
    pub response_mode: ResponseMode,
    /// The page language `ui_locales` chose for this sign-in (`id`/`en`), if any.
    #[serde(default)]
    pub ui_locale: Option<String>,
    /// Authentication context classes asked for, in order of preference (`acr_values`, or
    /// the `claims` parameter's `acr`).
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// `claims` asked for `acr` as essential: unmet, the request fails instead of going on.
    #[serde(default)]
    pub acr_essential: bool,
    /// The language of the pages this request shows itself (the form-post page): the
    /// `ui_locales` choice, else the browser's at `/authorize`.
    #[serde(default)]
    pub page_lang: String,
}

/// OAuth 2.0 Multiple Response Type Encoding Practices §2 and the Form Post Response Mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query: the default for `response_type=code`.
    #[default]
    Query,
    /// Parameters in the redirect URI's fragment (read by script in the browser).
    Fragment,
    /// An HTML form posted to the redirect URI by the browser.
    FormPost,
}

/// A `response_mode` Gerbang does not answer in.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownMode;

/// Every mode `/authorize` answers in (discovery lists exactly these).
pub const RESPONSE_MODES: [&str; 3] = ["query", "fragment", "form_post"];

impl ResponseMode {
    /// The requested mode; `Err(UnknownMode)` for a value Gerbang does not know.
    pub fn from_params(params: &HashMap<String, String>) -> Result<Self, UnknownMode> {
        match param(params, "response_mode") {
            None | Some("query") => Ok(ResponseMode::Query),
            Some("fragment") => Ok(ResponseMode::Fragment),
            Some("form_post") => Ok(ResponseMode::FormPost),
            Some(_) => Err(UnknownMode),
        }
    }
}

/// The first language of a space-separated `ui_locales` list that Gerbang has (`id`, `en`;
/// a region such as `en-GB` counts as its language).
pub fn ui_locale(list: &str) -> Option<crate::web::i18n::Lang> {
    list.split(' ').find_map(
        |tag| match tag.split('-').next()?.to_ascii_lowercase().as_str() {
            "id" => Some(crate::web::i18n::Lang::Id),
            "en" => Some(crate::web::i18n::Lang::En),
            _ => None,
        },
    )
}

/// The `acr` request of the `claims` parameter (OIDC Core §5.5.1.1): its values (`value` or
/// `values`) and whether it is essential. Other claim requests are accepted and left to the
/// scopes: OIDC Core §5.5 lets the provider leave out what it does not return. `Err` for a
/// parameter that is not the JSON object the specification describes.
fn claims_acr(raw: &str) -> Result<Option<(Vec<String>, bool)>, ()> {
    let v: serde_json::Value = serde_json::from_str(raw).map_err(|_| ())?;
    let obj = v.as_object().ok_or(())?;
    let mut found = None;
    for member in ["id_token", "userinfo"] {
        let Some(part) = obj.get(member) else {
            continue;
        };
        let part = part.as_object().ok_or(())?;
        let Some(acr) = part.get("acr") else {
            continue;
        };
        if acr.is_null() {
            found.get_or_insert((Vec::new(), false));
            continue;
        }
        let acr = acr.as_object().ok_or(())?;
        let essential = match acr.get("essential") {
            None => false,
            Some(e) => e.as_bool().ok_or(())?,
        };
        let mut values = Vec::new();
        if let Some(one) = acr.get("value") {
            values.push(one.as_str().ok_or(())?.to_string());
        }
        if let Some(many) = acr.get("values") {
            for a in many.as_array().ok_or(())? {
                values.push(a.as_str().ok_or(())?.to_string());
            }
        }
        // The ID token's request decides; the userinfo one only when it is alone.
        if member == "id_token" || found.is_none() {
            found = Some((values, essential));
        }
    }
    Ok(found)
}

/// What `check` makes of a request's parameters once client and redirect URI are known.
pub struct Checked {
    pub req: AuthRequest,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub max_age: Option<i64>,
}

/// The checks `/authorize` and `/par` share; errors are (OAuth error code, description).
pub fn check(
    client: &Client,
    redirect_uri: &str,
    params: &HashMap<String, String>,
) -> Result<Checked, (OAuthErrorCode, &'static str)> {
    let get = |k: &str| param(params, k);
    if get("request").is_some() {
        return Err((
            OAuthErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if get("response_type") != Some("code") {
        return Err((
            OAuthErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        ));
    }
    let Ok(response_mode) = ResponseMode::from_params(params) else {
        return Err((
            OAuthErrorCode::InvalidRequest,
            "response_mode must be query, fragment or form_post",
        ));
    };
    if !client.allows_grant("authorization_code") {
        return Err((
            OAuthErrorCode::UnauthorizedClient,
            "client may not use the authorization code flow",
        ));
    }
    let scope = get("scope").unwrap_or("");
    if !has_scope(scope, "openid") {
        return Err((OAuthErrorCode::InvalidScope, "the openid scope is required"));
    }
    // Unknown scopes are dropped (RFC 6749 §3.3 lets the server narrow the scope), and so
    // is offline_access for a public client the operator has not allowed it.
    let scope: Vec<&str> = SCOPES
        .iter()
        .copied()
        .filter(|s| has_scope(scope, s) && !client.drops_scope(s))
        .collect();
    // A staff scope reaches staff APIs: only clients the operator marked for it may ask,
    // consented or first-party alike. Refused rather than dropped, so the service learns why.
    if scope.iter().any(|s| !client.allows_scope(s)) {
        return Err((
            OAuthErrorCode::InvalidScope,
            "this client is not allowed the requested scope",
        ));
    }
    let scope = scope.join(" ");
    // PKCE is required even for confidential clients: a stolen code must be useless without
    // the verifier.
    let Some(challenge) = get("code_challenge") else {
        return Err((
            OAuthErrorCode::InvalidRequest,
            "code_challenge (PKCE) is required",
        ));
    };
    if get("code_challenge_method") != Some("S256") {
        return Err((
            OAuthErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        ));
    }
    if !pkce::valid_challenge(challenge) {
        return Err((
            OAuthErrorCode::InvalidRequest,
            "code_challenge is malformed",
        ));
    }
    let nonce = get("nonce").map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err((OAuthErrorCode::InvalidRequest, "nonce is too long"));
    }
    let prompt: Vec<&str> = get("prompt")
        .map(|p| p.split(' ').collect())
        .unwrap_or_default();
    if prompt
        .iter()
        .any(|p| !matches!(*p, "none" | "login" | "consent"))
    {
        return Err((OAuthErrorCode::InvalidRequest, "unsupported prompt value"));
    }
    let prompt_none = prompt.contains(&"none");
    if prompt_none && prompt.len() > 1 {
        return Err((
            OAuthErrorCode::InvalidRequest,
            "prompt=none cannot be combined",
        ));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(m) => match m.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                return Err((
                    OAuthErrorCode::InvalidRequest,
                    "max_age must be a non-negative integer",
                ));
            }
        },
    };
    let mut acr_values: Vec<String> = get("acr_values")
        .map(|a| {
            a.split(' ')
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut acr_essential = false;
    if let Some(raw) = get("claims") {
        match claims_acr(raw) {
            Ok(Some((values, essential))) => {
                // The claims request is the precise one: it replaces `acr_values`.
                if !values.is_empty() || essential {
                    acr_values = values;
                }
                acr_essential = essential;
            }
            Ok(None) => {}
            Err(()) => {
                return Err((
                    OAuthErrorCode::InvalidRequest,
                    "claims must be a JSON object as in OpenID Connect Core 5.5",
                ));
            }
        }
    }
    if acr_values.len() > 16 || acr_values.iter().any(|a| a.len() > 256) {
        return Err((OAuthErrorCode::InvalidRequest, "acr_values is too long"));
    }
    let login_hint = get("login_hint")
        .filter(|h| h.len() <= 18 && h.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string);
    Ok(Checked {
        req: AuthRequest {
            client_id: client.id.clone(),
            client_name: client.name.clone(),
            redirect_uri: redirect_uri.to_string(),
            scope,
            state: get("state").map(str::to_string),
            nonce,
            code_challenge: challenge.to_string(),
            login_hint,
            prompt_consent: prompt.contains(&"consent"),
            consent_sid: None,
            response_mode,
            ui_locale: get("ui_locales")
                .and_then(ui_locale)
                .map(|l| l.code().to_string()),
            acr_values,
            acr_essential,
            page_lang: String::new(),
        },
        prompt_none,
        prompt_login: prompt.contains(&"login"),
        max_age,
    })
}

const AUTHREQ_TTL: i64 = 30 * 60;

/// A pending authorization request, while the person signs in, for `AUTHREQ_TTL`.
pub struct AuthreqEntry;

impl cache::Kind for AuthreqEntry {
    const NS: &'static str = "authreq";
    type Key<'k> = &'k str;
}
impl cache::Entry for AuthreqEntry {
    type Value = cache::Json<AuthRequest>;
}

pub async fn save_authreq(state: &AppState, req: &AuthRequest) -> Result<String, CacheError> {
    let id = crate::secrets::random_token();
    state
        .cache
        .put::<AuthreqEntry>(&id, req, AUTHREQ_TTL)
        .await?;
    Ok(id)
}

pub async fn load_authreq(state: &AppState, id: &str) -> Result<Option<AuthRequest>, CacheError> {
    read_authreq(state, id, false).await
}

/// Reads and removes a pending request in one step: whoever takes it is the only one to
/// answer it, so two racing submissions cannot both mint a code.
pub async fn take_authreq(state: &AppState, id: &str) -> Result<Option<AuthRequest>, CacheError> {
    read_authreq(state, id, true).await
}

async fn read_authreq(
    state: &AppState,
    id: &str,
    take: bool,
) -> Result<Option<AuthRequest>, CacheError> {
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    if take {
        state.cache.take::<AuthreqEntry>(id).await
    } else {
        state.cache.get::<AuthreqEntry>(id).await
    }
}

/// Why a parameter set was refused before any value was looked at.
#[derive(Debug, PartialEq, Eq)]
pub enum ParamError {
    TooLong,
    /// RFC 6749 §3.1: parameters must not repeat; an ambiguous request is refused.
    Repeated,
}

const MAX_PARAM: usize = 4096;

/// Parses a query string or form body, refusing oversize and repeated parameters.
pub fn parse_params(raw: &[u8]) -> Result<HashMap<String, String>, ParamError> {
    let mut params = HashMap::new();
    let mut repeated = false;
    for (k, v) in url::form_urlencoded::parse(raw) {
        if k.len() > 64 || v.len() > MAX_PARAM {
            return Err(ParamError::TooLong);
        }
        repeated |= params.insert(k.into_owned(), v.into_owned()).is_some();
    }
    if repeated {
        return Err(ParamError::Repeated);
    }
    Ok(params)
}

/// A parameter's value, with empty treated as absent (RFC 6749 §3.1).
pub fn param<'a>(params: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    params.get(k).map(String::as_str).filter(|v| !v.is_empty())
}

impl From<ParamError> for crate::error::OAuthError {
    fn from(e: ParamError) -> Self {
        match e {
            ParamError::Repeated => Self::invalid_request("a parameter was repeated"),
            ParamError::TooLong => Self::invalid_request("a parameter is too long"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::claims_acr;

    #[test]
    fn the_claims_parameter_yields_its_acr_request() {
        let v = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert_eq!(
            claims_acr(r#"{"id_token":{"acr":{"essential":true,"values":["a","b"]}}}"#),
            Ok(Some((v(&["a", "b"]), true)))
        );
        assert_eq!(
            claims_acr(r#"{"userinfo":{"acr":{"value":"a"}},"id_token":{"acr":null}}"#),
            Ok(Some((Vec::new(), false))),
            "the ID token's request decides"
        );
        assert_eq!(claims_acr(r#"{"userinfo":{"email":null}}"#), Ok(None));
        assert!(claims_acr(r#"{"id_token":{"acr":{"values":"a"}}}"#).is_err());
        assert!(claims_acr(r#"{"id_token":[]}"#).is_err());
        assert!(claims_acr("").is_err());
    }
}
