//! Breached passwords refused at activation, reset and change: against a Pwned Passwords
//! range API (a real HTTP server on 127.0.0.1 answering `SUFFIX:COUNT` lines, padding
//! included, or failing) and against an offline corpus loaded by the real CLI binary. A
//! corpus that cannot answer never blocks a reset.

use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as Status};
use axum::response::{IntoResponse, Response};
use gerbang::breach::UNAVAILABLE_DETAIL;
use gerbang::domain::audit::{AuditKind, StoredKind};
use gerbang::domain::breach::Sha1Hex;

use crate::common::*;

scenarios!(
    a_breached_password_is_refused_at_activation_and_reset_with_its_reason,
    a_breached_password_is_refused_at_the_account_change_offline_first,
    a_corpus_outage_never_blocks_a_reset,
);

const BIN: &str = env!("CARGO_BIN_EXE_gerbang");

/// Meets every rule of the policy; only the corpus refuses it.
const BREACHED: &str = "Kunci-Bocor#2026";
/// In the range answers only as a padding line (count 0): not breached.
const PADDED: &str = "Kunci-Padding#2026";
const FRESH: &str = "Kunci-Baru#2026x";

const WORDS_ID: &str = "daftar kata sandi yang bocor dari situs lain";
const WORDS_EN: &str = "list of passwords leaked from other sites";

const ANSWER: u8 = 0;
const FAIL: u8 = 1;
const HANG: u8 = 2;
const GARBAGE: u8 = 3;
/// 200 with an empty body: a proxy's or an empty mirror's answer.
const EMPTY: u8 = 4;

/// A Pwned Passwords range API: `GET /range/{prefix}` answers the suffixes of the hashes
/// it knows under that prefix, padding lines (count 0) beside them, CRLF like HIBP.
#[derive(Clone)]
struct RangeApi {
    base: String,
    mode: Arc<AtomicU8>,
    /// Each request: the path's last part, and whether it asked for padding.
    asked: Arc<Mutex<Vec<(String, bool)>>>,
}

#[derive(Clone)]
struct Known {
    mode: Arc<AtomicU8>,
    asked: Arc<Mutex<Vec<(String, bool)>>>,
    breached: Vec<Sha1Hex>,
    padded: Vec<Sha1Hex>,
}

async fn range(State(k): State<Known>, Path(prefix): Path<String>, h: HeaderMap) -> Response {
    let padding = h.get("add-padding").is_some_and(|v| v == "true");
    k.asked.lock().unwrap().push((prefix.clone(), padding));
    match k.mode.load(Ordering::SeqCst) {
        FAIL => return (Status::INTERNAL_SERVER_ERROR, "down").into_response(),
        HANG => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return "".into_response();
        }
        GARBAGE => return "<html><body>Masuk ke Wi-Fi kantor</body></html>".into_response(),
        EMPTY => return "".into_response(),
        _ => {}
    }
    let mut lines = vec![
        "0018A45C4D1DEF81644B54AB7F969B88D65:1".to_string(),
        "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2".to_string(),
    ];
    for h in k.breached.iter().filter(|h| h.prefix() == prefix) {
        lines.push(format!("{}:31337", h.suffix()));
    }
    for h in k.padded.iter().filter(|h| h.prefix() == prefix) {
        lines.push(format!("{}:0", h.suffix()));
    }
    lines.push("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0".to_string());
    (lines.join("\r\n") + "\r\n").into_response()
}

