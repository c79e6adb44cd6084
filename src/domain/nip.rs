//! NIP (Nomor Induk Pegawai): 18 digits.
//!
//! PNS (Perka BKN 43/2007): birth date `YYYYMMDD`, first appointment `YYYYMM`, gender `1|2`,
//! sequence `NNN`. PPPK numbers share the shape but put `21` where the appointment month is.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NipError {
    /// Not exactly 18 ASCII digits.
    Format,
    /// The first 8 digits are not a plausible birth date.
    BirthDate,
    /// Digits 9–14 are not a plausible appointment year and month.
    Appointment,
    /// Digit 15 is not 1 (male) or 2 (female).
    Gender,
    /// The sequence number 000 is never issued.
    Sequence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pns,
    Pppk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nip {
    pub birth: (i32, u32, u32),
    pub appointed_year: i32,
    pub kind: Kind,
}

/// The longest NIP input a form accepts: the printed form `19900101 201503 1 001` (21
/// characters) with room for a stray separator or two.
pub const MAX_TYPED: usize = 24;

/// The NIP as typed or pasted: documents print it in groups (`19900101 201503 1 001`), some
/// with dots or dashes. Those separators (any space, `.`, `-` and the Unicode dashes) are
/// dropped; anything else stays, so `parse` can say what is wrong.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '\u{2010}'..='\u{2015}')))
        .collect()
}

/// Validates `s` against the NIP structure; `current_year` bounds plausible dates.
pub fn parse(s: &str, current_year: i32) -> Result<Nip, NipError> {
    if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NipError::Format);
    }
    let num = |a: usize, b: usize| -> u32 { s[a..b].parse().unwrap_or(0) };
    let (by, bm, bd) = (num(0, 4) as i32, num(4, 6), num(6, 8));
    // Civil servants are at least 18 at appointment and the oldest active ones were born
    // after 1940; anything outside is a typo, not a person.
    if !(1940..=current_year - 17).contains(&by) || !valid_date(by, bm, bd) {
        return Err(NipError::BirthDate);
    }
    let (ay, am) = (num(8, 12) as i32, num(12, 14));
    let kind = match am {
        1..=12 => Kind::Pns,
        21 => Kind::Pppk,
        _ => return Err(NipError::Appointment),
    };
    if ay < by + 17 || ay > current_year + 1 {
        return Err(NipError::Appointment);
    }
    if !matches!(&s[14..15], "1" | "2") {
        return Err(NipError::Gender);
    }
    if &s[15..18] == "000" {
        return Err(NipError::Sequence);
    }
    Ok(Nip {
        birth: (by, bm, bd),
        appointed_year: ay,
        kind,
    })
}

fn valid_date(y: i32, m: u32, d: u32) -> bool {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: i32 = 2026;

    #[test]
    fn accepts_pns_and_pppk_numbers() {
        let n = parse("198507122010011002", YEAR).unwrap();
        assert_eq!(n.birth, (1985, 7, 12));
        assert_eq!(n.appointed_year, 2010);
        assert_eq!(n.kind, Kind::Pns);
        assert_eq!(parse("199001012024211001", YEAR).unwrap().kind, Kind::Pppk);
        assert!(
            parse("200002292020121001", YEAR).is_ok(),
            "29 Feb of a leap year"
        );
    }

    #[test]
    fn rejects_wrong_shape() {
        for bad in [
            "",
            "19850712201001100",
            "1985071220100110021",
            "19850712201001100a",
            "١٩٨٥٠٧١٢٢٠١٠٠١١٠٠٢",
            " 98507122010011002",
        ] {
            assert_eq!(parse(bad, YEAR), Err(NipError::Format), "{bad:?}");
        }
    }

    #[test]
    fn rejects_implausible_birth_dates() {
        for bad in [
            "198513122010011002",
            "198502302010011002",
            "190002282010011002",
            "201502282026011002",
            "199002292015011002",
            "198507002010011002",
        ] {
            assert_eq!(parse(bad, YEAR), Err(NipError::BirthDate), "{bad}");
        }
    }

    #[test]
    fn rejects_implausible_appointments() {
        // month 13, month 00, appointed at 10, appointed in the future
        for bad in [
            "198507122010131002",
            "198507122010001002",
            "198507121995011002",
            "198507122030011002",
        ] {
            assert_eq!(parse(bad, YEAR), Err(NipError::Appointment), "{bad}");
        }
    }

    #[test]
    fn rejects_gender_and_sequence() {
        assert_eq!(parse("198507122010013002", YEAR), Err(NipError::Gender));
        assert_eq!(parse("198507122010010002", YEAR), Err(NipError::Gender));
        assert_eq!(parse("198507122010011000", YEAR), Err(NipError::Sequence));
    }

    #[test]
    fn printed_and_pasted_forms_normalize_to_the_digits() {
        for typed in [
            "19900101 201503 1 001",
            " 19900101\u{a0}201503\u{a0}1\u{a0}001 ",
            "19900101.201503.1.001",
            "19900101-201503-1-001",
            "19900101\u{2013}201503\u{2013}1\u{2013}001",
            "199001012015031001",
        ] {
            assert_eq!(normalize(typed), "199001012015031001", "{typed:?}");
            assert!(typed.chars().count() <= MAX_TYPED);
        }
        assert_eq!(
            normalize("1990a101"),
            "1990a101",
            "letters stay, for parse to refuse"
        );
    }
}
