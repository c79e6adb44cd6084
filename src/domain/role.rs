//! The staff roles Gerbang itself acts on. The `roles` table may hold other names too
//! (a service's `allowed_roles`, e.g. `siasn-admin`): those stay plain strings.

use std::fmt;

/// Stored in `roles.role` as `as_str()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Acts for one agency per row (`roles.instansi_id`).
    Helpdesk,
    /// Reaches every agency; its row carries the empty agency.
    Admin,
}

impl Role {
    /// Every staff role: each is ground for a staff scope (`domain::oidc::STAFF_SCOPES`).
    pub const ALL: [Role; 2] = [Self::Helpdesk, Self::Admin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Helpdesk => "helpdesk",
            Self::Admin => "admin",
        }
    }

    /// The staff role a stored or typed name is, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("siasn-admin"), None);
        assert_eq!(Role::parse("Admin"), None);
    }
}
