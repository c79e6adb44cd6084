//! Have I Been Pwned's Pwned Passwords format, and the k-anonymity split it is queried by:
//! a password's SHA-1 in upper-case hex, its first five digits (the prefix, all that ever
//! leaves the server) and the other 35 (the suffix, compared locally). The downloadable
//! corpus is `HASH:COUNT` lines (40 digits); a range answer is `SUFFIX:COUNT` lines (35).

use sha1::{Digest, Sha1};

pub const PREFIX_LEN: usize = 5;
pub const SUFFIX_LEN: usize = 35;
/// A suffix's 35 hex digits packed two to a byte, the last half-byte zero: how the offline
/// corpus stores it (half the disk of the text, and fixed-width for a binary search).
pub const PACKED_LEN: usize = 18;
/// Every prefix there is: 16^5.
pub const PREFIXES: u32 = 1 << 20;

/// A password's SHA-1 in the corpus's spelling: 40 upper-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha1Hex([u8; 40]);

impl Sha1Hex {
    pub fn of(password: &str) -> Self {
        let digest = Sha1::digest(password.as_bytes());
        let mut out = [0u8; 40];
        for (i, b) in digest.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 0xf)];
        }
        Self(out)
    }

    /// From 40 hex digits of either case (a corpus line's hash).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 40 || !b.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut out = [0u8; 40];
        for (o, c) in out.iter_mut().zip(b) {
            *o = c.to_ascii_uppercase();
        }
        Some(Self(out))
    }

    /// The five digits a range request names (`{prefix}`).
    pub fn prefix(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0[..PREFIX_LEN]).unwrap_or_default()
    }

    /// The 35 digits compared with a range answer's lines.
    pub fn suffix(&self) -> &str {
        std::str::from_utf8(&self.0[PREFIX_LEN..]).unwrap_or_default()
    }

    /// The prefix as a number below `PREFIXES` (the offline corpus's file index).
    pub fn prefix_index(&self) -> u32 {
        self.0[..PREFIX_LEN]
            .iter()
            .fold(0, |acc, c| (acc << 4) | u32::from(nibble(*c)))
    }

    pub fn packed_suffix(&self) -> [u8; PACKED_LEN] {
        let mut out = [0u8; PACKED_LEN];
        for (i, c) in self.0[PREFIX_LEN..].iter().enumerate() {
            out[i / 2] |= nibble(*c) << if i % 2 == 0 { 4 } else { 0 };
        }
        out
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// The five upper-case digits of a prefix index (the offline corpus's file name).
pub fn prefix_name(index: u32) -> String {
    format!("{:05X}", index & (PREFIXES - 1))
}

/// What one line of the downloadable corpus says.
#[derive(Debug, PartialEq, Eq)]
pub enum CorpusLine {
    Hash(Sha1Hex, u64),
    /// An empty line (the file's end, a stray newline).
    Blank,
}

/// `HASH:COUNT`, 40 hex digits, a CR (a file from Windows) tolerated. `None` for anything
/// else, the NTLM corpus's 32-digit hashes included: a corpus in the wrong format must be
/// refused, never loaded as nothing.
pub fn parse_corpus_line(line: &str) -> Option<CorpusLine> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Some(CorpusLine::Blank);
    }
    let (hash, count) = line.split_once(':')?;
    Some(CorpusLine::Hash(
        Sha1Hex::parse(hash.trim())?,
        parse_count(count)?,
    ))
}

fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Why a range answer cannot be believed.
#[derive(Debug, PartialEq, Eq)]
pub struct NotARangeAnswer {
    pub line: usize,
}

