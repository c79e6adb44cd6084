//! The rules the console and the API share: who is staff and for which agencies, finding a
//! person within that scope, and performing an action on them.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use crate::auth::session;
use crate::auth::signed_in::SignedIn;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::role::Role;
use crate::domain::user_status::UserStatus;
use crate::error::AppError;
use crate::mail::compose;
use crate::oidc::carry::{Links, Place};
use crate::state::AppState;
use crate::store::helpdesk::Action;
use crate::store::outbox::Mail;
use crate::store::users::User;
use crate::web::i18n::Lang;
use crate::web::time::wib;

/// How recent the second factor must be for the console.
pub(super) const FRESH_MFA_SECS: i64 = 15 * 60;

/// The signed-in staff member and the agencies they may act for (`None` = all: admin).
pub(super) struct Staff {
    /// When the staff member last proved their second factor.
    pub(super) auth_time: i64,
    pub(super) user: User,
    pub(super) scope: Option<Vec<String>>,
}

impl Staff {
    pub(super) fn covers(&self, person: &User) -> bool {
        match &self.scope {
            None => true,
            Some(agencies) => person
                .instansi_id
                .as_ref()
                .is_some_and(|i| agencies.contains(i)),
        }
    }
    pub(super) fn fresh(&self, now: i64) -> bool {
        self.auth_time + FRESH_MFA_SECS >= now
    }
    pub(super) fn agency_label(&self) -> String {
        match &self.scope {
            None => "BKN".into(),
            Some(a) => a.join(", "),
        }
    }
}

/// The sign-in form that returns to the console once signed in.
pub(super) fn sign_in_url() -> String {
    Links::to_place(Place::Helpdesk).url("/login")
}

/// As an extractor: the staff member, or the answer for anyone else — sign in (no session
/// with MFA, or one the account no longer holds), or 403 without a helpdesk or admin role.
impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let me = match SignedIn::load(state, &jar).await {
            Ok(Some(me)) => me,
            // Signing in from here comes back here (a fixed place, never an address).
            Ok(None) => return Err(Redirect::to(&sign_in_url()).into_response()),
            Err(e) => return Err(e.into_response()),
        };
        match staff_of(state, me.user, me.sso.mfa_at.unwrap_or(0)).await {
            Ok(Some(staff)) => Ok(staff),
            Ok(None) => {
                Err(AppError::new(StatusCode::FORBIDDEN, "helpdesk.forbidden").into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The person as staff: their agencies (or all, for admin); `None` without either role.
pub(super) async fn staff_of(
    state: &AppState,
    user: User,
    auth_time: i64,
) -> Result<Option<Staff>, AppError> {
    let roles = state.store.roles_of(&user.id).await?;
    let scope = if roles
        .iter()
        .any(|(r, _)| Role::parse(r) == Some(Role::Admin))
    {
        None
    } else {
        let agencies: Vec<String> = roles
            .into_iter()
            .filter(|(r, _)| Role::parse(r) == Some(Role::Helpdesk))
            .map(|(_, i)| i)
            .collect();
        if agencies.is_empty() {
            return Ok(None);
        }
        Some(agencies)
    };
    Ok(Some(Staff {
        auth_time,
        user,
        scope,
    }))
}

pub(super) fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(2).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// SIASN's "no longer active" (retired, dismissed, deceased…) is the agency's record to
/// correct: only an admin may enable over it, and the next import that still lists the
/// person as leaving disables them again. An officer may lift a helpdesk hold, since that
/// Enable lifts only the hold (`store::helpdesk`) and SIASN's word stays in force.
pub(super) fn enable_refused(staff: &Staff, person: &User, action: Action<'_>) -> bool {
    // SIASN's word, not only the import's mark: a status the Enable would set `active` must
    // not get around it.
    action == Action::Enable
        && staff.scope.is_some()
        && !person.held()
        && (person.status == UserStatus::SiasnInactive || person.siasn_says_left())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    View,
    Act,
}

/// What a lookup found, for this staff member and purpose.
pub(super) enum Lookup {
    Person(Box<User>),
    /// Nobody, or nobody this staff member may see: answered alike.
    NotFound,
    /// The staff member's own account, for an action: refused (403).
    Own,
}

/// Looks a person up within the staff member's scope. Out of scope is "not found" (and
/// audited): another agency's people, and for a helpdesk officer anyone who holds a role
/// (staff never act on staff; only admins do). Nobody acts on their own account.
pub(super) async fn find_in_scope(
    state: &AppState,
    staff: &Staff,
    nip: &str,
    ip: &str,
    purpose: Purpose,
) -> Result<Lookup, AppError> {
    let Some(u) = state.store.find_user_by_nip(nip).await? else {
        return Ok(Lookup::NotFound);
    };
    let denied = |kind: AuditKind, why: &'static str| AuditEvent {
        actor: Some(&staff.user.id),
        subject: Some(&u.id),
        ip: Some(ip),
        detail: Some(why),
        ..AuditEvent::new(kind)
    };
    let now = state.clock.now();
    if !staff.covers(&u) {
        let ev = denied(AuditKind::HelpdeskDenied, "out of scope");
        state.store.audit(&ev, now).await?;
        return Ok(Lookup::NotFound);
    }
    // An officer who could reset another officer's (or an admin's) MFA and e-mail could take
    // their account, and with it their agencies: staff are for admins only.
    if staff.scope.is_some() && !state.store.roles_of(&u.id).await?.is_empty() {
        let ev = denied(AuditKind::HelpdeskDenied, "staff member");
        state.store.audit(&ev, now).await?;
        return Ok(Lookup::NotFound);
    }
    if purpose == Purpose::Act && u.id == staff.user.id {
        let ev = denied(AuditKind::HelpdeskRefused, "own account");
        state.store.audit(&ev, now).await?;
        return Ok(Lookup::Own);
    }
    Ok(Lookup::Person(Box::new(u)))
}

pub(super) fn reason_ok(reason: &str) -> bool {
    reason.chars().count() >= 5 && crate::domain::text::is_plain_multiline(reason, 500)
}

/// The action a form or API call names; `None` for an unknown one or a bad new e-mail.
pub(super) fn parse_action<'a>(name: &str, new_email: &'a str) -> Option<Action<'a>> {
    Some(match name {
        "unlock" => Action::Unlock,
        "reset_mfa" => Action::ResetMfa,
        "disable" => Action::Disable,
        "enable" => Action::Enable,
        "end_sessions" => Action::EndSessions,
        "set_email" if crate::domain::email::is_valid(new_email) => Action::SetEmail(new_email),
        _ => return None,
    })
}

