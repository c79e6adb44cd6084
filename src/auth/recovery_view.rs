//! Fresh recovery codes, kept a few minutes after they were made so the page that shows
//! them can be reloaded, printed and downloaded as a text file without re-posting the form
//! that made them (a second post would make new ones). Only the session that made them
//! reads them, and only for `SHOWN_TTL`: no older or other session ever sees them, as before
//! (they were in the one answer to that post). They are sealed under the secret-box key
//! with the sid as associated data, so a cache dump holds no usable codes.

use crate::cache::{self, CacheError};
use crate::state::AppState;

/// How long fresh codes stay readable by the session that made them.
pub const SHOWN_TTL: i64 = 10 * 60;

/// The codes just made, space-separated and sealed, under the making session's `sid`.
struct ShownCodes;

impl cache::Kind for ShownCodes {
    const NS: &'static str = "rc_shown";
    type Key<'k> = &'k str;
}
impl cache::Entry for ShownCodes {
    type Value = cache::Text;
}

/// Keeps `codes` for the session `sid` for `SHOWN_TTL`.
pub async fn keep(state: &AppState, sid: &str, codes: &[String]) -> Result<(), CacheError> {
    let sealed = state.keys().seal(codes.join(" ").as_bytes(), &context(sid));
    state.cache.put::<ShownCodes>(sid, &sealed, SHOWN_TTL).await
}

/// The codes session `sid` made in the last `SHOWN_TTL`, if any.
pub async fn shown(state: &AppState, sid: &str) -> Result<Option<Vec<String>>, CacheError> {
    let Some(sealed) = state.cache.get::<ShownCodes>(sid).await? else {
        return Ok(None);
    };
    // A key rotated away (or a forged entry) reads as nothing: new codes can be made.
    let plain = state
        .keys()
        .open(&sealed, &context(sid))
        .and_then(|b| String::from_utf8(b).ok());
    Ok(plain.map(|s| s.split(' ').map(str::to_string).collect()))
}

/// What the seal is bound to: these codes, for this session.
fn context(sid: &str) -> String {
    format!("recovery-codes:{sid}")
}

/// The plain-text file a person saves: one code a line, with what they are for.
pub fn as_text(codes: &[String], heading: &str) -> String {
    let mut out = format!("{heading}\r\n\r\n");
    for c in codes {
        out.push_str(c);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_codes_key_keeps_its_name() {
        assert_eq!(cache::key::<ShownCodes>("s1"), "rc_shown:s1");
    }
}
