//! The refresh token's shape: `{family_id}.{generation}.{random}`. A grant (family) is one
//! stored row holding the hash of its current token and that token's generation; the two
//! public parts let a presented token be placed in its family's history without a row per
//! rotation: an earlier generation is a replay (RFC 9700 §4.14), the current generation
//! with another value a forgery. The family id travels only inside the family's own tokens,
//! so presenting it proves one held a token of the family.

use crate::secrets::sha256_hex;

/// A presented refresh token, taken apart. `hash` is SHA-256 (hex) of the whole value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub family_id: String,
    pub generation: i64,
    pub hash: String,
}

/// Longest accepted family id: 64 hex characters (a token issued before the format existed,
/// whose hash became its family id) or 22 base64url characters (128 random bits).
const MAX_FAMILY_LEN: usize = 64;
/// Up to 18 decimal digits always fits an `i64`, with room for the next generation.
const MAX_GENERATION_DIGITS: usize = 18;

/// The token value for `generation` of `family_id`; `random` is the secret part.
pub fn format(family_id: &str, generation: i64, random: &str) -> String {
    format!("{family_id}.{generation}.{random}")
}

/// Takes a presented value apart; `None` when it cannot be any token of ours. A value
/// without dots is a token issued before this format: its family id is its own hash and
/// its generation 0, which is how the upgrade stored the tokens that were live then.
pub fn parse(value: &str) -> Option<Presented> {
    let hash = sha256_hex(value);
    if !value.contains('.') {
        if value.is_empty() {
            return None;
        }
        return Some(Presented {
            family_id: hash.clone(),
            generation: 0,
            hash,
        });
    }
    let mut parts = value.split('.');
    let (Some(family), Some(generation), Some(random), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let b64url = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if family.is_empty() || family.len() > MAX_FAMILY_LEN || !b64url(family) {
        return None;
    }
    if random.is_empty() || !b64url(random) {
        return None;
    }
    // Digits only: `str::parse` would also take "+1".
    if generation.is_empty()
        || generation.len() > MAX_GENERATION_DIGITS
        || !generation.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(Presented {
        family_id: family.to_string(),
        generation: generation.parse().ok()?,
        hash,
    })
}

/// When a new grant ends: its lifetime (`ttl` from `now`), and, unless it was granted
/// `offline_access`, never after the end of the sign-in session it came from. Stored with
/// the grant, so a refresh needs no session lookup; sessions never slide (their
/// `expires_at` is fixed at sign-in), so the session's end is known when the grant is made.
pub fn grant_expires_at(now: i64, ttl: i64, scope: &str, session_ends_at: i64) -> i64 {
    let own = now.saturating_add(ttl);
    if crate::domain::oidc::has_scope(scope, "offline_access") {
        own
    } else {
        own.min(session_ends_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_ends_with_its_session_unless_offline() {
        // Session ends before the refresh lifetime: the session's end wins.
        assert_eq!(grant_expires_at(100, 1000, "openid profile", 500), 500);
        // Refresh lifetime shorter than the session: the lifetime wins.
        assert_eq!(grant_expires_at(100, 200, "openid", 500), 300);
        // offline_access: the session's end does not bound it.
        assert_eq!(
            grant_expires_at(100, 1000, "openid offline_access profile", 500),
            1100
        );
        // A word that only contains it is not the scope.
        assert_eq!(
            grant_expires_at(100, 1000, "openid offline_accessx", 500),
            500
        );
    }

    #[test]
    fn a_formatted_token_parses_back() {
        let v = format("AAAAAAAAAAAAAAAAAAAAAA", 7, "r4nd0m-_x");
        let p = parse(&v).unwrap();
        assert_eq!(p.family_id, "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(p.generation, 7);
        assert_eq!(p.hash, sha256_hex(&v));
    }

    #[test]
    fn a_token_from_before_the_format_is_its_own_family_at_generation_0() {
        let p = parse("c29tZS1vbGQtdG9rZW4").unwrap();
        assert_eq!(p.family_id, sha256_hex("c29tZS1vbGQtdG9rZW4"));
        assert_eq!(p.hash, p.family_id);
        assert_eq!(p.generation, 0);
    }

    #[test]
    fn malformed_values_are_refused() {
        let long_family = "a".repeat(65);
        let too_long = format!("{long_family}.1.x");
        for v in [
            "",
            "a.1",
            "a.1.x.y",
            ".1.x",
            "a..x",
            "a.1.",
            "a.+1.x",
            "a.-1.x",
            "a.1e3.x",
            "a.1234567890123456789.x",
            "a b.1.x",
            "a.1.x y",
            too_long.as_str(),
        ] {
            assert_eq!(parse(v), None, "{v:?}");
        }
        // The longest family (a migrated token's hash) and generation still parse.
        let hex = "f".repeat(64);
        let v = format(&hex, 999_999_999_999_999_999, "x");
        assert!(parse(&v).is_some());
    }
}