/// Carries out an action already checked for scope and reason: change, audit row and
/// e-mails in one transaction, then the sessions end where the action says so.
pub(super) async fn perform(
    state: &AppState,
    staff: &Staff,
    person: &User,
    action: Action<'_>,
    reason: &str,
    ip: &str,
    ua: Option<&str>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let what = Lang::Id.t(match action {
        Action::Unlock => "helpdesk.act.unlock",
        Action::ResetMfa => "helpdesk.act.reset_mfa",
        Action::Disable => "helpdesk.act.disable",
        Action::Enable => "helpdesk.act.enable",
        Action::EndSessions => "helpdesk.act.end_sessions",
        Action::SetEmail(_) => "helpdesk.act.set_email",
    });
    let what = format!("{what}. Alasan: {reason}");
    let agency = staff.agency_label();
    let when = wib(now);
    // The person learns of it at the old address, and at the new one on an e-mail change.
    let mut mails: Vec<Mail> = vec![compose::helpdesk_action(
        Lang::Id,
        &person.email,
        &person.name,
        &what,
        &agency,
        &when,
    )];
    if let Action::SetEmail(e) = action {
        mails.push(compose::helpdesk_action(
            Lang::Id,
            e,
            &person.name,
            &what,
            &agency,
            &when,
        ));
    }
    // An admin lifting the import's disable: the audit row says over which SIASN state.
    // (Lifting a hold leaves SIASN's disable in force: an ordinary "enable".)
    let over_siasn = person.status == UserStatus::SiasnInactive && !person.held();
    let detail = match (action, over_siasn) {
        (Action::Enable, true) => format!(
            "enable over SIASN {}: {reason}",
            person.siasn_status.as_deref().unwrap_or("-")
        ),
        _ => format!("{}: {reason}", action.name()),
    };
    let ev = AuditEvent {
        actor: Some(&staff.user.id),
        subject: Some(&person.id),
        ip: Some(ip),
        user_agent: ua,
        detail: Some(&detail),
        ..AuditEvent::new(AuditKind::HelpdeskAction)
    };
    state
        .store
        .helpdesk_apply(person, action, &ev, &mails, now)
        .await?;
    state.mailer.wake.notify_one();
    if action == Action::Unlock {
        // Every lock that can stop the person: the account's (above) and each browser's.
        crate::auth::guard::unlock_browsers(state, &person.id).await?;
    }
    if action.ends_sessions() {
        session::end_all_for_user(state, &person.id).await?;
    }
    if let Action::SetEmail(_) = action {
        // A reset code mailed to the replaced address must not set the password any more.
        crate::auth::reset_code::end(state, &person.id).await?;
    }
    Ok(())
}
