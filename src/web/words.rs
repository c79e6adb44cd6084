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
        AuditKind::SessionReported => "event.session_reported",
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

/// A stored kind in words; a word this build does not know is named as another event,
/// with the stored word to quote.
pub fn audit_text(kind: &StoredKind, lang: Lang) -> String {
    match kind {
        StoredKind::Known(k) => lang.t(audit_key(*k)).to_string(),
        StoredKind::Unknown(s) => format!("{} ({s})", lang.t("event.other")),
    }
}

/// The i18n key of a helpdesk action's name (its form value, as the audit detail stores it).
pub fn helpdesk_action_key(action: &str) -> Option<&'static str> {
    Some(match action {
        "unlock" => "helpdesk.act.unlock",
        "reset_mfa" => "helpdesk.act.reset_mfa",
        "disable" => "helpdesk.act.disable",
        "enable" => "helpdesk.act.enable",
        "set_email" => "helpdesk.act.set_email",
        "end_sessions" => "helpdesk.act.end_sessions",
        _ => return None,
    })
}

/// The i18n key of a detail code Gerbang writes beside an event (`locked`, a refusal's why).
/// These strings are stored, so they never change once written; a new one needs words here.
fn detail_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "locked" => "event.detail.locked",
        "disabled" => "event.detail.disabled",
        "known_browser" => "event.detail.known_browser",
        "replayed" => "event.detail.replayed",
        "recovery_code" => "event.detail.recovery_code",
        "out of scope" => "event.detail.out_of_scope",
        "staff member" => "event.detail.staff_member",
        "own account" => "event.detail.own_account",
        "no reason" | "no reason or confirmation" => "event.detail.no_reason",
        "bad action or e-mail" => "event.detail.bad_action",
        "enable over a SIASN disable" => "event.detail.enable_over_siasn_refused",
        "action does not apply" => "event.detail.not_applicable",
        "step-up: wrong code" => "event.detail.step_up_wrong",
        "step-up: too many wrong codes" => "event.detail.step_up_locked",
        "api: client not allowed the helpdesk scope" => "event.detail.api_client",
        "api: no fresh TOTP" => "event.detail.api_stale",
        "api: session ended" => "event.detail.api_session_ended",
        "api: no helpdesk role" => "event.detail.api_no_role",
        crate::breach::UNAVAILABLE_DETAIL => "event.detail.breach_unavailable",
        "code exchange: the client's policy no longer admits the person" => {
            "event.detail.policy_code"
        }
        "refresh: the client's policy no longer admits the person" => "event.detail.policy_refresh",
        _ => return None,
    })
}

