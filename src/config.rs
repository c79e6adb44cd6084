//! Settings: built-in defaults (the embedded mode), then `gerbang.toml`, then `GERBANG_*` env.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The issuer identifier; every token's `iss` and every metadata URL derive from it.
    pub issuer: String,
    pub listen: String,
    /// `sqlite://…` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// `redis://host:port/db`: the shared cache for several replicas. Unset: in-process.
    pub redis_url: Option<String>,
    /// Prepended to every Redis key, so deployments (or tests) can share one Redis.
    pub redis_prefix: String,
    pub keys_dir: PathBuf,
    pub data_dir: PathBuf,
    pub access_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// The refresh family lifetime of a public client (browser or native app) that names no
    /// `refresh_token_ttl_secs` of its own: shorter, since its token sits in a browser or on
    /// a phone rather than on a server.
    pub public_refresh_token_ttl_secs: i64,
    pub auth_code_ttl_secs: i64,
    pub sso_session_ttl_secs: i64,
    /// A key published in JWKS signs only after this delay, so relying parties that cache
    /// JWKS learn it before they meet a token signed with it.
    pub key_publish_delay_secs: i64,
    pub argon2: Argon2Params,
    /// Concurrent password hashes; defaults to the number of cores.
    pub hash_workers: usize,
    pub max_body_bytes: usize,
    /// Seconds a connection may take to send a request's headers, and the longest an idle
    /// kept-alive connection is held open waiting for the next request (slowloris bound).
    pub header_read_timeout_secs: u64,
    /// Seconds a request's body may take to arrive after its headers.
    pub body_read_timeout_secs: u64,
    pub database_max_connections: u32,
    /// How long a request waits for a database connection before answering 503.
    pub database_acquire_timeout_secs: u64,
    /// `smtp://host:port`, `smtps://…` (implicit TLS) or `smtp://…?tls=required` (STARTTLS);
    /// credentials in the URL. Unset: mail is written as `.eml` files to `data/outbox/`.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub reset_code_ttl_secs: i64,
    pub reset_code_attempts: i64,
    pub captcha_ttl_secs: i64,
    /// Entries the in-process cache holds at most before it drops disposable ones
    /// (captchas, pending authorization requests); sessions and counters are never dropped.
    pub memory_cache_max_entries: usize,
    pub lockout: LockoutSettings,
    pub rate_limit: RateLimitSettings,
    /// Proxies whose `X-Forwarded-For` is believed; from any other peer it is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The issuer shown in authenticator apps next to the NIP.
    pub totp_issuer: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    pub log_format: LogFormat,
    /// The declarative client registry (`clients.toml`), reconciled at every start. Unset:
    /// only CLI-registered clients.
    pub clients_file: Option<PathBuf>,
    /// Shown in every page's header beside "Gerbang ASN" (e.g. "Badan Kepegawaian Negara").
    pub agency_name: String,
    /// The agency's logo in the header: a path on Gerbang or a `data:image/` URI (the pages'
    /// CSP allows no other image source).
    pub agency_logo: Option<String>,
    /// Whom a locked-out person can reach at this deployment's helpdesk (shown on the locked
    /// page in both languages). Empty: the page says to ask the agency's BKPSDM helpdesk.
    pub helpdesk_contact: HelpdeskContact,
    /// Seconds a replica reuses a client record at the token, introspection and revocation
    /// endpoints instead of reading it again. A rotated secret or removed key keeps working
    /// on a replica for at most this long (a new secret works at once: a mismatch reads the
    /// record again). 0 reads every time: strict, and 2-5x slower on those endpoints
    /// (bench/README.md). Capped at 5.
    pub client_cache_secs: i64,
    /// Access tokens whose signature this replica already checked, remembered (by SHA-256)
    /// until they expire so a service presenting the same token again skips the ECDSA
    /// verification; revocation is still checked every time. 0 turns it off.
    pub verified_token_cache: usize,
    /// Seconds a replica reuses a user's record at `/userinfo`; a deactivation or a profile
    /// change shows there within this time (access tokens are trusted offline by services
    /// for their whole lifetime anyway). Token issuance always reads fresh. 0 reads every time.
    pub userinfo_cache_secs: i64,
    /// `/introspect` answers a client about its own tokens only (another client's token is
    /// `active: false`). `true`: any authenticated client may introspect any token.
    pub introspection_any_client: bool,
    /// An address (e.g. `127.0.0.1:9100`) to serve `/metrics` on, and then not on `listen`.
    /// Unset: `/metrics` is on `listen` with everything else (put it behind the proxy's
    /// access rules).
    pub metrics_listen: Option<String>,
    /// Where every audit event is also written, one JSON line each: `log` (the log target
    /// `gerbang::audit`), `file:///path/audit.jsonl` (appended; reopened on SIGHUP, for
    /// logrotate), `syslog+udp://host:port` or `syslog+tcp://host:port` (RFC 5424; TCP with
    /// octet counting, RFC 6587).
    pub audit_sink: String,
    /// Days audit events are kept before the janitor deletes them; 0 keeps them forever.
    pub audit_retention_days: i64,
    /// Days delivered or given-up mail and back-channel logouts are kept.
    pub outbox_retention_days: i64,
    /// Seconds between janitor rounds. Every replica runs one; each job is leased to one
    /// replica at a time.
    pub janitor_interval_secs: u64,
    /// Rows one janitor statement deletes at most (each statement is its own transaction).
    pub janitor_batch_size: i64,
    /// Milliseconds the janitor rests between two batches.
    pub janitor_pause_ms: u64,
    /// A Pwned Passwords range API new passwords are checked against, `{prefix}` standing
    /// for the first five hex digits of the password's SHA-1
    /// (`https://api.pwnedpasswords.com/range/{prefix}`). An offline corpus loaded with
    /// `gerbang passwords load-breached` is asked first. Unset: only the offline corpus.
    pub breached_password_api: Option<String>,
    /// Milliseconds a breach lookup (the range API, or the offline files) may take before
    /// it counts as an outage; the password is then judged without it.
    pub breached_password_timeout_ms: u64,
}

