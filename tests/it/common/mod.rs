//! The real server on 127.0.0.1:0 with a fresh database, driven over HTTP.

mod browser;
mod servers;
pub mod tools;

pub use browser::{Browser, Page};
pub use servers::{Need, OwnRedis, free_port, fresh_postgres_schema, redis_url, skip};

use std::sync::atomic::{AtomicU64, Ordering};

use gerbang::clock::Clock;
use gerbang::config::Config;
use gerbang::state::AppState;
use gerbang::store::clients::Client;
use gerbang::store::users::NewUser;
use reqwest::redirect::Policy;
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL + Redis: the scale-out configuration.
    PostgresRedis,
}

impl Backend {
    /// The servers this configuration needs beyond the test process.
    pub fn needs(self) -> &'static [Need] {
        match self {
            Backend::Sqlite => &[],
            Backend::Postgres => &[Need::Postgres],
            Backend::PostgresRedis => &[Need::Postgres, Need::Redis],
        }
    }

    /// True when this configuration cannot run here: the test says so and returns (see
    /// `skip`; in CI that is a failure instead).
    pub fn skipped(self) -> bool {
        skip(self.needs())
    }
}

/// Runs a scenario once per configuration: `scenarios!(name_of_async_fn, …)` makes
/// `sqlite::name`, `postgres::name` (in-process cache) and `postgres_redis::name`.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if crate::common::Backend::Postgres.skipped() { return; }
                   super::$name(crate::common::Backend::Postgres).await
               } )*
        }
        mod postgres_redis {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if crate::common::Backend::PostgresRedis.skipped() { return; }
                   super::$name(crate::common::Backend::PostgresRedis).await
               } )*
        }
    };
}

pub(crate) use scenarios;

/// For what never touches the cache (the CLI): `sqlite::name` and `postgres::name` only.
macro_rules! db_scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if crate::common::Backend::Postgres.skipped() { return; }
                   super::$name(crate::common::Backend::Postgres).await
               } )*
        }
    };
}

pub(crate) use db_scenarios;

pub const PASSWORD: &str = "Gerbang#Aman2026";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const POST_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

/// Every test user with a password also has this authenticator (20 bytes, as apps use).
pub const TOTP_SECRET: &[u8; 20] = b"gerbang-test-secret!";

