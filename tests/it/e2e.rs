//! The pages in a real browser: headless Chromium driven by Playwright
//! (`tests/interop/journey.mjs`), at desktop and 360-px phone sizes, in Bahasa Indonesia and
//! English. A newly imported person activates (reset + captcha + e-mailed code + password),
//! enrols TOTP, reaches a demo service, opens a second one without a prompt and signs out
//! everywhere; a helpdesk officer resets someone's MFA. Screenshots: `target/e2e/<run>/`.
//!
//! The journey reads captcha answers, e-mailed codes and staff OTPs from a helper endpoint
//! of this test (the server's own cache, the real SMTP sink): the server never exposes them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::common::tools::{interop_dir, ready};
use crate::common::*;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};

pub(crate) struct World {
    pub server: TestServer,
    pub mail: SmtpSink,
}

pub(crate) type Shared = Arc<World>;

async fn captcha(State(w): State<Shared>, UrlPath(id): UrlPath<String>) -> (StatusCode, String) {
    match captcha_answer_for(&w.server, &id).await {
        Some(answer) => (StatusCode::OK, answer),
        None => (StatusCode::NOT_FOUND, String::new()),
    }
}

async fn mail(State(w): State<Shared>, UrlPath(to): UrlPath<String>) -> (StatusCode, String) {
    let last = w
        .mail
        .all()
        .into_iter()
        .rfind(|m| m.contains(&to) && (m.contains("Kode Anda: ") || m.contains("Your code: ")));
    match last {
        Some(m) => (StatusCode::OK, mailed_code(&m)),
        None => (StatusCode::NOT_FOUND, String::new()),
    }
}

async fn otp(State(w): State<Shared>, UrlPath(nip): UrlPath<String>) -> String {
    w.server.otp(&nip)
}

/// The test-side endpoint's routes every browser script may ask: captcha answers, mailed
/// codes and OTPs. A scenario adds its own routes to these before serving them.
pub(crate) fn helper_routes() -> axum::Router<Shared> {
    axum::Router::new()
        .route("/captcha/{id}", axum::routing::get(captcha))
        .route("/mail/{to}", axum::routing::get(mail))
        .route("/otp/{nip}", axum::routing::get(otp))
}

/// Serves a helper endpoint on loopback; returns its base URL.
pub(crate) async fn serve_helper(routes: axum::Router<Shared>, world: Shared) -> String {
    let app = routes.with_state(world);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    base
}

/// Runs a browser script of `tests/interop/` with its environment; prints and returns what
/// it reported (`{steps, ms}`).
pub(crate) async fn run_script(
    file: &str,
    label: &str,
    env: &[(String, String)],
) -> serde_json::Value {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let got = crate::common::tools::script(Path::new("node"), file, &env).await;
    eprintln!("{label}: {got}");
    got
}

/// A helpdesk officer of agency 4011, where `add_user` puts everyone: their NIP.
pub(crate) async fn add_officer(server: &TestServer) -> String {
    let (staff, staff_id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    staff
}

/// The test-side endpoint with the common routes only.
pub(crate) async fn start_helper(world: Shared) -> String {
    serve_helper(helper_routes(), world).await
}

/// The two demo services (`demo.mjs`), registered as Gerbang clients.
pub(crate) async fn start_demo(server: &TestServer) -> (tokio::process::Child, Vec<String>) {
    let secret = "demo-secret-that-is-long-enough-0123456789";
    let mut child = tokio::process::Command::new("node")
        .arg(interop_dir().join("demo.mjs"))
        .env("ISSUER", &server.base)
        .env("SECRET", secret)
        .env("SERVICES", "myasn,ekinerja")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut bases = Vec::new();
    while bases.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the demo services start")
            .unwrap()
            .expect("a port line");
        let mut parts = line.split(' ').skip(1);
        let (name, port) = (parts.next().unwrap().to_string(), parts.next().unwrap());
        let base = format!("http://127.0.0.1:{port}");
        let b = base.clone();
        server
            .add_client_with(&name, |c| {
                c.name = format!("Demo {name}");
                c.secret_hash = gerbang::secrets::sha256_hex(secret);
                c.redirect_uris = vec![format!("{b}/callback")];
                c.post_logout_redirect_uris = vec![format!("{b}/signed-out")];
                c.backchannel_logout_uri = Some(format!("{b}/backchannel"));
                c.launcher_url = Some(format!("{b}/"));
            })
            .await;
        bases.push(base);
    }
    (child, bases)
}

