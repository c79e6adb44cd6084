//! The protocol's fixed words: the scopes Gerbang knows, which of them reach staff APIs, the
//! authentication context classes it asserts, and the error codes it answers with.

use serde::Serialize;

/// `helpdesk` lets an agency tool call `/api/helpdesk/…` for a user who holds the role.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "helpdesk"];
/// Scopes that reach staff APIs: granted only to clients the operator marks for them
/// (`allowed_scopes`), and only to people who hold a staff role.
pub const STAFF_SCOPES: [&str; 1] = ["helpdesk"];
/// The roles a staff scope stands on: every `Role`.
pub const STAFF_ROLES: [super::role::Role; 2] = super::role::Role::ALL;

/// Whether a stored role name is one a staff scope stands on (other names, a service's
/// `allowed_roles`, are not).
pub fn is_staff_role(name: &str) -> bool {
    super::role::Role::parse(name).is_some_and(|r| STAFF_ROLES.contains(&r))
}
/// Authentication context classes: password only, password + second factor, and password +
/// an authenticator (TOTP) code proven within `ACR_FRESH_SECS` (a recovery code is for a lost
/// phone and never makes a session fresh).
pub const ACR_PASSWORD: &str = "urn:gerbang:loa:1";
pub const ACR_MFA: &str = "urn:gerbang:loa:2";
pub const ACR_MFA_FRESH: &str = "urn:gerbang:loa:3";
/// Every class Gerbang can assert, lowest first (discovery lists exactly these).
pub const ACR_VALUES: [&str; 3] = [ACR_PASSWORD, ACR_MFA, ACR_MFA_FRESH];
/// How long an authenticator code keeps a session at `ACR_MFA_FRESH`: the helpdesk
/// console's step-up window, so "fresh" means one thing everywhere.
pub const ACR_FRESH_SECS: i64 = 15 * 60;

/// The level (index in `ACR_VALUES`) of a class; `None` for a value Gerbang does not know.
pub fn acr_level(acr: &str) -> Option<usize> {
    ACR_VALUES.iter().position(|a| *a == acr)
}

/// The level a session stands at now: its own class, raised to `ACR_MFA_FRESH` while its
/// last authenticator code is younger than `ACR_FRESH_SECS`.
pub fn session_level(acr: &str, mfa_at: Option<i64>, now: i64) -> usize {
    let base = acr_level(acr).unwrap_or(0);
    if base == 1 && mfa_at.is_some_and(|t| now - t <= ACR_FRESH_SECS) {
        2
    } else {
        base
    }
}

/// The class a refreshed token may still assert for a sign-in of class `acr` at
/// `auth_time`: `ACR_MFA_FRESH` holds only while the code is younger than `ACR_FRESH_SECS`,
/// then it is `ACR_MFA` (the factor was proven, but not freshly).
pub fn acr_now(acr: &str, auth_time: i64, now: i64) -> &str {
    if acr == ACR_MFA_FRESH && now - auth_time > ACR_FRESH_SECS {
        ACR_MFA
    } else {
        acr
    }
}

/// What a request's `acr_values` (or `claims` essential `acr`) make of a session.
#[derive(Debug, PartialEq, Eq)]
pub enum AcrVerdict {
    /// Met: the `acr` to assert (the first requested class the session satisfies, or the
    /// session's own class when nothing known was asked for).
    Met(String),
    /// A known class was asked for and the session is below every one asked for: another
    /// factor can raise it.
    StepUp,
    /// Essential, and nothing asked for is a class Gerbang knows: nothing can meet it.
    Unmeetable,
}

/// Judges `requested` (in order of preference) against a session at `level` whose own class
/// is `session_acr`. A voluntary request Gerbang cannot meet is ignored (OIDC Core §3.1.2.1).
pub fn judge_acr(
    requested: &[String],
    essential: bool,
    session_acr: &str,
    level: usize,
) -> AcrVerdict {
    let known: Vec<(&String, usize)> = requested
        .iter()
        .filter_map(|a| acr_level(a).map(|l| (a, l)))
        .collect();
    if known.is_empty() {
        return if essential && !requested.is_empty() {
            AcrVerdict::Unmeetable
        } else {
            AcrVerdict::Met(session_acr.to_string())
        };
    }
    match known.iter().find(|(_, l)| *l <= level) {
        Some((a, _)) => AcrVerdict::Met(a.to_string()),
        None => AcrVerdict::StepUp,
    }
}