pub struct TestServer {
    /// Last TOTP step each NIP used, so helpers never replay a code; shared with the
    /// server's `Browser`s, which sign in with the same authenticator.
    otp_steps: OtpSteps,
    pub base: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

type OtpSteps = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>>;

/// See `TestServer::otp`.
fn fresh_otp(steps: &OtpSteps, clock: &Clock, nip: &str) -> String {
    let mut used = steps.lock().unwrap();
    loop {
        let now = clock.now() as u64;
        let origin = now / 30;
        let last = used.get(nip).copied().unwrap_or(0);
        if let Some(step) = [origin, origin + 1].into_iter().find(|s| *s > last) {
            used.insert(nip.to_string(), step);
            return gerbang::domain::totp::code_at(TOTP_SECRET, step * 30);
        }
        clock.advance(30);
    }
}

static NEXT_NIP: AtomicU64 = AtomicU64::new(1);

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}/gerbang.db", dir.path().display()),
            Backend::Postgres | Backend::PostgresRedis => fresh_postgres_schema().await,
        };
        let redis_prefix = format!("t_{}:", uuid::Uuid::new_v4().simple());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = Config::for_test(&base, &database_url, dir.path());
        if let Backend::PostgresRedis = backend {
            // A fresh key prefix per test: the same isolation as the schema.
            config.redis_url = Some(redis_url());
            config.redis_prefix = redis_prefix;
        }
        tweak(&mut config);
        Self::launch(listener, config, Clock::default(), dir).await
    }

    /// A second replica of this server: the same issuer, database, Redis prefix, keys and
    /// clock (replicas are NTP-synchronised), its own port and data folder.
    pub async fn start_replica(&self) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = self.state.settings.clone();
        config.data_dir = dir.path().join("data");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::launch(listener, config, self.state.clock.clone(), dir).await
    }

    async fn launch(
        listener: TcpListener,
        config: Config,
        clock: Clock,
        dir: tempfile::TempDir,
    ) -> Self {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = gerbang::server::build_state(config, clock)
            .await
            .expect("server state builds");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = state.clone();
        tokio::spawn(async move {
            gerbang::server::run(listener, s, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            otp_steps: Default::default(),
            base,
            state,
            dir,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A fresh, plausible NIP (unique within this test process).
    pub fn new_nip() -> String {
        let n = NEXT_NIP.fetch_add(1, Ordering::Relaxed);
        format!("19850712201001{}{:03}", 1 + (n / 999) % 2, n % 999 + 1)
    }

    /// A person; with a password they also have an enrolled authenticator (`TOTP_SECRET`),
    /// like every active ASN. Without one they are as the SIASN import leaves them.
    pub async fn add_user(&self, password: Option<&str>) -> (String, String) {
        let nip = Self::new_nip();
        let hash = match password {
            Some(p) => Some(self.state.hasher.hash(p.to_string()).await.unwrap()),
            None => None,
        };
        let u = self
            .state
            .store
            .insert_user(
                &NewUser {
                    nip: nip.clone(),
                    name: "Siti Rahayu".into(),
                    email: format!("siti.{nip}@bkn.go.id"),
                    instansi_id: Some("4011".into()),
                    unit_kerja: Some("Direktorat Sistem Informasi".into()),
                    jabatan: None,
                    password_hash: hash,
                },
                self.state.clock.now(),
            )
            .await
            .unwrap();
        if password.is_some() {
            self.add_device(&u.id, "HP Pribadi", TOTP_SECRET).await;
        }
        (nip, u.id)
    }

    /// A person with a password who has not enrolled an authenticator yet.
    pub async fn add_user_without_device(&self, password: &str) -> (String, String) {
        let (nip, id) = self.add_user(None).await;
        let hash = self.state.hasher.hash(password.to_string()).await.unwrap();
        let event = gerbang::domain::audit::AuditEvent::new(
            gerbang::domain::audit::AuditKind::PasswordReset,
        );
        let notice = gerbang::store::outbox::Mail {
            to: "noreply@bkn.go.id".into(),
            subject: "-".into(),
            body: "-".into(),
        };
        self.state
            .store
            .reset_password(
                &id,
                &format!("siti.{nip}@bkn.go.id"),
                &hash,
                &event,
                &notice,
                self.state.clock.now(),
            )
            .await
            .unwrap();
        (nip, id)
    }

    pub async fn add_device(&self, user_id: &str, name: &str, secret: &[u8]) {
        let sealed = self.state.keys().seal(secret, user_id);
        let event = gerbang::domain::audit::AuditEvent::new(
            gerbang::domain::audit::AuditKind::MfaDeviceAdded,
        );
        let d = gerbang::store::mfa::NewDevice {
            user_id,
            device_name: name,
            secret_enc: &sealed,
            recovery_hashes: &[],
            event: &event,
            notice: None,
            first_only: false,
        };
        self.state
            .store
            .add_totp(&d, self.state.clock.now())
            .await
            .unwrap();
    }

    /// A current TOTP code for `nip` that no earlier helper call used: the current step or
    /// the next, moving the clock on by a step when both are spent. Never the previous
    /// step: on a loaded machine the step can roll over before the server checks the code,
    /// and a code one step old would then be two steps old (outside the window).
    pub fn otp(&self, nip: &str) -> String {
        fresh_otp(&self.otp_steps, &self.state.clock, nip)
    }

    /// Registers a client through the same code path as `gerbang client add`.
    pub async fn add_client(&self, id: &str, alg: &str, grants: &[&str]) -> String {
        let secret = gerbang::admin::client_add(
            &self.state.settings,
            gerbang::admin::ClientAdd {
                id: id.into(),
                name: format!("Layanan {id}"),
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![POST_LOGOUT.into()],
                first_party: true,
                secret: None,
                grant_types: grants.iter().map(|g| g.to_string()).collect(),
                id_token_alg: alg.into(),
                backchannel_logout_uri: None,
                frontchannel_logout_uri: None,
                allowed_roles: Vec::new(),
                allowed_scopes: Vec::new(),
                launcher_url: None,
                public: false,
                web_origins: Vec::new(),
                allow_offline_access: false,
            },
        )
        .await
        .unwrap();
        secret.expect("a generated secret")
    }

    /// Registers a client with every field under the test's control; returns its secret.
    /// Starts from what `add_client` makes (first-party, code + refresh, test URIs).
    pub async fn add_client_with(&self, id: &str, tweak: impl FnOnce(&mut Client)) -> String {
        let secret = gerbang::secrets::random_token();
        let mut c = Client::new(id, &format!("Layanan {id}"));
        c.secret_hash = gerbang::secrets::sha256_hex(&secret);
        c.redirect_uris = vec![REDIRECT.into()];
        c.post_logout_redirect_uris = vec![POST_LOGOUT.into()];
        c.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
        c.first_party = true;
        tweak(&mut c);
        gerbang::registry::validate(&c).expect("a valid test client");
        self.state
            .store
            .insert_client(&c, self.state.clock.now())
            .await
            .unwrap();
        secret
    }

    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A browser: keeps cookies, does not follow redirects (tests look at each hop).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// An HTTP client for relying-party calls (openidconnect requires no redirects).
pub fn rp_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A GET's JSON body (metadata, JWKS, a test service's state).
pub async fn get_json<T: serde::de::DeserializeOwned>(
    b: &reqwest::Client,
    url: impl AsRef<str>,
) -> T {
    b.get(url.as_ref())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Part `i` of a JWT (0 header, 1 claims), decoded without checking anything.
pub fn jwt_part(jwt: &str, i: usize) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').nth(i).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The body of a GET (a page, metrics, a probe's answer).
pub async fn get_text(b: &reqwest::Client, url: impl AsRef<str>) -> String {
    b.get(url.as_ref())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .unwrap_or_else(|| panic!("expected a redirect, got {}", res.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in page:\n{html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_string()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let u = url::Url::parse(url).unwrap();
    u.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows `/authorize` to the login form and submits it; returns the response to the POST.
pub async fn login_through(
    server: &TestServer,
    b: &reqwest::Client,
    authorize_url: &str,
    nip: &str,
    password: &str,
) -> reqwest::Response {
    let res = b.get(authorize_url).send().await.unwrap();
    assert_eq!(
        res.status(),
        303,
        "authorize should send an anonymous browser to /login"
    );
    let login = location(&res);
    assert!(login.starts_with("/login?req="), "{login}");
    let page = get_text(b, server.url(&login)).await;
    b.post(server.url("/login"))
        .form(&login_fields(server, &page, nip, password).await)
        .send()
        .await
        .unwrap()
}

/// Submits `/reset` with a correct captcha; returns the response.
pub async fn reset_request_code(
    server: &TestServer,
    b: &reqwest::Client,
    nip: &str,
    email: &str,
) -> (reqwest::StatusCode, String) {
    let page = get_text(b, server.url("/reset")).await;
    let (id, answer) = captcha_answer(server, &page)
        .await
        .expect("the reset form has a captcha");
    let res = b
        .post(server.url("/reset"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("nip", nip.into()),
            ("email", email.into()),
            ("captcha_id", id),
            ("captcha", answer),
        ])
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Opens the mailed link and sets `pw` (confirmed as `again`) with `code`.
pub async fn reset_confirm(
    server: &TestServer,
    b: &reqwest::Client,
    nip: &str,
    code: &str,
    pw: &str,
    again: &str,
) -> reqwest::Response {
    let page = get_text(
        b,
        server.url(&format!("/reset/confirm?nip={nip}&code={code}")),
    )
    .await;
    assert_eq!(hidden(&page, "code"), code, "the link fills the code in");
    b.post(server.url("/reset/confirm"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("nip", nip),
            ("code", code),
            ("password", pw),
            ("password_confirm", again),
        ])
        .send()
        .await
        .unwrap()
}

/// The answer to the captcha a page shows, read from the server's real cache (the same
/// state the server uses; no hook needed in an in-process test).
pub async fn captcha_answer(server: &TestServer, page: &str) -> Option<(String, String)> {
    captcha_answer_in(&server.state, page).await
}

/// The answer to captcha `id`, while it is live.
pub async fn captcha_answer_for(server: &TestServer, id: &str) -> Option<String> {
    captcha_answer_by_id(&server.state, id).await
}

/// The id and answer of the captcha `page` shows, from `state`'s cache.
async fn captcha_answer_in(state: &AppState, page: &str) -> Option<(String, String)> {
    if !page.contains("name=\"captcha_id\"") {
        return None;
    }
    let id = hidden(page, "captcha_id");
    let answer = captcha_answer_by_id(state, &id).await?;
    Some((id, answer))
}

async fn captcha_answer_by_id(state: &AppState, id: &str) -> Option<String> {
    let key = gerbang::cache::key::<gerbang::web::captcha::CaptchaEntry>(id);
    let raw = state.cache.raw_get(&key).await.unwrap()?;
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    Some(v["answer"].as_str().unwrap().to_string())
}

/// The login form's fields for a page, answering its captcha when it shows one.
pub async fn login_fields(
    server: &TestServer,
    page: &str,
    nip: &str,
    password: &str,
) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf_token".to_string(), hidden(page, "csrf_token")),
        ("nip".to_string(), nip.to_string()),
        ("password".to_string(), password.to_string()),
        ("otp".to_string(), server.otp(nip)),
    ];
    if page.contains("name=\"req\" value=\"") {
        form.push(("req".to_string(), hidden(page, "req")));
    }
    if let Some((id, answer)) = captcha_answer(server, page).await {
        form.push(("captcha_id".to_string(), id));
        form.push(("captcha".to_string(), answer));
    }
    form
}

/// One attempt at the login form of `base` (a server's or a replica's address) from browser
/// `b`, answering a captcha when the form shows one; `otp` replaces the helper's fresh code.
/// `server` supplies the state (captcha answers, TOTP codes): with replicas, any of them.
pub async fn login_attempt(
    server: &TestServer,
    base: &str,
    b: &reqwest::Client,
    nip: &str,
    password: &str,
    otp: Option<&str>,
) -> (reqwest::StatusCode, String) {
    // The form as it comes back with the NIP on it (a captcha the NIP needs is shown).
    let page = get_text(b, format!("{base}/login?nip={nip}")).await;
    let mut form = login_fields(server, &page, nip, password).await;
    if let Some(code) = otp {
        for (k, v) in form.iter_mut() {
            if k == "otp" {
                *v = code.to_string();
            }
        }
    }
    let res = b
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// A real SMTP server on 127.0.0.1 (mailin-embedded) that keeps every message it receives.
pub struct SmtpSink {
    pub port: u16,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct Collect {
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    buf: Vec<u8>,
}

impl mailin_embedded::Handler for Collect {
    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> mailin_embedded::Response {
        self.buf.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        let msg = String::from_utf8_lossy(&self.buf).into_owned();
        self.messages.lock().unwrap().push(msg);
        mailin_embedded::response::OK
    }
}

/// The subject of the mail a sign-in from a browser new for the person sends.
pub const NEW_BROWSER_SUBJECT: &str = "New browser sign-in - Gerbang ASN";

impl SmtpSink {
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut server = mailin_embedded::Server::new(Collect {
            messages: messages.clone(),
            buf: Vec::new(),
        });
        server
            .with_name("sink.test")
            .with_ssl(mailin_embedded::SslConfig::None)
            .unwrap()
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpSink { port, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn all(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` messages to `to` have arrived, and returns them. The
    /// new-browser notice a first sign-in sends is left out (`new_browser_notices`), so a
    /// test counts the mails of what it is about.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<String> {
        self.wait_for_where(to, n, |m| !m.contains(NEW_BROWSER_SUBJECT))
            .await
    }

    /// Waits (up to 10 s) until `n` new-browser notices to `to` have arrived.
    pub async fn new_browser_notices(&self, to: &str, n: usize) -> Vec<String> {
        self.wait_for_where(to, n, |m| m.contains(NEW_BROWSER_SUBJECT))
            .await
    }

    async fn wait_for_where(&self, to: &str, n: usize, keep: fn(&str) -> bool) -> Vec<String> {
        for _ in 0..200 {
            let got: Vec<String> = self
                .all()
                .into_iter()
                .filter(|m| m.contains(&format!("To: {to}")) && keep(m))
                .collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages to {to}, got: {:#?}", self.all());
    }
}

impl TestServer {
    /// A server that sends its mail to a fresh SMTP sink.
    pub async fn start_with_mail(backend: Backend) -> (Self, SmtpSink) {
        Self::start_with_mail_and(backend, |_| {}).await
    }

    pub async fn start_with_mail_and(
        backend: Backend,
        tweak: impl FnOnce(&mut Config),
    ) -> (Self, SmtpSink) {
        let sink = SmtpSink::start();
        let url = sink.url();
        let server = Self::start_with(backend, move |c| {
            c.smtp_url = Some(url);
            tweak(c);
        })
        .await;
        (server, sink)
    }

    /// Stops serving but keeps the database and keys, for a restart on the same data.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Adds a person the way the SIASN import does: no password until activation.
    pub async fn import_user(&self) -> (String, String) {
        self.add_user(None).await
    }

    pub async fn user(&self, nip: &str) -> gerbang::store::users::User {
        self.state
            .store
            .find_user_by_nip(nip)
            .await
            .unwrap()
            .unwrap()
    }
}

/// The 8-digit code in a reset e-mail (either language).
pub fn mailed_code(msg: &str) -> String {
    let at = msg
        .find("Kode Anda: ")
        .map(|i| i + 11)
        .or_else(|| msg.find("Your code: ").map(|i| i + 11))
        .expect("a code in the mail");
    msg[at..at + 8].to_string()
}

/// Completes a forced enrolment from the page `/mfa/enrol` shows; returns the response to
/// the confirmation (the recovery-codes page for a first device) and the secret.
pub async fn enrol(
    server: &TestServer,
    b: &reqwest::Client,
    device_name: &str,
) -> (reqwest::Response, Vec<u8>) {
    let page = get_text(b, server.url("/mfa/enrol")).await;
    let marker = "data-totp-secret=\"";
    let start = page.find(marker).expect("the page shows the secret") + marker.len();
    let b32 = &page[start..start + page[start..].find('"').unwrap()];
    let secret = totp_rs::Secret::try_from_base32(b32).unwrap().to_vec();
    let code = gerbang::domain::totp::code_at(&secret, server.state.clock.now() as u64);
    let res = b
        .post(server.url("/mfa/enrol"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("otp", code.as_str()),
            ("device_name", device_name),
        ])
        .send()
        .await
        .unwrap();
    (res, secret)
}

/// The PKCE verifier of RFC 7636 Appendix B; `CHALLENGE` is its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization request for `client_id` to `REDIRECT` with PKCE (`VERIFIER`).
pub fn authorize_url(server: &TestServer, client_id: &str, scope: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "{}/authorize?client_id={client_id}&redirect_uri={}&response_type=code&scope={}&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256",
        server.base,
        enc(REDIRECT),
        enc(scope)
    )
}

/// Exchanges a code from `authorize_url` at `/token` (client_secret_basic).
pub async fn exchange_code(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    code: &str,
) -> serde_json::Value {
    exchange_code_response(server, client_id, secret, code)
        .await
        .json()
        .await
        .unwrap()
}

/// The `/token` answer to exchanging a code from `authorize_url`, status and all.
pub async fn exchange_code_response(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    code: &str,
) -> reqwest::Response {
    rp_http()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
}

/// A `client_credentials` access token for a client (client_secret_basic).
pub async fn client_token(server: &TestServer, id: &str, secret: &str) -> String {
    let res: serde_json::Value = rp_http()
        .post(server.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {res}"))
        .to_string()
}

/// The codes a recovery-codes page lists, in order.
pub fn codes_of(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

/// The `href` of the page's language switch, unescaped.
pub fn switch_href(page: &str) -> String {
    let marker = "<a class=\"lang\" href=\"";
    let start = page.find(marker).expect("a language switch") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
}
