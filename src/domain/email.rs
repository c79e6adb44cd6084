//! E-mail addresses as Gerbang accepts them (CLI, import, helpdesk corrections).

/// A deliberately plain check: one `@`, a dotted domain, no spaces, RFC 5321 length.
pub fn is_valid(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !(local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains(".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_valid("siti.rahayu@bkn.go.id"));
        for bad in [
            "",
            "siti",
            "siti@",
            "@bkn.go.id",
            "siti@bkn",
            "si ti@bkn.go.id",
            "a@b@c.id",
            "a@.bkn.id",
            "a@bkn..id",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
