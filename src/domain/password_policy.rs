//! Password policy: ≥ 12 characters with upper case, lower case, digit and symbol, not
//! containing the NIP or the person's name, not one of the most common passwords. Every failing
//! rule is reported, so the page can name each one. ("Not the current password" needs the
//! stored hash and is checked by the caller.)

use std::collections::HashSet;
use std::sync::LazyLock;

/// Compiled in: a deployment is one binary, and the list is data, not configuration.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../assets/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

/// True when the password, or its core once leading and trailing digits and symbols are
/// stripped ("Bismillah123!" → "bismillah"), is on the common list.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    COMMON.contains(lower.as_str()) || (core.chars().count() >= 4 && COMMON.contains(core))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    MinLength,
    MaxLength,
    Upper,
    Lower,
    Digit,
    Symbol,
    ContainsNip,
    ContainsName,
    Common,
    /// Found in a breach corpus (`crate::breach`): decided there, since it needs I/O.
    Breached,
}

impl Rule {
    /// The i18n key of the words that explain this rule to a person.
    pub fn key(self) -> &'static str {
        match self {
            Rule::MinLength => "rule.min_length",
            Rule::MaxLength => "rule.max_length",
            Rule::Upper => "rule.upper",
            Rule::Lower => "rule.lower",
            Rule::Digit => "rule.digit",
            Rule::Symbol => "rule.symbol",
            Rule::ContainsNip => "rule.nip",
            Rule::ContainsName => "rule.name",
            Rule::Common => "rule.common",
            Rule::Breached => "rule.breached",
        }
    }
}

pub const MIN_LEN: usize = 12;
/// Bounds argon2 work per request; long passphrases still fit.
pub const MAX_LEN: usize = 256;

pub fn check(password: &str, nip: &str, name: &str) -> Vec<Rule> {
    let mut failed = Vec::new();
    let len = password.chars().count();
    if len < MIN_LEN {
        failed.push(Rule::MinLength);
    }
    if len > MAX_LEN {
        failed.push(Rule::MaxLength);
    }
    if !password.chars().any(char::is_uppercase) {
        failed.push(Rule::Upper);
    }
    if !password.chars().any(char::is_lowercase) {
        failed.push(Rule::Lower);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        failed.push(Rule::Digit);
    }
    if !password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        failed.push(Rule::Symbol);
    }
    let lower = password.to_lowercase();
    if !nip.is_empty() && password.contains(nip) {
        failed.push(Rule::ContainsNip);
    }
    // Any part of the name of 3+ letters ("Siti", "Rahayu") counts; "Dr" or "S" do not.
    if name
        .split(|c: char| !c.is_alphabetic())
        .filter(|part| part.chars().count() >= 3)
        .any(|part| lower.contains(&part.to_lowercase()))
    {
        failed.push(Rule::ContainsName);
    }
    if is_common(password) {
        failed.push(Rule::Common);
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rule::*;

    const NIP: &str = "198507122010011002";
    const NAME: &str = "Siti Rahayu, S.Kom";

    #[test]
    fn strong_password_passes() {
        assert!(check("Gerbang#Aman2026", NIP, NAME).is_empty());
    }

    #[test]
    fn each_rule_is_named() {
        assert_eq!(check("Ab1!", NIP, NAME), vec![MinLength]);
        assert_eq!(check("gerbang#aman2026", NIP, NAME), vec![Upper]);
        assert_eq!(check("GERBANG#AMAN2026", NIP, NAME), vec![Lower]);
        assert_eq!(check("Gerbang#AmanSekali", NIP, NAME), vec![Digit]);
        assert_eq!(check("GerbangAman2026x", NIP, NAME), vec![Symbol]);
        assert_eq!(check(&format!("Aa!{NIP}"), NIP, NAME), vec![ContainsNip]);
        assert_eq!(check("RAHAYU#aman2026", NIP, NAME), vec![ContainsName]);
        assert_eq!(
            check(&format!("Aa1!{}", "x".repeat(300)), NIP, NAME),
            vec![MaxLength]
        );
        assert_eq!(
            check("", NIP, NAME),
            vec![MinLength, Upper, Lower, Digit, Symbol]
        );
    }
}