/// The deployment's helpdesk, as `[helpdesk_contact]` in TOML or
/// `GERBANG_HELPDESK_CONTACT__TEXT` (`__URL`, `__PHONE`, `__WHATSAPP`, `__TEXT_EN`) in the
/// environment. Every part is optional; a part that is not well formed is not shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HelpdeskContact {
    /// Who answers and when, in Bahasa Indonesia ("Helpdesk BKPSDM Kab. Contoh, Senin–Jumat
    /// 08.00–16.00 WIB").
    pub text: String,
    /// The same in English; empty: `text` is shown on English pages too.
    pub text_en: String,
    /// A web page (ticket form, contact page): `https://` or `http://` only.
    pub url: String,
    /// A telephone number as people dial it (`+62 21 1234 5678`, `(021) 1234-5678`).
    pub phone: String,
    /// A WhatsApp number in international form (`+62 812 3456 7890`).
    pub whatsapp: String,
}

impl HelpdeskContact {
    /// The text for `english` pages (or the Indonesian one when none is given).
    pub fn text_for(&self, english: bool) -> &str {
        if english && !self.text_en.trim().is_empty() {
            self.text_en.trim()
        } else {
            self.text.trim()
        }
    }

    /// The web page's address, when it is an http(s) one (never `javascript:` and the like).
    pub fn url_href(&self) -> Option<&str> {
        let u = self.url.trim();
        let ok = (u.starts_with("https://") || u.starts_with("http://"))
            && !u
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"');
        ok.then_some(u)
    }

    /// `tel:` with the digits (and a leading `+`) of the phone number, when it is one.
    pub fn phone_href(&self) -> Option<String> {
        dial_digits(&self.phone).map(|d| format!("tel:{d}"))
    }

    /// The `https://wa.me/…` chat link of the WhatsApp number (digits only, country code
    /// first: a leading `0` is Indonesia's trunk prefix and becomes `62`).
    pub fn whatsapp_href(&self) -> Option<String> {
        let d = dial_digits(&self.whatsapp)?;
        let d = d.trim_start_matches('+');
        let d = match d.strip_prefix('0') {
            Some(rest) => format!("62{rest}"),
            None => d.to_string(),
        };
        Some(format!("https://wa.me/{d}"))
    }

