//! Breached passwords refused: a new password (reset, activation, change) is looked up in
//! Have I Been Pwned's Pwned Passwords corpus, offline (`gerbang passwords load-breached`,
//! under `data_dir/breached/`) first, else through a range API (`breached_password_api`).
//! Only the first five hex digits of the password's SHA-1 ever leave the server
//! (k-anonymity), and the request asks for padded answers so their size says nothing.
//!
//! A corpus that cannot answer (the API down, slow, answering garbage; the offline files
//! unreadable) never blocks a reset: the password is judged by the other rules alone, the
//! outage is logged, counted (`gerbang_breach_checks_total{outcome="unavailable"}`) and
//! written into the password event's audit detail. A person locked out of their account
//! because a third party's service is down would be a worse outcome than one password
//! that was not checked.

pub mod offline;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Config;
use crate::domain::breach::{Sha1Hex, range_count};
use crate::domain::password_policy::{self, Rule};

/// The audit detail of a password set while the corpus could not answer (stored: never
/// changes once written).
pub const UNAVAILABLE_DETAIL: &str = "breach check unavailable";

/// A range answer is ~30 KB (padded: ~40 KB); anything far larger is not one.
const MAX_ANSWER: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Breached,
    Clean,
    /// Neither an offline corpus nor a range API is configured.
    NotChecked,
    /// A corpus is configured but could not answer.
    Unavailable,
}

/// Where `gerbang passwords load-breached` puts the offline corpus, and lookups read it.
pub fn offline_dir(settings: &Config) -> PathBuf {
    settings.data_dir.join("breached")
}

/// Loads a `HASH:COUNT` file (`-`: standard input) as the offline corpus (blocking).
pub fn load_file(
    settings: &Config,
    file: &std::path::Path,
) -> Result<offline::Loaded, offline::LoadError> {
    let dir = offline_dir(settings);
    if file.as_os_str() == "-" {
        offline::load(std::io::stdin().lock(), &dir)
    } else {
        offline::load(std::fs::File::open(file)?, &dir)
    }
}

/// The corpus a new password is checked against.
pub struct BreachCheck {
    dir: PathBuf,
    api: Option<String>,
    http: reqwest::Client,
    timeout: Duration,
}

/// A new password judged: the broken rules (`Rule::Breached` among them), and whether the
/// breach corpus failed to answer.
pub struct Judged {
    pub rules: Vec<Rule>,
    pub corpus_unavailable: bool,
}

impl Judged {
    /// What the password event's audit row says about the check (`None`: nothing to say).
    pub fn audit_detail(&self) -> Option<&'static str> {
        self.corpus_unavailable.then_some(UNAVAILABLE_DETAIL)
    }
}