/// How often `suffix` was seen according to a range answer's `SUFFIX:COUNT` lines. Padding
/// lines (count 0, what `Add-Padding: true` adds so answers all look alike in size) never
/// count. A body with any other kind of line (an HTML page from a proxy, a captive portal)
/// is not an answer: treated as "seen 0 times" it would let every breached password through
/// unnoticed, so the caller reports it as an outage instead. So is an empty body (a 204, a
/// proxy's empty 200, an empty mirror file): every real prefix holds hundreds of suffixes.
pub fn range_count(body: &str, suffix: &str) -> Result<u64, NotARangeAnswer> {
    let mut seen = 0;
    let mut lines = 0;
    for (i, line) in body.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let bad = NotARangeAnswer { line: i + 1 };
        let Some((s, count)) = line.split_once(':') else {
            return Err(bad);
        };
        let Some(count) = parse_count(count) else {
            return Err(bad);
        };
        if s.len() != SUFFIX_LEN || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad);
        }
        if count > 0 && s.eq_ignore_ascii_case(suffix) {
            seen = count;
        }
    }
    if lines == 0 {
        return Err(NotARangeAnswer { line: 0 });
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8 (HIBP's own example).
    const PASSWORD_SHA1: &str = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8";

    #[test]
    fn splits_the_sha1_into_prefix_and_suffix() {
        let h = Sha1Hex::of("password");
        assert_eq!(h, Sha1Hex::parse(PASSWORD_SHA1).unwrap());
        assert_eq!(h.prefix(), "5BAA6");
        assert_eq!(h.suffix(), "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
        assert_eq!(h.prefix_index(), 0x5BAA6);
        assert_eq!(prefix_name(h.prefix_index()), "5BAA6");
        assert_eq!(prefix_name(0), "00000");
        assert_eq!(prefix_name(PREFIXES - 1), "FFFFF");
        // Lower case from a file is the same hash.
        assert_eq!(
            Sha1Hex::parse(&PASSWORD_SHA1.to_lowercase()),
            Some(h),
            "case does not matter"
        );
    }

    #[test]
    fn packs_a_suffix_into_eighteen_bytes_keeping_its_order() {
        let h = Sha1Hex::of("password");
        let p = h.packed_suffix();
        assert_eq!(p[0], 0x1E);
        assert_eq!(p[16], 0xFD);
        assert_eq!(p[17], 0x80, "the 35th digit, then a zero half-byte");
        let lo = Sha1Hex::parse("5BAA60000000000000000000000000000000000F").unwrap();
        let hi = Sha1Hex::parse("5BAA6F0000000000000000000000000000000000").unwrap();
        assert!(lo.packed_suffix() < p && p < hi.packed_suffix());
        let last = Sha1Hex::parse("5BAA60000000000000000000000000000000000F").unwrap();
        assert_eq!(last.packed_suffix()[17], 0xF0);
    }

    #[test]
    fn parses_corpus_lines_and_refuses_other_formats() {
        let h = Sha1Hex::parse(PASSWORD_SHA1).unwrap();
        assert_eq!(
            parse_corpus_line(&format!("{PASSWORD_SHA1}:52256179")),
            Some(CorpusLine::Hash(h, 52256179))
        );
        assert_eq!(
            parse_corpus_line(&format!("{}:3\r\n", PASSWORD_SHA1.to_lowercase())),
            Some(CorpusLine::Hash(h, 3))
        );
        assert_eq!(parse_corpus_line(""), Some(CorpusLine::Blank));
        assert_eq!(parse_corpus_line("\r"), Some(CorpusLine::Blank));
        // NTLM (32 digits), a bare hash, a bad count, a non-hex digit.
        for bad in [
            "8846F7EAEE8FB117AD06BDD830B7586C:1",
            PASSWORD_SHA1,
            &format!("{PASSWORD_SHA1}:"),
            &format!("{PASSWORD_SHA1}:-1"),
            &format!("{PASSWORD_SHA1}:x"),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FDG:1",
        ] {
            assert_eq!(parse_corpus_line(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_range_answer_counts_the_suffix_and_ignores_padding() {
        let suffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8";
        let body = "003D68EB55068C33ACE09247EE4C639306B:3\r\n\
                    1E4C9B93F3F0682250B6CF8331B7EE68FD8:52256179\r\n\
                    FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0\r\n";
        assert_eq!(range_count(body, suffix), Ok(52256179));
        assert_eq!(range_count(body, &suffix.to_lowercase()), Ok(52256179));
        assert_eq!(
            range_count(body, "003D68EB55068C33ACE09247EE4C639306C"),
            Ok(0)
        );
        // A padding line for the very suffix: count 0 is not a breach.
        let padded = format!("{suffix}:0\n");
        assert_eq!(range_count(&padded, suffix), Ok(0));
        // No line at all is no answer: an outage, never "not breached".
        assert_eq!(range_count("", suffix), Err(NotARangeAnswer { line: 0 }));
        assert_eq!(
            range_count("\r\n \n", suffix),
            Err(NotARangeAnswer { line: 0 })
        );
    }

    #[test]
    fn a_body_that_is_not_a_range_answer_is_refused() {
        let suffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8";
        assert_eq!(
            range_count("<html><body>Login to the Wi-Fi</body></html>", suffix),
            Err(NotARangeAnswer { line: 1 })
        );
        assert_eq!(
            range_count(&format!("{suffix}:1\nABC:2\n"), suffix),
            Err(NotARangeAnswer { line: 2 })
        );
    }
}
