//! Free text that other people read (names, device names, reasons): no control characters,
//! and no invisible format characters such as bidi overrides (U+202E shows `gpj.exe` as
//! `exe.jpg`) or zero-width joiners that make two names look the same.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A character that would display differently from what it is.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    )
}

/// True when `s` is 1..=`max` characters of text that shows what it is.
pub fn is_plain_text(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    n >= 1 && n <= max && !s.chars().any(is_deceptive)
}

/// As `is_plain_text`, allowing line breaks and tabs (a reason typed in a text area).
pub fn is_plain_multiline(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    n >= 1
        && n <= max
        && s.chars()
            .all(|c| matches!(c, '\n' | '\r' | '\t') || !is_deceptive(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_invisible_characters_are_refused() {
        for bad in [
            "HP\u{202E}gpj.exe",
            "HP\u{2066}x",
            "A\u{200B}B",
            "A\u{200D}B",
            "\u{FEFF}HP",
            "A\u{00AD}B",
            "line\nbreak",
            "tab\there",
            "A\u{2028}B",
            "A\u{E000}B",
        ] {
            assert!(!is_plain_text(bad, 64), "{bad:?} must be refused");
        }
    }

    #[test]
    fn ordinary_names_in_any_script_pass() {
        for good in [
            "HP Pribadi",
            "Ponsel Dinas (Samsung A15)",
            "Siti Nurhaliza, S.Kom.",
            "Tuấn's iPhone",
            "هاتف",
            "携帯電話",
            "Dr. Ir. H. Ahmad-Yani",
        ] {
            assert!(is_plain_text(good, 64), "{good:?} must pass");
        }
        assert!(!is_plain_text("", 64));
        assert!(!is_plain_text(&"a".repeat(65), 64));
        assert!(is_plain_text(&"a".repeat(64), 64));
        assert!(is_plain_multiline("Lupa HP.\nSudah dicek.", 500));
        assert!(!is_plain_multiline("Lupa\u{202E}HP", 500));
    }
}
