//! What the account page says after a change it was redirected to ("Perangkat “HP” dihapus."):
//! the address carries only which change it was (`/account?done=…`, one of [`Done`]); the
//! names in it come from an entry the session that made the change wrote, for a few minutes.
//! So no link can make the page say anything but one of these sentences, and a name shown
//! is one the signed-in person typed or chose themselves (escaped by the template, as any
//! text). Without the entry (another session, an old link) the sentence is said without names.

use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::words;

/// How long a change's names stay with the session that made it: a reload or a language
/// switch right after the change says the same.
const KEPT_TTL: i64 = 10 * 60;

/// A change on the account page (or a device added from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    PasswordChanged,
    /// Names: the device.
    DeviceAdded,
    /// Names: the old name, the new one.
    DeviceRenamed,
    /// Names: the device.
    DeviceRemoved,
    /// Names: the device (the person's last one).
    LastDeviceRemoved,
    /// Names: the session's user agent and IP (put in words in the page's language).
    SessionEnded,
    SessionsEnded,
    /// Names: the service.
    ConsentRevoked,
}

impl Done {
    pub const ALL: [Done; 8] = [
        Done::PasswordChanged,
        Done::DeviceAdded,
        Done::DeviceRenamed,
        Done::DeviceRemoved,
        Done::LastDeviceRemoved,
        Done::SessionEnded,
        Done::SessionsEnded,
        Done::ConsentRevoked,
    ];

    /// The value of `?done=` (part of links already followed: never change one).
    pub fn code(self) -> &'static str {
        match self {
            Done::PasswordChanged => "password_changed",
            Done::DeviceAdded => "device_added",
            Done::DeviceRenamed => "device_renamed",
            Done::DeviceRemoved => "device_removed",
            Done::LastDeviceRemoved => "removed_last",
            Done::SessionEnded => "session_ended",
            Done::SessionsEnded => "sessions_ended",
            Done::ConsentRevoked => "consent_revoked",
        }
    }

    pub fn parse(code: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|d| d.code() == code)
    }

    /// The sentence without names (an i18n key).
    pub fn plain_key(self) -> &'static str {
        match self {
            Done::PasswordChanged => "account.done_password",
            Done::DeviceAdded => "account.done_added",
            Done::DeviceRenamed => "account.done_renamed",
            Done::DeviceRemoved => "account.done_removed",
            Done::LastDeviceRemoved => "account.removed_last",
            Done::SessionEnded => "account.done_session",
            Done::SessionsEnded => "account.done_sessions",
            Done::ConsentRevoked => "account.consent_revoked",
        }
    }

    /// The sentence with the names (`{}` each, in order), where the change has any.
    pub fn named_key(self) -> Option<&'static str> {
        match self {
            Done::DeviceAdded => Some("account.done_added_named"),
            Done::DeviceRenamed => Some("account.done_renamed_named"),
            Done::DeviceRemoved => Some("account.done_removed_named"),
            Done::LastDeviceRemoved => Some("account.removed_last_named"),
            Done::SessionEnded => Some("account.done_session_named"),
            Done::ConsentRevoked => Some("account.consent_revoked_named"),
            Done::PasswordChanged | Done::SessionsEnded => None,
        }
    }

    /// Where the change's answer leads.
    pub fn url(self) -> String {
        format!("/account?done={}", self.code())
    }
}

/// The change a session made last, and its names.
#[derive(Serialize, Deserialize)]
struct Kept {
    done: String,
    names: Vec<String>,
}

struct KeptNotice;

impl cache::Kind for KeptNotice {
    const NS: &'static str = "notice";
    /// The session's sid.
    type Key<'k> = &'k str;
}
impl cache::Entry for KeptNotice {
    type Value = cache::Json<Kept>;
}

/// Keeps the names of the change `done` session `sid` just made, for the page it leads to.
pub async fn keep(
    state: &AppState,
    sid: &str,
    done: Done,
    names: &[&str],
) -> Result<(), CacheError> {
    let kept = Kept {
        done: done.code().to_string(),
        names: names.iter().map(|n| n.to_string()).collect(),
    };
    state.cache.put::<KeptNotice>(sid, &kept, KEPT_TTL).await
}

/// The sentence `/account?done={code}` shows session `sid` in `lang`: with the names this
/// session kept for that change, else without names; `None` for a code not in [`Done`].
pub async fn sentence(
    state: &AppState,
    sid: &str,
    code: &str,
    lang: Lang,
) -> Result<Option<String>, CacheError> {
    let Some(done) = Done::parse(code) else {
        return Ok(None);
    };
    let kept = state
        .cache
        .get::<KeptNotice>(sid)
        .await?
        .filter(|k| k.done == code);
    let named = kept.and_then(|k| Some((done.named_key()?, k.names)));
    Ok(Some(match named {
        Some((key, names)) => {
            let names = match done {
                // Kept as they came; put in words in the language shown now.
                Done::SessionEnded => match names.as_slice() {
                    [ua, ip] => {
                        let ua = (!ua.is_empty()).then_some(ua.as_str());
                        let mut what = words::browser(ua, lang);
                        if !ip.is_empty() {
                            what.push_str(" · ");
                            what.push_str(ip);
                        }
                        vec![what]
                    }
                    _ => Vec::new(),
                },
                _ => names,
            };
            fill(lang.t(key), &names).unwrap_or_else(|| lang.t(done.plain_key()).to_string())
        }
        None => lang.t(done.plain_key()).to_string(),
    }))
}

/// `text` with each `{}` replaced by the next name; `None` unless the counts match.
fn fill(text: &str, names: &[String]) -> Option<String> {
    if text.matches("{}").count() != names.len() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    for name in names {
        let (before, after) = rest.split_once("{}")?;
        out.push_str(before);
        out.push_str(name);
        rest = after;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_every_change_has_words() {
        for d in Done::ALL {
            assert_eq!(Done::parse(d.code()), Some(d));
            for lang in [Lang::Id, Lang::En] {
                assert!(!lang.t(d.plain_key()).contains("{}"), "{d:?}");
                if let Some(k) = d.named_key() {
                    assert!(lang.t(k).contains("{}"), "{d:?} names something");
                }
            }
        }
        assert_eq!(Done::parse("saved"), None);
        assert_eq!(Done::parse("<b>x</b>"), None);
        assert_eq!(cache::key::<KeptNotice>("s1"), "notice:s1");
    }

    #[test]
    fn names_fill_in_order_and_only_when_they_fit() {
        let names = ["A".to_string(), "{}".to_string()];
        assert_eq!(fill("{} → {}.", &names).as_deref(), Some("A → {}."));
        assert_eq!(fill("{} only.", &names), None);
        assert_eq!(fill("none.", &[]).as_deref(), Some("none."));
    }
}
