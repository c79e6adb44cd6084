//! Stored words (audit kinds, user agents) in the words of the page's language: what the
//! account page and the helpdesk console show instead of `login_success` or a raw agent.

use crate::domain::audit::{AuditKind, StoredKind};
use crate::web::i18n::Lang;

/// The i18n key of an audit kind's text. A new kind is a compile error here until it has
/// words (and the test below checks both languages have them).
pub fn audit_key(kind: AuditKind) -> &'static str {
    match kind {
        AuditKind::LoginSuccess => "event.login_success",
        AuditKind::LoginFailure => "event.login_failure",
        AuditKind::LoginBlocked => "event.login_blocked",
        AuditKind::LoginCaptchaFailed => "event.login_captcha_failed",
        AuditKind::OtpFailure => "event.otp_failure",
        AuditKind::AccountLocked => "event.account_locked",
        AuditKind::RecoveryCodeUsed => "event.recovery_code_used",
        AuditKind::RecoveryCodesRegenerated => "event.recovery_codes_regenerated",
        AuditKind::MfaDeviceAdded => "event.mfa_device_added",
        AuditKind::MfaDeviceRenamed => "event.mfa_device_renamed",
        AuditKind::MfaDeviceRemoved => "event.mfa_device_removed",
        AuditKind::PasswordChanged => "event.password_changed",
        AuditKind::ResetRequested => "event.reset_requested",
        AuditKind::PasswordReset => "event.password_reset",
        AuditKind::AccountActivated => "event.account_activated",
        AuditKind::ConsentGranted => "event.consent_granted",
        AuditKind::ConsentRevoked => "event.consent_revoked",
        AuditKind::AccessDenied => "event.access_denied",
        AuditKind::HelpdeskAction => "event.helpdesk_action",
        AuditKind::HelpdeskRefused => "event.helpdesk_refused",
        AuditKind::HelpdeskDenied => "event.helpdesk_denied",
        AuditKind::UserDisabled => "event.user_disabled",
        AuditKind::UserEnabled => "event.user_enabled",
    }
}

/// A stored kind in words; a word this build does not know is shown as stored.
pub fn audit_text(kind: &StoredKind, lang: Lang) -> String {
    match kind {
        StoredKind::Known(k) => lang.t(audit_key(*k)).to_string(),
        StoredKind::Unknown(s) => s.clone(),
    }
}

/// "Chrome di Android" / "Chrome on Android"; the words for an unknown browser when the
/// agent says nothing recognisable (or nothing at all).
pub fn browser(user_agent: Option<&str>, lang: Lang) -> String {
    let unknown = "UNKNOWN";
    let parsed = user_agent
        .filter(|ua| !ua.trim().is_empty())
        .and_then(|ua| woothee::parser::Parser::new().parse(ua));
    let Some(r) = parsed else {
        return lang.t("ua.unknown").to_string();
    };
    let name = (r.name != unknown).then_some(r.name);
    let os = (r.os != unknown).then_some(r.os);
    match (name, os) {
        (Some(n), Some(o)) => format!("{n} {} {o}", lang.t("ua.on")),
        (Some(n), None) => n.to_string(),
        (None, Some(o)) => format!("{} {} {o}", lang.t("ua.unknown"), lang.t("ua.on")),
        (None, None) => lang.t("ua.unknown").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_kind_has_words_in_both_languages() {
        for k in AuditKind::ALL {
            let (id, en) = (Lang::Id.t(audit_key(k)), Lang::En.t(audit_key(k)));
            assert!(!id.contains('_') && !en.contains('_'), "{k}: {id} / {en}");
            assert_ne!(id, en, "{k} is translated");
        }
        assert_eq!(
            audit_text(&StoredKind::Known(AuditKind::LoginSuccess), Lang::En),
            "Signed in"
        );
        assert_eq!(
            audit_text(&StoredKind::Unknown("old_kind".into()), Lang::Id),
            "old_kind"
        );
    }

    #[test]
    fn user_agents_read_as_browser_and_system() {
        let android = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 \
                       (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
        assert_eq!(browser(Some(android), Lang::En), "Chrome on Android");
        assert_eq!(browser(Some(android), Lang::Id), "Chrome di Android");
        let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 \
                       Firefox/121.0";
        assert!(browser(Some(windows), Lang::En).starts_with("Firefox on Windows"));
        assert_eq!(browser(None, Lang::En), "Unknown browser");
        assert_eq!(
            browser(Some("curl-ish/1"), Lang::Id),
            "Peramban tidak dikenal"
        );
    }
}
