//! Checking a second factor for a person: a TOTP code from any of their devices, or one of
//! their recovery codes.

use crate::domain::totp::{self, Verdict};
use crate::error::AppError;
use crate::secrets::sha256_hex;
use crate::state::AppState;
use crate::store::users::User;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpOutcome {
    Totp,
    Recovery,
    Invalid,
    Replayed,
    /// Right code for the wrong time: the phone is off by about this many minutes.
    Skewed(i64),
}

/// Recovery codes look like `k7mq-2xwp`: 8 characters of an alphabet without look-alikes.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

pub fn normalize_recovery(code: &str) -> Option<String> {
    let c: String = code
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .collect();
    (c.len() == 8 && c.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &c[..4], &c[4..]))
}

pub fn new_recovery_codes() -> Vec<String> {
    (0..10)
        .map(|_| {
            let s: String = (0..8)
                .map(|_| RECOVERY_ALPHABET[rand::random_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &s[..4], &s[4..])
        })
        .collect()
}

/// "The time on your phone is ahead/behind by about N minutes — turn on automatic time".
pub fn skew_message(lang: crate::web::i18n::Lang, minutes: i64) -> String {
    let lead = if minutes > 0 {
        lang.t("otp.skew_ahead")
    } else {
        lang.t("otp.skew_behind")
    };
    format!("{lead} {} {}", minutes.abs(), lang.t("otp.skew_fix"))
}

/// A TOTP step that must never be accepted: `(credential, step)`, while its time may come.
struct Burned;

impl crate::cache::Kind for Burned {
    const NS: &'static str = "otp_burn";
    type Key<'k> = (&'k str, u64);
}
impl crate::cache::Entry for Burned {
    type Value = crate::cache::Flag;
}

/// The work `check` does for a person with one device, done for nobody: a wrong password
/// (or a stale half-done login) must take as long to fail at the code as a right one.
pub async fn check_nobody(state: &AppState, code: &str) -> Result<OtpOutcome, AppError> {
    const NOBODY: &str = "00000000-0000-0000-0000-000000000000";
    let now = state.clock.now();
    if let Some(rc) = normalize_recovery(code) {
        state
            .store
            .use_recovery_code(NOBODY, &sha256_hex(&rc), now)
            .await?;
        return Ok(OtpOutcome::Invalid);
    }
    let _ = state.store.list_totp(NOBODY).await?;
    let secret: [u8; 20] = rand::random();
    let _ = totp::verify(&secret, code, now.max(0) as u64, |_| false);
    Ok(OtpOutcome::Invalid)
}

pub async fn check(state: &AppState, user: &User, code: &str) -> Result<OtpOutcome, AppError> {
    check_except(state, user, code, None).await
}

/// What `check` would say about `code` for `user`, without accepting it: for a login whose
/// password was wrong, so that a code that is real but mistimed or already used gets the
/// same words either way (the answer must not tell the password was right). A right code
/// is neither spent nor accepted (`Invalid`); a mistimed one is burned as usual.
pub async fn peek(state: &AppState, user: &User, code: &str) -> Result<OtpOutcome, AppError> {
    Ok(match inspect(state, user, code, None, false).await? {
        OtpOutcome::Totp | OtpOutcome::Recovery => OtpOutcome::Invalid,
        other => other,
    })
}

/// As `check`, ignoring one device (removing a device needs a code from another one).
pub async fn check_except(
    state: &AppState,
    user: &User,
    code: &str,
    except: Option<&str>,
) -> Result<OtpOutcome, AppError> {
    inspect(state, user, code, except, true).await
}

async fn inspect(
    state: &AppState,
    user: &User,
    code: &str,
    except: Option<&str>,
    spend: bool,
) -> Result<OtpOutcome, AppError> {
    let now = state.clock.now();
    if let Some(rc) = normalize_recovery(code) {
        if !spend {
            // The same database work as spending one, without spending it.
            state.store.unused_recovery_codes(&user.id).await?;
            let _ = sha256_hex(&rc);
            return Ok(OtpOutcome::Invalid);
        }
        let used = state
            .store
            .use_recovery_code(&user.id, &sha256_hex(&rc), now)
            .await?;
        return Ok(if used {
            OtpOutcome::Recovery
        } else {
            OtpOutcome::Invalid
        });
    }
    let ring = state.keys();
    let mut outcome = OtpOutcome::Invalid;
    for d in state.store.list_totp(&user.id).await? {
        if except == Some(d.id.as_str()) {
            continue;
        }
        let Some(secret) = ring.open(&d.secret_enc, &user.id) else {
            tracing::error!(device = %d.id, "a TOTP secret does not open; key changed?");
            continue;
        };
        let last = d.last_used_step.unwrap_or(-1);
        match totp::verify(&secret, code, now.max(0) as u64, |s| s as i64 <= last) {
            Verdict::Valid { step } => {
                let burned = state.cache.get::<Burned>((&d.id, step)).await?.is_some();
                if !spend {
                    if burned {
                        outcome = OtpOutcome::Replayed;
                    }
                    continue;
                }
                // The database decides across replicas: exactly one request spends a step.
                if !burned && state.store.use_totp_step(&d.id, step as i64, now).await? {
                    return Ok(OtpOutcome::Totp);
                }
                outcome = OtpOutcome::Replayed;
            }
            Verdict::Replayed { .. } => outcome = OtpOutcome::Replayed,
            Verdict::Skewed { step, minutes } => {
                // Burn the step: this code must never work later, when its time comes.
                let ttl = (totp::SKEW_SEARCH_STEPS as i64 + 2) * totp::STEP_SECS as i64 * 2;
                state.cache.put::<Burned>((&d.id, step), &(), ttl).await?;
                if outcome == OtpOutcome::Invalid {
                    outcome = OtpOutcome::Skewed(minutes);
                }
            }
            Verdict::Invalid => {}
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_marks_keep_their_key_name() {
        // What a running Redis holds: this string must not change.
        assert_eq!(
            crate::cache::key::<Burned>(("d1", 58_000_000)),
            "otp_burn:d1:58000000"
        );
    }

    #[test]
    fn recovery_codes_have_a_shape_that_normalizes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        for c in &codes {
            assert_eq!(normalize_recovery(c).as_deref(), Some(c.as_str()));
            assert_eq!(
                normalize_recovery(&c.to_uppercase().replace('-', " ")).as_deref(),
                Some(c.as_str())
            );
        }
        assert_eq!(
            normalize_recovery("123456"),
            None,
            "a TOTP code is not a recovery code"
        );
        assert_eq!(
            normalize_recovery("abcd-efg0"),
            None,
            "0 is not in the alphabet"
        );
    }
}
