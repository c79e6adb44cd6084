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
/// Authentication context classes: password only, and password + second factor.
pub const ACR_PASSWORD: &str = "urn:gerbang:loa:1";
pub const ACR_MFA: &str = "urn:gerbang:loa:2";

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
        let all: [OAuthErrorCode; 15] = [
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
        ];
        for c in all {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