/// A stored detail in the page's language. Codes Gerbang writes (`locked`, `skew 20 min`,
/// `3 left`, a refusal's why) go through the i18n table; what people typed (device names,
/// a helpdesk reason) and plain values (a scope, a NIP) are shown as stored. A code this
/// build has no words for is left out rather than shown raw inside the other language: the
/// kind's words stand alone, and the stored word stays in the audit CSV.
pub fn audit_detail(kind: &StoredKind, detail: &str, lang: Lang) -> String {
    let StoredKind::Known(kind) = kind else {
        return String::new();
    };
    let words = |key: &str, value: &str| lang.t(key).replace("{}", value);
    match kind {
        AuditKind::MfaDeviceAdded
        | AuditKind::MfaDeviceRenamed
        | AuditKind::MfaDeviceRemoved
        | AuditKind::ConsentGranted
        | AuditKind::ConsentRevoked
        | AuditKind::ResetRequested => detail.to_string(),
        // `unlock: Tiket 77`, or an admin's `enable over SIASN CLTN: Tiket 77`.
        AuditKind::HelpdeskAction => match detail.split_once(": ") {
            Some((action, reason)) => {
                if let Some(key) = helpdesk_action_key(action) {
                    format!("{}: {reason}", lang.t(key))
                } else if let Some(status) = action.strip_prefix("enable over SIASN ") {
                    format!(
                        "{}: {reason}",
                        words("event.detail.enable_over_siasn", status)
                    )
                } else {
                    reason.to_string()
                }
            }
            None => detail.to_string(),
        },
        AuditKind::UserDisabled | AuditKind::UserEnabled => detail
            .strip_prefix("siasn_status=")
            .map(|s| words("event.detail.siasn_status", s))
            .unwrap_or_default(),
        _ => {
            if let Some(key) = detail_key(detail) {
                return lang.t(key).to_string();
            }
            fn number(s: Option<&str>) -> Option<&str> {
                s.filter(|n| n.parse::<i64>().is_ok())
            }
            if let Some(m) = number(
                detail
                    .strip_prefix("skew ")
                    .and_then(|r| r.strip_suffix(" min")),
            ) {
                return words("event.detail.skew", m);
            }
            if let Some(n) = number(detail.strip_suffix(" left")) {
                return words("event.detail.codes_left", n);
            }
            String::new()
        }
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
            "Peristiwa lain (old_kind)"
        );
    }

    #[test]
    fn stored_detail_codes_read_in_the_page_language() {
        let k = |kind: AuditKind| StoredKind::Known(kind);
        let cases = [
            (
                k(AuditKind::PasswordReset),
                crate::breach::UNAVAILABLE_DETAIL,
                "daftar kata sandi bocor tidak dapat diperiksa",
                "leaked passwords could not be checked",
            ),
            (
                k(AuditKind::LoginBlocked),
                "locked",
                "akun sedang dikunci",
                "the account was locked",
            ),
            (
                k(AuditKind::OtpFailure),
                "skew -20 min",
                "meleset sekitar -20 menit",
                "off by about -20 minutes",
            ),
            (
                k(AuditKind::RecoveryCodeUsed),
                "7 left",
                "sisa 7",
                "7 codes left",
            ),
            (
                k(AuditKind::HelpdeskAction),
                "unlock: Tiket 77",
                "Buka kunci akun: Tiket 77",
                "Unlock the account: Tiket 77",
            ),
            (
                k(AuditKind::HelpdeskAction),
                "enable over SIASN CLTN: Tiket 77",
                "CLTN",
                "CLTN",
            ),
            (
                k(AuditKind::HelpdeskRefused),
                "step-up: wrong code",
                "salah",
                "wrong",
            ),
            (
                k(AuditKind::UserDisabled),
                "siasn_status=PENSIUN",
                "PENSIUN",
                "PENSIUN",
            ),
            (
                k(AuditKind::MfaDeviceAdded),
                "HP Pribadi",
                "HP Pribadi",
                "HP Pribadi",
            ),
        ];
        for (kind, stored, id, en) in cases {
            let (got_id, got_en) = (
                audit_detail(&kind, stored, Lang::Id),
                audit_detail(&kind, stored, Lang::En),
            );
            assert!(got_id.contains(id), "{stored}: {got_id}");
            assert!(got_en.contains(en), "{stored}: {got_en}");
        }
        // Codes this build has no words for are left out, never shown raw.
        for (kind, stored) in [
            (k(AuditKind::LoginBlocked), "frozen"),
            (k(AuditKind::OtpFailure), "skew lots min"),
            (StoredKind::Unknown("old_kind".into()), "locked"),
        ] {
            assert_eq!(audit_detail(&kind, stored, Lang::Id), "", "{stored}");
        }
        for code in [
            "locked",
            "disabled",
            "known_browser",
            "replayed",
            "recovery_code",
            "out of scope",
            "staff member",
            "own account",
            "no reason",
            "no reason or confirmation",
            "bad action or e-mail",
            "enable over a SIASN disable",
            "action does not apply",
            "step-up: wrong code",
            "step-up: too many wrong codes",
            "api: client not allowed the helpdesk scope",
            "api: no fresh TOTP",
            "api: session ended",
            "api: no helpdesk role",
            "code exchange: the client's policy no longer admits the person",
            "refresh: the client's policy no longer admits the person",
        ] {
            let key = detail_key(code).unwrap_or_else(|| panic!("{code} has words"));
            assert_ne!(Lang::Id.t(key), Lang::En.t(key), "{code} is translated");
            assert!(!Lang::Id.t(key).contains(code), "{code} is not left raw");
        }
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
