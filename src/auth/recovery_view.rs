//! Fresh recovery codes, kept a few minutes after they were made so the page that shows
//! them can be reloaded, printed and downloaded as a text file without re-posting the form
//! that made them (a second post would make new ones). Only the session that made them
//! reads them, through the link it was sent to (a random token in it), and only for
//! `SHOWN_TTL`: no older or other session ever sees them, and neither does someone who holds
//! this session's cookie without that link (a cookie copied off a shared PC). They are
//! sealed under the secret-box key with the sid and token as associated data, and kept
//! under the token's SHA-256, so a cache dump holds no usable codes and no link to them.

use crate::cache::{self, CacheError};
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;

/// How long fresh codes stay readable by the session that made them.
pub const SHOWN_TTL: i64 = 10 * 60;

/// The codes just made, space-separated and sealed, under the making session's `sid` and
/// the SHA-256 of the link's token.
struct ShownCodes;

impl cache::Kind for ShownCodes {
    const NS: &'static str = "rc_shown";
    type Key<'k> = (&'k str, &'k str);
}
impl cache::Entry for ShownCodes {
    type Value = cache::Text;
}

/// Keeps `codes` for the session `sid` for `SHOWN_TTL`; returns the token the page's and
/// the download's links carry (`?t=…`), the only way to read them.
pub async fn keep(state: &AppState, sid: &str, codes: &[String]) -> Result<String, CacheError> {
    let token = random_token();
    let sealed = state
        .keys()
        .seal(codes.join(" ").as_bytes(), &context(sid, &token));
    state
        .cache
        .put::<ShownCodes>((sid, &sha256_hex(&token)), &sealed, SHOWN_TTL)
        .await?;
    Ok(token)
}

/// The codes session `sid` made in the last `SHOWN_TTL` under `token`, if any.
pub async fn shown(
    state: &AppState,
    sid: &str,
    token: &str,
) -> Result<Option<Vec<String>>, CacheError> {
    if token.is_empty() {
        return Ok(None);
    }
    // Looked up by the token's hash: no comparison of the token itself to time.
    let key = (sid, sha256_hex(token));
    let Some(sealed) = state.cache.get::<ShownCodes>((key.0, &key.1)).await? else {
        return Ok(None);
    };
    // A key rotated away (or a forged entry) reads as nothing: new codes can be made.
    let plain = state
        .keys()
        .open(&sealed, &context(sid, token))
        .and_then(|b| String::from_utf8(b).ok());
    Ok(plain.map(|s| s.split(' ').map(str::to_string).collect()))
}

/// The link to the text file of the codes kept under `token`.
pub fn download_url(token: &str) -> String {
    format!("/account/recovery/download?t={token}")
}

/// What the seal is bound to: these codes, for this session, behind this link.
fn context(sid: &str, token: &str) -> String {
    format!("recovery-codes:{sid}:{token}")
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
        assert_eq!(cache::key::<ShownCodes>(("s1", "h1")), "rc_shown:s1:h1");
    }
}