    /// Whether anything is configured at all.
    pub fn is_set(&self) -> bool {
        !self.text.trim().is_empty()
            || self.url_href().is_some()
            || self.phone_href().is_some()
            || self.whatsapp_href().is_some()
    }
}

/// The digits of a number as people write it (spaces, dashes, dots, brackets allowed), with
/// a leading `+` kept; `None` for anything else, or fewer than 5 / more than 16 digits.
fn dial_digits(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()+".contains(c))
        || s.chars().skip(1).any(|c| c == '+')
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if !(5..=16).contains(&digits.len()) {
        return None;
    }
    Some(if s.starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct LockoutSettings {
    /// Consecutive failures (password or OTP) before a temporary lock.
    pub threshold: u32,
    /// The first lock; each further lock doubles it, up to `max_lock_secs`.
    pub base_lock_secs: i64,
    pub max_lock_secs: i64,
    /// Failures for a NIP after which the login form asks for a captcha.
    pub captcha_after: u32,
    /// Failures from one IP (an IPv6 /64) within one `base_lock_secs` window after which
    /// everyone there is asked for a captcha: a flood guard, set far above what an office
    /// behind one NAT fails in a busy morning.
    pub captcha_after_ip: u32,
    /// Threshold for a browser that completed a full login before (its own counter).
    pub known_browser_threshold: u32,
    /// How long the known-browser cookie lives.
    pub known_browser_ttl_secs: i64,
}

impl Default for LockoutSettings {
    fn default() -> Self {
        Self {
            threshold: 5,
            base_lock_secs: 15 * 60,
            max_lock_secs: 24 * 3600,
            captcha_after: 3,
            captcha_after_ip: 30,
            known_browser_threshold: 3,
            known_browser_ttl_secs: 180 * 24 * 3600,
        }
    }
}

/// Per-IP token bucket on the endpoints that take secrets.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// One request is replenished every this many milliseconds.
    pub replenish_ms: u64,
    pub burst: u32,
    /// `/token` gets its own, larger bucket: a downstream service exchanges codes for all
    /// its users from one IP, so the browser-sized limit would throttle whole services.
    pub token_replenish_ms: u64,
    pub token_burst: u32,
    /// GETs of the anonymous pages that make a captcha (`/reset`, `/login`, the captcha
    /// image): their own bucket, as generous as the POST one.
    pub page_replenish_ms: u64,
    pub page_burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            replenish_ms: 500,
            burst: 30,
            token_replenish_ms: 1,
            token_burst: 2000,
            page_replenish_ms: 500,
            page_burst: 30,
        }
    }
}

/// OWASP's argon2id baseline: m = 19 MiB, t = 2, p = 1.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct Argon2Params {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            m_cost_kib: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080".into(),
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/gerbang.db".into(),
            redis_url: None,
            redis_prefix: "gerbang:".into(),
            keys_dir: "keys".into(),
            data_dir: "data".into(),
            access_token_ttl_secs: 300,
            id_token_ttl_secs: 300,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            public_refresh_token_ttl_secs: 24 * 3600,
            auth_code_ttl_secs: 60,
            sso_session_ttl_secs: 10 * 3600,
            key_publish_delay_secs: 600,
            argon2: Argon2Params::default(),
            hash_workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            max_body_bytes: 64 * 1024,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            database_max_connections: 16,
            database_acquire_timeout_secs: 5,
            smtp_url: None,
            mail_from: "Gerbang ASN <no-reply@gerbang.localhost>".into(),
            reset_code_ttl_secs: 15 * 60,
            reset_code_attempts: 5,
            captcha_ttl_secs: 5 * 60,
            memory_cache_max_entries: 1_000_000,
            lockout: LockoutSettings::default(),
            rate_limit: RateLimitSettings::default(),
            trusted_proxies: Vec::new(),
            totp_issuer: "Gerbang ASN".into(),
            log_format: LogFormat::Text,
            clients_file: None,
            agency_name: String::new(),
            agency_logo: None,
            helpdesk_contact: HelpdeskContact::default(),
            client_cache_secs: 1,
            verified_token_cache: 50_000,
            userinfo_cache_secs: 2,
            introspection_any_client: false,
            metrics_listen: None,
            audit_sink: "log".into(),
            audit_retention_days: 400,
            outbox_retention_days: 7,
            janitor_interval_secs: 300,
            janitor_batch_size: 2000,
            janitor_pause_ms: 50,
            breached_password_api: None,
            breached_password_timeout_ms: 2000,
        }
    }
}

