//! Cross-cutting web concerns: language, CSRF, security headers, error pages, client IP,
//! cookies, WIB times, the extractors handlers share (`extract.rs`), and the gate every
//! request's parameters pass (`input.rs`).

pub mod assets;
pub mod branding;
pub mod captcha;
pub mod cookie;
pub mod csrf;
pub mod extract;
pub mod headers;
pub mod i18n;
pub mod input;
pub mod lang_switch;
pub mod notice;
pub mod password_rules;
pub mod rate_limit;
pub mod time;
pub mod words;