impl RangeApi {
    async fn start(breached: &[&str], padded: &[&str]) -> Self {
        let known = Known {
            mode: Arc::new(AtomicU8::new(ANSWER)),
            asked: Arc::default(),
            breached: breached.iter().map(|p| Sha1Hex::of(p)).collect(),
            padded: padded.iter().map(|p| Sha1Hex::of(p)).collect(),
        };
        let app = axum::Router::new()
            .route("/range/{prefix}", axum::routing::get(range))
            .with_state(known.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        RangeApi {
            base,
            mode: known.mode,
            asked: known.asked,
        }
    }

    fn api(&self) -> String {
        format!("{}/range/{{prefix}}", self.base)
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn asked(&self) -> Vec<(String, bool)> {
        self.asked.lock().unwrap().clone()
    }
}

/// Loads `passwords` (as `HASH:COUNT` lines, ordered by hash like HIBP's download) into
/// `data_dir` through the real binary; returns its output.
fn load_breached(data_dir: &std::path::Path, lines: &[String]) -> std::process::Output {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("pwned-passwords-sha1-ordered-by-hash.txt");
    std::fs::write(&file, lines.join("\r\n") + "\r\n").unwrap();
    Command::new(BIN)
        .args(["passwords", "load-breached"])
        .arg(&file)
        .env("GERBANG_DATA_DIR", data_dir)
        .current_dir(work.path())
        .output()
        .unwrap()
}

fn corpus_lines(passwords: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = passwords
        .iter()
        .map(|p| {
            let h = Sha1Hex::of(p);
            format!("{}{}:{}", h.prefix(), h.suffix(), 1000)
        })
        .collect();
    lines.sort();
    lines
}

fn email_of(nip: &str) -> String {
    format!("siti.{nip}@bkn.go.id")
}

async fn verifies(server: &TestServer, nip: &str, pw: &str) -> bool {
    let u = server.user(nip).await;
    server.state.hasher.verify(pw.into(), u.password_hash).await
}

/// The details of the person's newest events of `kind`.
async fn details(server: &TestServer, user_id: &str, kind: AuditKind) -> Vec<Option<String>> {
    server
        .state
        .store
        .recent_audit(user_id, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, k, _, _)| *k == StoredKind::Known(kind))
        .map(|(_, _, _, d)| d)
        .collect()
}

/// Asks for a code for `nip` and returns it.
async fn code_for(server: &TestServer, smtp: &SmtpSink, b: &reqwest::Client, nip: &str) -> String {
    let (status, _) = reset_request_code(server, b, nip, &email_of(nip)).await;
    assert_eq!(status, 200);
    mailed_code(smtp.wait_for(&email_of(nip), 1).await.last().unwrap())
}

async fn a_breached_password_is_refused_at_activation_and_reset_with_its_reason(backend: Backend) {
    let api = RangeApi::start(&[BREACHED], &[PADDED]).await;
    let url = api.api();
    let (server, smtp) =
        TestServer::start_with_mail_and(backend, |c| c.breached_password_api = Some(url)).await;

    // Activation: a person the import added, with no password yet.
    let (nip, id) = server.import_user().await;
    let b = browser();
    let code = code_for(&server, &smtp, &b, &nip).await;
    let res = reset_confirm(&server, &b, &nip, &code, BREACHED, BREACHED).await;
    assert_eq!(res.status(), 400, "a breached password is refused");
    let page = res.text().await.unwrap();
    let banner = page
        .split("id=\"reset-rules\"")
        .nth(1)
        .expect("the rules banner");
    assert!(banner.contains(WORDS_ID), "the words say why: {banner}");
    // The form is kept: the NIP and the (still good) code are on it, no password.
    assert!(
        page.contains(&format!("name=\"code\" value=\"{code}\"")),
        "{page}"
    );
    assert!(page.contains(&format!("name=\"nip\" value=\"{nip}\"")));
    assert!(!page.contains(BREACHED));
    assert!(
        server.user(&nip).await.password_hash.is_none(),
        "nothing stored"
    );
    // Only the five-digit prefix left the server, with padding asked for.
    let prefix = Sha1Hex::of(BREACHED).prefix().to_string();
    assert_eq!(api.asked(), vec![(prefix, true)]);
    // A suffix that is only padding (count 0) is not a breach: activation goes through.
    let res = reset_confirm(&server, &b, &nip, &code, PADDED, PADDED).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert!(verifies(&server, &nip, PADDED).await);
    assert_eq!(
        details(&server, &id, AuditKind::AccountActivated).await,
        vec![None],
        "a checked password says nothing more in the audit"
    );

    // Reset of an active person, in English.
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let code = code_for(&server, &smtp, &b, &nip).await;
    get_text(&b, server.url("/reset?lang=en")).await;
    let res = reset_confirm(&server, &b, &nip, &code, BREACHED, BREACHED).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains(WORDS_EN), "{page}");
    assert!(verifies(&server, &nip, PASSWORD).await, "nothing changed");
    let res = reset_confirm(&server, &b, &nip, &code, FRESH, FRESH).await;
    assert_eq!(
        res.status(),
        303,
        "the same code then sets a clean password"
    );
    assert!(verifies(&server, &nip, FRESH).await);
}

