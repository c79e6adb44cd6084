//! TOTP as Google and Microsoft Authenticator do it: RFC 6238, SHA-1, 6 digits, 30 s steps.
//! A code is accepted one step either side of now, each step once per device. A code that
//! matches far from now (up to ±3 h) is not accepted either, but diagnosed: the phone's
//! clock or time zone is off, by about so many minutes.

use totp_rs::{Builder, Totp};

pub const STEP_SECS: u64 = 30;
pub const DIGITS: u8 = 6;
/// Steps accepted either side of now.
pub const WINDOW: u64 = 1;
/// How far the skew diagnosis looks: ±3 hours.
pub const SKEW_SEARCH_STEPS: u64 = 3 * 3600 / STEP_SECS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid {
        step: u64,
    },
    /// The code is right, but its step was already used on this device.
    Replayed {
        step: u64,
    },
    /// The code belongs to a step this far from now: a phone with a wrong clock.
    Skewed {
        step: u64,
        minutes: i64,
    },
    Invalid,
}

fn totp(secret: &[u8]) -> Totp {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_digits(DIGITS)
        .with_step_duration(STEP_SECS)
        .with_skew(0)
        .build_noncompliant()
}

/// The code for the step containing `unix_time` (used by enrolment tests and tools).
pub fn code_at(secret: &[u8], unix_time: u64) -> String {
    totp(secret).generate(unix_time).to_string()
}

/// Judges `code` at `now`; `used(step)` says whether that step was already spent.
pub fn verify(secret: &[u8], code: &str, now: u64, used: impl Fn(u64) -> bool) -> Verdict {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Verdict::Invalid;
    }
    let t = totp(secret);
    let origin = now / STEP_SECS;
    let matches = |step: u64| t.generate(step * STEP_SECS).to_string() == code;
    // Closest steps first, so a code valid now is never mistaken for a skewed one.
    for step in [origin, origin.saturating_sub(WINDOW), origin + WINDOW] {
        if matches(step) {
            return if used(step) {
                Verdict::Replayed { step }
            } else {
                Verdict::Valid { step }
            };
        }
    }
    for d in (WINDOW + 1)..=SKEW_SEARCH_STEPS {
        for step in [origin + d, origin.saturating_sub(d)] {
            if matches(step) {
                let offset_secs = (step as i64 - origin as i64) * STEP_SECS as i64;
                return Verdict::Skewed {
                    step,
                    minutes: (offset_secs as f64 / 60.0).round() as i64,
                };
            }
        }
    }
    Verdict::Invalid
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"12345678901234567890";
    const NOW: u64 = 1_795_000_000;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 Appendix B, T = 59 → 94287082 (8 digits); its last six are the 6-digit code.
        assert_eq!(code_at(SECRET, 59), "287082");
        assert_eq!(code_at(SECRET, 1_111_111_109), "081804");
    }

    #[test]
    fn window_is_one_step_either_side() {
        let never = |_| false;
        for offset in [-30i64, 0, 30] {
            let code = code_at(SECRET, (NOW as i64 + offset) as u64);
            assert!(
                matches!(verify(SECRET, &code, NOW, never), Verdict::Valid { .. }),
                "{offset}"
            );
        }
        let spaced = code_at(SECRET, NOW);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert!(matches!(
            verify(SECRET, &spaced, NOW, never),
            Verdict::Valid { .. }
        ));
    }

    #[test]
    fn a_step_is_usable_once() {
        let code = code_at(SECRET, NOW);
        let step = NOW / STEP_SECS;
        assert_eq!(
            verify(SECRET, &code, NOW, |s| s == step),
            Verdict::Replayed { step }
        );
    }

    #[test]
    fn skew_is_diagnosed_in_minutes() {
        let never = |_| false;
        let ahead = code_at(SECRET, NOW + 3600);
        assert!(matches!(
            verify(SECRET, &ahead, NOW, never),
            Verdict::Skewed { minutes: 60, .. }
        ));
        let behind = code_at(SECRET, NOW - 20 * 60);
        assert!(matches!(
            verify(SECRET, &behind, NOW, never),
            Verdict::Skewed { minutes: -20, .. }
        ));
        // Beyond three hours it is just wrong.
        let far = code_at(SECRET, NOW + 4 * 3600);
        if !(0..=2 * SKEW_SEARCH_STEPS)
            .any(|i| code_at(SECRET, NOW - 3 * 3600 + i * STEP_SECS) == far)
        {
            assert_eq!(verify(SECRET, &far, NOW, never), Verdict::Invalid);
        }
    }

    #[test]
    fn malformed_codes_are_invalid() {
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                verify(SECRET, bad, NOW, |_| false),
                Verdict::Invalid,
                "{bad}"
            );
        }
    }
}