/// Where a run's screenshots go (kept as CI artifacts): `target/e2e/<run>/`.
pub(crate) fn shots(run: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let dir = target.join("e2e").join(run);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// What every browser script (`tests/interop/lib.mjs`) reads from its environment.
pub(crate) fn script_env(
    server: &TestServer,
    helper: &str,
    lang: &str,
    viewport: &str,
    shots: &Path,
) -> Vec<(String, String)> {
    vec![
        ("GERBANG".into(), server.base.clone()),
        ("HELPER".into(), helper.into()),
        ("LANG_CODE".into(), lang.into()),
        ("VIEWPORT".into(), viewport.into()),
        ("SHOTS".into(), shots.display().to_string()),
        ("PASSWORD".into(), PASSWORD.into()),
        ("CHROMIUM".into(), crate::common::tools::chromium()),
    ]
}

async fn journey(kind: &str, lang: &str, viewport: &str) {
    if !ready("node") || !ready("chromium") {
        return;
    }
    // One run shows an agency in the header, as a BKPSDM deployment would.
    let agency = (lang == "id" && viewport == "desktop").then_some("BKPSDM Kabupaten Contoh");
    let (server, mail) = TestServer::start_with_mail_and(Backend::Sqlite, |c| {
        c.agency_name = agency.unwrap_or_default().into();
    })
    .await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    let run = format!("{kind}-{lang}-{viewport}");
    let dir = shots(&run);
    let mut env = script_env(server, &helper, lang, viewport, &dir);
    env.extend([
        ("JOURNEY".into(), kind.into()),
        ("AGENCY".into(), agency.unwrap_or_default().into()),
    ]);
    let _demo;
    let target_id;
    if kind == "user" {
        let (child, bases) = start_demo(server).await;
        _demo = Some(child);
        let (nip, id) = server.import_user().await;
        let email = server.user(&nip).await.email;
        env.extend([
            ("NIP".into(), nip),
            ("EMAIL".into(), email),
            ("DEMO1".into(), bases[0].clone()),
            ("DEMO2".into(), bases[1].clone()),
        ]);
        target_id = id;
    } else {
        _demo = None;
        let staff = add_officer(server).await;
        let (nip, id) = server.add_user(Some(PASSWORD)).await;
        env.extend([("STAFF_NIP".into(), staff), ("NIP".into(), nip)]);
        target_id = id;
    }
    let got = run_script("journey.mjs", &run, &env).await;
    let devices = server.state.store.list_totp(&target_id).await.unwrap();
    if kind == "user" {
        assert_eq!(devices.len(), 1, "the person enrolled one authenticator");
        assert!(
            server
                .state
                .store
                .find_user(&target_id)
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .is_some()
        );
        assert!(
            got["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "service-2-signed-out")
        );
    } else {
        assert!(
            devices.is_empty(),
            "the helpdesk removed the person's authenticator"
        );
    }
    assert!(dir.join("01-login.png").exists() || dir.join("01-staff-login.png").exists());
}

#[tokio::test]
async fn user_journey_id_desktop() {
    journey("user", "id", "desktop").await;
}

#[tokio::test]
async fn user_journey_en_phone() {
    journey("user", "en", "phone").await;
}

#[tokio::test]
async fn user_journey_id_phone() {
    journey("user", "id", "phone").await;
}

#[tokio::test]
async fn user_journey_en_desktop() {
    journey("user", "en", "desktop").await;
}

#[tokio::test]
async fn helpdesk_resets_mfa_id_desktop() {
    journey("helpdesk", "id", "desktop").await;
}

#[tokio::test]
async fn helpdesk_resets_mfa_en_phone() {
    journey("helpdesk", "en", "phone").await;
}
