//! One audit event: who did what to whom, from where.

use std::fmt;

/// What happened. Stored in `audit_events.kind` as `as_str()`; those words are what the
/// audit sink, the console's filter and every SOC rule read, so a variant's string never
/// changes once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    LoginSuccess,
    LoginFailure,
    LoginBlocked,
    LoginCaptchaFailed,
    OtpFailure,
    AccountLocked,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    MfaDeviceAdded,
    MfaDeviceRenamed,
    MfaDeviceRemoved,
    PasswordChanged,
    ResetRequested,
    PasswordReset,
    AccountActivated,
    ConsentGranted,
    ConsentRevoked,
    AccessDenied,
    HelpdeskAction,
    HelpdeskRefused,
    HelpdeskDenied,
    /// The person ended a session through the "this was not me" link of a new-browser mail.
    SessionReported,
    /// The SIASN import disabled the person (written in bulk by `store::lifecycle`).
    UserDisabled,
    /// The SIASN import lifted its own disable.
    UserEnabled,
}

impl AuditKind {
    pub const ALL: [AuditKind; 24] = [
        Self::LoginSuccess,
        Self::LoginFailure,
        Self::LoginBlocked,
        Self::LoginCaptchaFailed,
        Self::OtpFailure,
        Self::AccountLocked,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::MfaDeviceAdded,
        Self::MfaDeviceRenamed,
        Self::MfaDeviceRemoved,
        Self::PasswordChanged,
        Self::ResetRequested,
        Self::PasswordReset,
        Self::AccountActivated,
        Self::ConsentGranted,
        Self::ConsentRevoked,
        Self::AccessDenied,
        Self::HelpdeskAction,
        Self::HelpdeskRefused,
        Self::HelpdeskDenied,
        Self::SessionReported,
        Self::UserDisabled,
        Self::UserEnabled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoginSuccess => "login_success",
            Self::LoginFailure => "login_failure",
            Self::LoginBlocked => "login_blocked",
            Self::LoginCaptchaFailed => "login_captcha_failed",
            Self::OtpFailure => "otp_failure",
            Self::AccountLocked => "account_locked",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::MfaDeviceAdded => "mfa_device_added",
            Self::MfaDeviceRenamed => "mfa_device_renamed",
            Self::MfaDeviceRemoved => "mfa_device_removed",
            Self::PasswordChanged => "password_changed",
            Self::ResetRequested => "reset_requested",
            Self::PasswordReset => "password_reset",
            Self::AccountActivated => "account_activated",
            Self::ConsentGranted => "consent_granted",
            Self::ConsentRevoked => "consent_revoked",
            Self::AccessDenied => "access_denied",
            Self::HelpdeskAction => "helpdesk_action",
            Self::HelpdeskRefused => "helpdesk_refused",
            Self::HelpdeskDenied => "helpdesk_denied",
            Self::SessionReported => "session_reported",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
        }
    }

    /// The kind a stored word names, if it is one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind read back from `audit_events`. Rows outlive code: one written by an older version
/// (or by hand) with a word this build does not know is still shown, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredKind {
    Known(AuditKind),
    Unknown(String),
}

impl StoredKind {
    pub fn parse(s: String) -> Self {
        AuditKind::parse(&s).map_or(Self::Unknown(s), Self::Known)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(k) => k.as_str(),
            Self::Unknown(s) => s,
        }
    }
}

impl fmt::Display for StoredKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<AuditKind> for StoredKind {
    fn eq(&self, other: &AuditKind) -> bool {
        *self == Self::Known(*other)
    }
}

/// An event to store. There is no default kind: start from `AuditEvent::new(kind)`.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub kind: AuditKind,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl AuditEvent<'_> {
    /// An event of `kind` with nothing else known yet; fill the rest with struct update.
    pub const fn new(kind: AuditKind) -> Self {
        Self {
            actor: None,
            subject: None,
            kind,
            ip: None,
            user_agent: None,
            client_id: None,
            detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_itself() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
            assert_eq!(StoredKind::parse(k.as_str().into()), k);
        }
        let words: std::collections::HashSet<_> = AuditKind::ALL.map(AuditKind::as_str).into();
        assert_eq!(words.len(), AuditKind::ALL.len(), "two kinds share a word");
    }

    #[test]
    fn an_unknown_stored_kind_is_kept_as_stored() {
        let k = StoredKind::parse("retired_kind".into());
        assert_eq!(k, StoredKind::Unknown("retired_kind".into()));
        assert_eq!(k.to_string(), "retired_kind");
    }
}
