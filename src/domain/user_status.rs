//! Where an account stands (`users.status`).

use std::fmt;

/// Stored in `users.status` as `as_str()`; the import's SQL and the helpdesk's statements
/// compare those same words, so a variant's string never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Active,
    /// The helpdesk's disable before it became a hold of its own (`users.helpdesk_hold_at`,
    /// migration 0012), and what an unknown stored word reads as. No longer written by the
    /// helpdesk; an import saying "aktif" never lifts it.
    Disabled,
    /// A lock only the helpdesk lifts (not the temporary `locked_until`).
    Locked,
    /// The import's own disable: SIASN said the person left, and only SIASN saying "aktif"
    /// (or the helpdesk) lifts it.
    SiasnInactive,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [
        Self::Active,
        Self::Disabled,
        Self::Locked,
        Self::SiasnInactive,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Locked => "locked",
            Self::SiasnInactive => "siasn_inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A stored value as the code reads it: a word this build does not know (a row edited by
    /// hand, a newer version's status) counts as `Disabled`, so it never lets anyone in.
    /// Before the enum, any such value was "not active" too.
    pub fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(Self::Disabled)
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_and_unknown_ones_fail_closed() {
        for s in UserStatus::ALL {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
            assert_eq!(UserStatus::from_stored(s.as_str()), s);
        }
        assert_eq!(UserStatus::parse("Active"), None);
        assert_eq!(UserStatus::from_stored("suspended"), UserStatus::Disabled);
        assert_eq!(UserStatus::from_stored(""), UserStatus::Disabled);
    }
}
