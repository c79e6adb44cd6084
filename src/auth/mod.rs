//! Authentication below every feature: the SSO session, the half-done login between the
//! password and the code, the known browser, the guess counters and locks, the second-factor
//! check and completing a sign-in. Features (`login`, `mfa`, `account`, …) hold handlers and
//! pages and build on these; none of them imports another feature.

pub mod device;
pub mod disabled;
pub mod guard;
pub mod new_browser;
pub mod otp;
pub mod pending;
pub mod recovery_view;
pub mod reset_code;
pub mod session;
pub mod signed_in;
pub mod signin;
