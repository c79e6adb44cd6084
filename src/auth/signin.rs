//! Completing a sign-in once both factors are proven: the SSO session, a fresh CSRF secret,
//! the known-browser mark and the audit event. Shared by the login form, the OTP step and
//! first enrolment.

use axum_extra::extract::CookieJar;

use super::{device, new_browser, pending, session};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::oidc::ACR_MFA;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::users::User;
use crate::web::csrf;

/// Which second factor completed a login: recorded honestly in `amr` (RFC 8176 `otp`; a
/// recovery code is `rc`, so services and the helpdesk console can tell them apart).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Factor {
    Totp,
    RecoveryCode,
}

impl Factor {
    pub fn amr(self) -> &'static str {
        match self {
            Factor::Totp => "otp",
            Factor::RecoveryCode => "rc",
        }
    }
}

/// Starts the full (MFA) session: fresh cookie, known browser, audit; a browser not yet
/// known for this person is e-mailed to them (`new_browser`).
pub async fn complete(
    state: &AppState,
    jar: CookieJar,
    user: &User,
    factor: Factor,
    ip: &str,
    ua: Option<&str>,
) -> Result<(CookieJar, session::SsoSession), AppError> {
    let now = state.clock.now();
    let jar = pending::finish(state, jar).await?;
    let known = new_browser::known(state, &jar, &user.id, now);
    let ev = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(ip),
        user_agent: ua,
        detail: (factor == Factor::RecoveryCode).then_some("recovery_code"),
        ..AuditEvent::new(AuditKind::LoginSuccess)
    };
    state.store.audit(&ev, now).await?;
    let login = session::Login {
        user_id: &user.id,
        amr: vec!["pwd".into(), factor.amr().into()],
        acr: ACR_MFA,
        // Only a TOTP code makes the session fresh for staff pages: a recovery code is for
        // a lost phone, and the console's own step-up refuses it too.
        mfa_at: (factor == Factor::Totp).then_some(now),
        ip: Some(ip.to_string()),
        user_agent: ua.map(str::to_string),
    };
    let (jar, sso) = session::create(state, jar, login).await?;
    // A fresh CSRF secret with the new session: one planted before login is worthless after.
    let jar = csrf::rotate(state, jar);
    if !known {
        new_browser::notice(state, user, &sso, ip, ua, now).await?;
    }
    Ok((device::remember(state, jar, &user.id, now), sso))
}