impl BreachCheck {
    /// Refuses a range API address that is not http(s) or names no `{prefix}`: a typo
    /// would otherwise turn every check into an outage, and every password into a pass.
    pub fn new(settings: &Config) -> Result<Self, String> {
        let api = settings
            .breached_password_api
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if let Some(a) = api
            && (!(a.starts_with("https://") || a.starts_with("http://"))
                || !a.contains("{prefix}")
                || url::Url::parse(&a.replace("{prefix}", "00000")).is_err())
        {
            return Err(format!(
                "breached_password_api must be an http(s) address with {{prefix}} in it, e.g. https://api.pwnedpasswords.com/range/{{prefix}} (got {a:?})"
            ));
        }
        let timeout = Duration::from_millis(settings.breached_password_timeout_ms.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gerbang/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            dir: offline_dir(settings),
            api: api.map(str::to_string),
            http,
            timeout,
        })
    }

    /// The policy's rules and the breach corpus, on a new password. The corpus is asked
    /// unless the password is already out of bounds (empty or over the maximum length).
    pub async fn judge(&self, password: &str, nip: &str, name: &str) -> Judged {
        let mut rules = password_policy::check(password, nip, name);
        let mut corpus_unavailable = false;
        if !password.is_empty() && !rules.contains(&Rule::MaxLength) {
            match self.check(password).await {
                Verdict::Breached => rules.push(Rule::Breached),
                Verdict::Unavailable => corpus_unavailable = true,
                Verdict::Clean | Verdict::NotChecked => {}
            }
        }
        Judged {
            rules,
            corpus_unavailable,
        }
    }

    /// Whether `password` is in the corpus: offline first, the range API when no offline
    /// corpus is loaded (or it cannot be read).
    pub async fn check(&self, password: &str) -> Verdict {
        let hash = Sha1Hex::of(password);
        let verdict = self.check_hash(hash).await;
        let outcome = match verdict {
            Verdict::Breached => "breached",
            Verdict::Clean => "clean",
            Verdict::Unavailable => "unavailable",
            Verdict::NotChecked => return verdict,
        };
        metrics::counter!("gerbang_breach_checks_total", "outcome" => outcome).increment(1);
        verdict
    }

    async fn check_hash(&self, hash: Sha1Hex) -> Verdict {
        let dir = self.dir.clone();
        let local = tokio::time::timeout(
            self.timeout,
            tokio::task::spawn_blocking(move || offline::lookup(&dir, &hash)),
        )
        .await;
        let offline_failed = match local {
            Ok(Ok(offline::Lookup::Found(true))) => return Verdict::Breached,
            Ok(Ok(offline::Lookup::Found(false))) => return Verdict::Clean,
            Ok(Ok(offline::Lookup::Absent)) => false,
            Ok(Ok(offline::Lookup::Failed(e))) => {
                tracing::warn!(error = %e, dir = %self.dir.display(),
                    "breach corpus unreadable: the password is not checked against it");
                true
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "breach corpus lookup failed");
                true
            }
            Err(_) => {
                tracing::warn!(dir = %self.dir.display(), "breach corpus lookup timed out");
                true
            }
        };
        let Some(api) = &self.api else {
            return if offline_failed {
                Verdict::Unavailable
            } else {
                Verdict::NotChecked
            };
        };
        match self.ask(api, &hash).await {
            Ok(true) => Verdict::Breached,
            Ok(false) => Verdict::Clean,
            Err(why) => {
                // The prefix is no secret (it is what was sent); the address may hold a key.
                tracing::warn!(prefix = hash.prefix(), error = %why,
                    "breach range API unavailable: the password is not checked against it");
                Verdict::Unavailable
            }
        }
    }

    /// Asks the range API for the hash's prefix; `Ok(seen)` or why there is no answer.
    async fn ask(&self, api: &str, hash: &Sha1Hex) -> Result<bool, String> {
        let url = api.replace("{prefix}", hash.prefix());
        let mut res = self
            .http
            .get(url)
            .header("Add-Padding", "true")
            .send()
            .await
            .map_err(|e| format!("request failed: {}", without_url(e)))?;
        if !res.status().is_success() {
            return Err(format!("answered {}", res.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| format!("answer cut off: {}", without_url(e)))?
        {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err("answer too large for a range answer".into());
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8(body).map_err(|_| "answer is not text".to_string())?;
        range_count(&body, hash.suffix())
            .map(|seen| seen > 0)
            .map_err(|bad| format!("line {} is not SUFFIX:COUNT", bad.line))
    }
}

fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_api(api: &str) -> Result<BreachCheck, String> {
        BreachCheck::new(&Config {
            breached_password_api: Some(api.into()),
            ..Config::default()
        })
    }

    #[test]
    fn a_range_api_address_must_be_http_with_a_prefix() {
        assert!(with_api("https://api.pwnedpasswords.com/range/{prefix}").is_ok());
        assert!(with_api("http://127.0.0.1:9/range/{prefix}").is_ok());
        assert!(with_api("  ").is_ok(), "blank is unset");
        for bad in [
            "https://api.pwnedpasswords.com/range/",
            "ftp://mirror/{prefix}",
            "api.pwnedpasswords.com/range/{prefix}",
            "https://exa mple/{prefix}",
        ] {
            let e = with_api(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(e.contains("breached_password_api"), "{e}");
        }
    }

    #[tokio::test]
    async fn nothing_configured_checks_nothing_and_the_policy_still_applies() {
        let tmp = tempfile::tempdir().unwrap();
        let check = BreachCheck::new(&Config {
            data_dir: tmp.path().join("data"),
            ..Config::default()
        })
        .unwrap();
        assert_eq!(check.check("password").await, Verdict::NotChecked);
        let j = check.judge("pendek", "", "").await;
        assert!(j.rules.contains(&Rule::MinLength) && !j.corpus_unavailable);
        assert_eq!(j.audit_detail(), None);
    }
}