async fn a_breached_password_is_refused_at_the_account_change_offline_first(backend: Backend) {
    // The range API knows nothing: a refusal can only come from the offline corpus.
    let api = RangeApi::start(&[], &[]).await;
    let url = api.api();
    let (server, smtp) =
        TestServer::start_with_mail_and(backend, |c| c.breached_password_api = Some(url)).await;
    // Loaded while the server runs: it is used at once.
    let mut others: Vec<String> = (0..200).map(|i| format!("bocor-{i}")).collect();
    others.push(BREACHED.into());
    let refs: Vec<&str> = others.iter().map(String::as_str).collect();
    let out = load_breached(&server.dir.path().join("data"), &corpus_lines(&refs));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("201 hashes"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let (nip, id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let page = b.get("/account").await.body;
    let change = |pw: &'static str, page: String| {
        let (b, server, nip) = (b.clone(), &server, nip.clone());
        async move {
            b.post(server.url("/account/password"))
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token").as_str()),
                    ("current_password", PASSWORD),
                    ("otp", &server.otp(&nip)),
                    ("password", pw),
                    ("password_confirm", pw),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = change(BREACHED, page).await;
    assert_eq!(res.status(), 400, "a breached password is refused");
    let page = res.text().await.unwrap();
    assert!(page.contains(WORDS_ID), "{page}");
    assert!(api.asked().is_empty(), "the offline corpus answered first");
    assert!(verifies(&server, &nip, PASSWORD).await, "nothing changed");
    assert!(
        details(&server, &id, AuditKind::PasswordChanged)
            .await
            .is_empty()
    );
    assert_eq!(b.get("/account").await.status, 200, "the session is kept");

    let res = change(FRESH, page).await;
    assert_eq!(res.status(), 303, "a clean password is taken");
    assert!(verifies(&server, &nip, FRESH).await);
    assert!(smtp.wait_for(&email_of(&nip), 1).await[0].contains("telah diubah"));
}

async fn a_corpus_outage_never_blocks_a_reset(backend: Backend) {
    let api = RangeApi::start(&[BREACHED], &[]).await;
    let url = api.api();
    let (server, smtp) = TestServer::start_with_mail_and(backend, |c| {
        c.breached_password_api = Some(url);
        c.breached_password_timeout_ms = 500;
    })
    .await;
    let http = rp_http();
    let scrape = || get_text(&http, server.url("/metrics"));
    let unavailable = |text: String| -> u64 {
        text.lines()
            .find(|l| l.starts_with("gerbang_breach_checks_total{outcome=\"unavailable\"}"))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    let before = unavailable(scrape().await);
    // The range API answers 500, hangs past the timeout, answers a page that is no range
    // answer, answers nothing; then the offline corpus is unreadable while the API is down.
    for (mode, broken_offline) in [
        (FAIL, false),
        (HANG, false),
        (GARBAGE, false),
        (EMPTY, false),
        (FAIL, true),
    ] {
        api.set(mode);
        if broken_offline {
            let data = server.dir.path().join("data");
            let out = load_breached(&data, &corpus_lines(&[BREACHED]));
            assert!(out.status.success());
            let name = Sha1Hex::of(BREACHED).prefix().to_string();
            let file = data.join("breached").join(&name[..2]).join(&name);
            std::fs::remove_file(&file).unwrap();
            std::fs::create_dir(&file).unwrap();
        }
        let (nip, id) = server.add_user(Some(PASSWORD)).await;
        let b = browser();
        let code = code_for(&server, &smtp, &b, &nip).await;
        let started = Instant::now();
        let res = reset_confirm(&server, &b, &nip, &code, BREACHED, BREACHED).await;
        assert_eq!(res.status(), 303, "mode {mode}: the reset goes through");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "mode {mode}: a hanging corpus waits out its timeout only"
        );
        assert!(verifies(&server, &nip, BREACHED).await);
        assert_eq!(
            details(&server, &id, AuditKind::PasswordReset).await,
            vec![Some(UNAVAILABLE_DETAIL.to_string())],
            "mode {mode}: the audit says the password was not checked"
        );
    }
    assert!(
        unavailable(scrape().await) >= before + 5,
        "each outage is counted"
    );
    // Back up, the API refuses again (the broken offline file still falls back to it).
    api.set(ANSWER);
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let code = code_for(&server, &smtp, &b, &nip).await;
    let res = reset_confirm(&server, &b, &nip, &code, BREACHED, BREACHED).await;
    assert_eq!(res.status(), 400);
    assert!(verifies(&server, &nip, PASSWORD).await);
}

/// A file in another format (the NTLM corpus) is refused by the CLI with exit code 2,
/// saying which line, and the corpus already loaded stays as it was; `user add` judges an
/// initial password against it like the pages do.
#[test]
fn load_breached_refuses_another_format_and_keeps_the_corpus() {
    let data = tempfile::tempdir().unwrap();
    let out = load_breached(data.path(), &corpus_lines(&[BREACHED]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = corpus_lines(&["lain"]);
    lines.push("8846F7EAEE8FB117AD06BDD830B7586C:2".into());
    let out = load_breached(data.path(), &lines);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("NTLM"), "{err}");
    let dir = data.path().join("breached");
    assert!(matches!(
        gerbang::breach::offline::lookup(&dir, &Sha1Hex::of(BREACHED)),
        gerbang::breach::offline::Lookup::Found(true)
    ));
    assert!(matches!(
        gerbang::breach::offline::lookup(&dir, &Sha1Hex::of("lain")),
        gerbang::breach::offline::Lookup::Found(false)
    ));

    let add = |password: &str| {
        let mut child = Command::new(BIN)
            .args(["user", "add", "--nip", &TestServer::new_nip()])
            .args(["--name", "Siti Rahayu", "--email", "siti@bkn.go.id"])
            .arg("--password-stdin")
            .env("GERBANG_DATA_DIR", data.path())
            .env(
                "GERBANG_DATABASE_URL",
                format!("sqlite://{}/gerbang.db", data.path().display()),
            )
            .env("GERBANG_KEYS_DIR", data.path().join("keys"))
            .env("GERBANG_ARGON2__M_COST_KIB", "8192")
            .current_dir(data.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{password}").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let out = add(BREACHED);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(WORDS_EN), "{err}");
    let out = add(FRESH);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
