//! The new-password checklist both new-password forms show (the reset's confirm page and
//! the account's change of password): one line per rule, which `static/password.js` marks
//! met or not while the person types, and which the server marks broken after a submit.

use crate::domain::password_policy::Rule;
use crate::web::i18n::Lang;

/// One line of the password checklist: `data-rule` (what `password.js` checks live), the
/// text, and whether the server found it broken.
pub struct RuleRow {
    pub id: &'static str,
    pub text: &'static str,
    pub failed: bool,
}

/// The rules a person can see being met while typing, then any other rule the server named,
/// then "the two passwords match" (`mismatch`: the server found they did not).
pub fn checklist(lang: Lang, failed: &[Rule], mismatch: bool) -> Vec<RuleRow> {
    const LIVE: [(Rule, &str); 5] = [
        (Rule::MinLength, "length"),
        (Rule::Upper, "upper"),
        (Rule::Lower, "lower"),
        (Rule::Digit, "digit"),
        (Rule::Symbol, "symbol"),
    ];
    let mut rows: Vec<RuleRow> = LIVE
        .iter()
        .map(|(r, id)| RuleRow {
            id,
            text: lang.t(r.key()),
            failed: failed.contains(r),
        })
        .collect();
    rows.extend(
        failed
            .iter()
            .filter(|r| !LIVE.iter().any(|(l, _)| l == *r))
            .map(|r| RuleRow {
                id: "server",
                text: lang.t(r.key()),
                failed: true,
            }),
    );
    rows.push(RuleRow {
        id: "match",
        text: lang.t("rule.match"),
        failed: mismatch,
    });
    rows
}
