//! The protocol's fixed words: the scopes Gerbang knows, which of them reach staff APIs, and
//! the authentication context classes it asserts.

/// `helpdesk` lets an agency tool call `/api/helpdesk/…` for a user who holds the role.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "helpdesk"];
/// Scopes that reach staff APIs: granted only to clients the operator marks for them
/// (`allowed_scopes`), and only to people who hold a staff role.
pub const STAFF_SCOPES: [&str; 1] = ["helpdesk"];
/// The roles a staff scope stands on.
pub const STAFF_ROLES: [&str; 2] = ["helpdesk", "admin"];
/// Authentication context classes: password only, and password + second factor.
pub const ACR_PASSWORD: &str = "urn:gerbang:loa:1";
pub const ACR_MFA: &str = "urn:gerbang:loa:2";

/// Whether a space-separated scope string holds `wanted`.
pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}
