//! What a request may carry in its parameters: no control characters. No identifier, code,
//! token, NIP or address has one, PostgreSQL refuses NUL in text (a query with one failed
//! as a 500 where SQLite answered 4xx), and a NUL or an escape in a stored value is a trap
//! for whoever reads it later. Free text typed by people (a reason) may break lines.

use std::borrow::Cow;

/// Fields whose value is free text (a helpdesk reason) or a JSON document (`claims`, which
/// a service may send pretty-printed): line breaks and tabs are allowed there, never any
/// other control character.
pub const FREE_TEXT_FIELDS: [&str; 2] = ["reason", "claims"];

/// Whether the value of field `name` is fit to pass on: no control character (C0, DEL,
/// C1), except line breaks and tabs in `FREE_TEXT_FIELDS`.
pub fn fit(name: &str, value: &str) -> bool {
    let free = FREE_TEXT_FIELDS.contains(&name);
    value
        .chars()
        .all(|c| !c.is_control() || (free && matches!(c, '\n' | '\r' | '\t')))
}

/// A query string or form body, decoded as the handlers decode it (`application/x-www-form-
/// urlencoded`, invalid UTF-8 read as U+FFFD): every name and value fit.
pub fn form_fit(raw: &[u8]) -> bool {
    url::form_urlencoded::parse(raw).all(|(k, v)| fit("", &k) && fit(&k, &v))
}

/// A JSON body: every key and string fit, a string judged by the key it stands under.
pub fn json_fit(v: &serde_json::Value) -> bool {
    fn walk(name: &str, v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => fit(name, s),
            serde_json::Value::Array(a) => a.iter().all(|x| walk(name, x)),
            serde_json::Value::Object(o) => o.iter().all(|(k, x)| fit("", k) && walk(k, x)),
            _ => true,
        }
    }
    walk("", v)
}

/// A value that comes from a header and is kept for the record (a user agent in an audit
/// row): control characters become spaces. It is the client's own words, so it is stored
/// rather than refused, but never with a NUL (PostgreSQL refuses it) or a terminal escape.
pub fn printable(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Free text for a stored row: line breaks and tabs kept, any other control character
/// becomes U+FFFD (so the row still shows something was there).
pub fn storable_text(s: &str) -> Cow<'_, str> {
    if fit("reason", s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(
            s.chars()
                .map(|c| {
                    if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                        '\u{FFFD}'
                    } else {
                        c
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_every_control_character() {
        for bad in [
            "\0", "a\0b", "\u{1}", "\u{1f}", "\u{7f}", "\u{85}", "x\ny", "\t", "\r",
        ] {
            assert!(!fit("client_id", bad), "{bad:?}");
        }
        for good in ["", "myasn", "199001012020121001", "a b", "ü€😀", "\u{FFFD}"] {
            assert!(fit("client_id", good), "{good:?}");
        }
    }

    #[test]
    fn free_text_may_break_lines_but_never_hold_nul() {
        assert!(fit("reason", "called twice\r\n\tverified by video"));
        assert!(fit("claims", "{\n  \"id_token\": {}\n}"));
        assert!(!fit("reason", "a\0b"));
        assert!(!fit("reason", "bell\u{7}"));
        assert!(!fit("reason", "esc\u{1b}[2J"));
    }

    #[test]
    fn forms_are_judged_decoded() {
        assert!(form_fit(b"client_id=myasn&scope=openid+profile"));
        assert!(!form_fit(b"client_id=%00"));
        assert!(!form_fit(b"client_id=a%01b"));
        assert!(!form_fit(b"client_id=%7F"));
        assert!(!form_fit(b"%00=x"), "names too");
        assert!(!form_fit(b"nip=1\x00"), "a raw byte as well as an escape");
        assert!(form_fit(b"reason=two%0D%0Alines"));
        assert!(!form_fit(b"reason=nul%00"));
        // Invalid UTF-8 reads as U+FFFD, as the handlers read it: not a control character.
        assert!(form_fit(b"client_id=%FF"));
    }

    #[test]
    fn json_strings_are_judged_by_their_key() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert!(json_fit(&v(r#"{"action":"unlock","reason":"a\r\nb"}"#)));
        assert!(!json_fit(&v(
            r#"{"action":"unlock\u0000","reason":"abcde"}"#
        )));
        assert!(!json_fit(&v(r#"{"reason":"a\u0000b"}"#)));
        assert!(!json_fit(&v(r#"{"x":["ok",{"y":"\u0001"}]}"#)));
        assert!(!json_fit(&v(r#"{"a\u0000":1}"#)));
        assert!(json_fit(&v(r#"[1, true, null, "x"]"#)));
    }

    #[test]
    fn stored_text_never_holds_nul() {
        assert_eq!(printable("Mozilla\t5.0"), "Mozilla 5.0");
        assert!(matches!(printable("curl/8"), Cow::Borrowed(_)));
        assert_eq!(storable_text("a\0b\r\nc"), "a\u{FFFD}b\r\nc");
        assert!(matches!(storable_text("ok\n"), Cow::Borrowed(_)));
    }
}
