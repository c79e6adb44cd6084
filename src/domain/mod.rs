//! Pure rules: no async, no I/O, time passed in. Everything security-relevant is decided here.

pub mod audit;
pub mod breach;
pub mod email;
pub mod input;
pub mod lockout;
pub mod nip;
pub mod oidc;
pub mod password_policy;
pub mod pkce;
pub mod redirect;
pub mod refresh_token;
pub mod role;
pub mod siasn;
pub mod text;
pub mod totp;
pub mod user_status;