/// Whether a space-separated scope string holds `wanted`.
pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

/// The `error` of an OAuth 2.0 / OIDC error response (RFC 6749 §4.1.2.1 and §5.2, OIDC Core
/// §3.1.2.6, RFC 6750 §3.1), serialised as the registered word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    UnsupportedResponseType,
    RequestNotSupported,
    LoginRequired,
    ConsentRequired,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    /// RFC 6750: a bearer token that is missing the mark, expired or revoked.
    InvalidToken,
    /// RFC 6750: a valid token without the scope the resource needs.
    InsufficientScope,
    /// OpenID Connect Core 1.0 errata / RFC 9470: the requested `acr` cannot be met.
    UnmetAuthenticationRequirements,
}

impl OAuthErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::RequestNotSupported => "request_not_supported",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }
}

impl std::fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OAuthErrorCode::{self, *};

    #[test]
    fn error_codes_serialise_as_their_words() {
        let all: [OAuthErrorCode; 16] = [
            InvalidRequest,
            InvalidClient,
            InvalidGrant,
            UnauthorizedClient,
            UnsupportedGrantType,
            InvalidScope,
            UnsupportedResponseType,
            RequestNotSupported,
            LoginRequired,
            ConsentRequired,
            AccessDenied,
            ServerError,
            TemporarilyUnavailable,
            InvalidToken,
            InsufficientScope,
            UnmetAuthenticationRequirements,
        ];
        for c in all {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }

    #[test]
    fn acr_requests_are_met_raised_or_refused() {
        use super::*;
        let v = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let now = 10_000;
        // A TOTP code 10 minutes ago is fresh; 20 minutes ago, or a recovery code, is not.
        assert_eq!(session_level(ACR_MFA, Some(now - 600), now), 2);
        assert_eq!(session_level(ACR_MFA, Some(now - 1200), now), 1);
        assert_eq!(session_level(ACR_MFA, None, now), 1);
        assert_eq!(session_level(ACR_PASSWORD, Some(now), now), 0);
        assert_eq!(
            judge_acr(&v(&[]), false, ACR_MFA, 1),
            AcrVerdict::Met(ACR_MFA.into())
        );
        assert_eq!(
            judge_acr(&v(&[ACR_PASSWORD]), true, ACR_MFA, 1),
            AcrVerdict::Met(ACR_PASSWORD.into())
        );
        assert_eq!(
            judge_acr(&v(&[ACR_MFA_FRESH]), false, ACR_MFA, 1),
            AcrVerdict::StepUp
        );
        assert_eq!(
            judge_acr(&v(&[ACR_MFA_FRESH, ACR_MFA]), true, ACR_MFA, 1),
            AcrVerdict::Met(ACR_MFA.into())
        );
        assert_eq!(
            judge_acr(&v(&[ACR_MFA_FRESH]), true, ACR_MFA, 2),
            AcrVerdict::Met(ACR_MFA_FRESH.into())
        );
        assert_eq!(
            judge_acr(&v(&["urn:other"]), true, ACR_MFA, 2),
            AcrVerdict::Unmeetable
        );
        assert_eq!(
            judge_acr(&v(&["urn:other"]), false, ACR_MFA, 1),
            AcrVerdict::Met(ACR_MFA.into())
        );
    }

    #[test]
    fn a_fresh_class_lapses_on_refresh() {
        use super::*;
        let t = 1_000_000;
        assert_eq!(acr_now(ACR_MFA_FRESH, t, t + ACR_FRESH_SECS), ACR_MFA_FRESH);
        assert_eq!(acr_now(ACR_MFA_FRESH, t, t + ACR_FRESH_SECS + 1), ACR_MFA);
        assert_eq!(acr_now(ACR_MFA, t, t + 86_400), ACR_MFA);
        assert_eq!(acr_now(ACR_PASSWORD, t, t + 86_400), ACR_PASSWORD);
    }
}