impl Config {
    /// Loads defaults, then the TOML file (the given one must exist; `gerbang.toml` in the
    /// working directory is read when present), then `GERBANG_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(Box::new(figment::Error::from(format!(
                        "config file {} does not exist",
                        path.display()
                    ))));
                }
                fig = fig.merge(Toml::file(path));
            }
            None => fig = fig.merge(Toml::file("gerbang.toml")),
        }
        // `__` nests (GERBANG_ARGON2__M_COST_KIB), single `_` stays inside a key name.
        fig.merge(Env::prefixed("GERBANG_").split("__"))
            .extract()
            .map_err(Box::new)
    }

    /// Settings for tests: production argon2 parameters (tests hash like production).
    pub fn for_test(issuer: &str, database_url: &str, dir: &Path) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_string(),
            listen: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            keys_dir: dir.join("keys"),
            data_dir: dir.join("data"),
            key_publish_delay_secs: 0,
            database_max_connections: 4,
            // A test machine running the whole suite at once can be slower than any outage.
            database_acquire_timeout_secs: 30,
            // Tests drive many requests from one IP; the limiter has its own test.
            rate_limit: RateLimitSettings {
                enabled: false,
                ..RateLimitSettings::default()
            },
            ..Self::default()
        }
    }

    pub fn issuer(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }

    /// Cookies are `Secure` unless the issuer is plain http on loopback (local development).
    pub fn cookies_secure(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpdesk_contact_links_only_what_is_well_formed() {
        let c = HelpdeskContact {
            text: "Helpdesk BKPSDM".into(),
            text_en: String::new(),
            url: "https://helpdesk.example.go.id/tiket".into(),
            phone: "(021) 1234-5678".into(),
            whatsapp: "0812 3456 7890".into(),
        };
        assert_eq!(c.text_for(true), "Helpdesk BKPSDM");
        assert_eq!(c.url_href(), Some("https://helpdesk.example.go.id/tiket"));
        assert_eq!(c.phone_href().as_deref(), Some("tel:02112345678"));
        assert_eq!(
            c.whatsapp_href().as_deref(),
            Some("https://wa.me/6281234567890")
        );
        let plus = HelpdeskContact {
            whatsapp: "+62 812-3456-7890".into(),
            phone: "+62 21 555 0100".into(),
            ..HelpdeskContact::default()
        };
        assert_eq!(
            plus.whatsapp_href().as_deref(),
            Some("https://wa.me/6281234567890")
        );
        assert_eq!(plus.phone_href().as_deref(), Some("tel:+62215550100"));
        let bad = HelpdeskContact {
            url: "javascript:alert(1)".into(),
            phone: "call me".into(),
            whatsapp: "1+2".into(),
            ..HelpdeskContact::default()
        };
        assert_eq!(bad.url_href(), None);
        assert_eq!(bad.phone_href(), None);
        assert_eq!(bad.whatsapp_href(), None);
        assert!(!bad.is_set());
        assert!(!HelpdeskContact::default().is_set());
    }

    #[test]
    fn helpdesk_contact_is_read_under_its_name() {
        let toml =
            "[helpdesk_contact]\ntext = \"Helpdesk BKPSDM\"\nwhatsapp = \"0812 3456 7890\"\n";
        let c: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(toml))
            .extract()
            .unwrap();
        assert_eq!(c.helpdesk_contact.text, "Helpdesk BKPSDM");
        assert_eq!(c.helpdesk_contact.whatsapp, "0812 3456 7890");
        assert_eq!(c.helpdesk_contact.url, "");
    }
}
