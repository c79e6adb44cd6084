//! What operators rely on: metrics, request ids in JSON logs, and a Redis outage that is
//! reported quickly and healed without a restart.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_gerbang");

/// The value of one Prometheus sample line (`name{labels} value`), if present.
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_logins_tokens_and_latency() {
    let server = TestServer::start(Backend::Sqlite).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let http = rp_http();
    let scrape = || get_text(&http, server.url("/metrics"));
    let before = scrape().await;
    let success = r#"gerbang_logins_total{outcome="success"}"#;
    let bad = r#"gerbang_logins_total{outcome="bad_password"}"#;
    let code_grant = r#"gerbang_tokens_issued_total{grant="authorization_code"}"#;

    let (status, _) = login_attempt(
        &server,
        &server.base,
        &browser(),
        &nip,
        "Salah#Sandi2026",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let res = login_through(
        &server,
        &browser(),
        &authorize_url(&server, "dms", "openid"),
        &nip,
        PASSWORD,
    )
    .await;
    let code = query_param(&location(&res), "code").unwrap();
    assert!(exchange_code(&server, "dms", &secret, &code).await["id_token"].is_string());

    let after = scrape().await;
    // Other tests in this binary may count too: compare with the first scrape.
    let grew = |name: &str| {
        sample(&after, name).unwrap_or(0.0) - sample(&before, name).unwrap_or(0.0) >= 1.0
    };
    assert!(grew(success), "{after}");
    assert!(grew(bad), "{after}");
    assert!(grew(code_grant), "{after}");
    assert!(
        after
            .lines()
            .any(|l| l.starts_with("http_request_duration_seconds_count{")
                && l.contains(r#"route="/token""#)
                && l.contains(r#"status="200""#)),
        "latency histogram by route: {after}"
    );
    assert!(after.contains("gerbang_mail_queue_depth"), "{after}");
    assert!(
        after.contains("gerbang_backchannel_queue_depth 0"),
        "{after}"
    );
}

pub(crate) async fn wait_ready(server: &TestServer, http: &reqwest::Client, want: u16) {
    for _ in 0..100 {
        if http
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            == want
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz never answered {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_fast_and_heals_by_itself() {
    if skip(&[Need::Postgres, Need::RedisServer]) {
        return;
    }
    let mut redis = OwnRedis::start_free();
    let port = redis.port;
    let server = TestServer::start_with(Backend::Postgres, |c| {
        c.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code"])
        .await;
    // A bound on every request: an outage must be answered, not hung on.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    wait_ready(&server, &http, 200).await;
    let authorize = authorize_url(&server, "dms", "openid");
    assert_eq!(http.get(&authorize).send().await.unwrap().status(), 303);

    redis.stop();
    wait_ready(&server, &http, 503).await;
    assert_eq!(
        get_text(&http, &server.url("/readyz")).await,
        "redis unavailable"
    );
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = http.get(&authorize).send().await.unwrap();
    assert_eq!(res.status(), 503, "a page, not a hang or a 500");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("tidak tersedia sementara")
    );
    let res = http
        .get(&authorize)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("briefly unavailable"));
    let token: serde_json::Value = http
        .post(server.url("/token"))
        .basic_auth("dms", Some(&secret))
        .form(&[("grant_type", "authorization_code"), ("code", "abc")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["error"], "temporarily_unavailable", "{token}");

    // Redis back on the same port: the replica reconnects on its own.
    let _redis = OwnRedis::restart(port);
    wait_ready(&server, &http, 200).await;
    assert_eq!(http.get(&authorize).send().await.unwrap().status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("GERBANG_LISTEN", "127.0.0.1:0")
        .env("GERBANG_LOG_FORMAT", "json")
        .env("GERBANG_LOG", "info,tower_http=debug")
        // The test client plays the proxy whose request ids are kept.
        .env("GERBANG_TRUSTED_PROXIES", "[\"127.0.0.1\"]")
        .env(
            "GERBANG_DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env("GERBANG_KEYS_DIR", dir.path().join("keys"))
        .env("GERBANG_DATA_DIR", dir.path().join("data"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let v: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| loop {
        let v = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no log line for {what}"));
        if v.to_string().contains(what) {
            return v;
        }
    };
    let serving = next("gerbang is serving");
    let listen = serving["fields"]["listen"].as_str().unwrap().to_string();
    let res = rp_http()
        .get(format!("http://{listen}/healthz"))
        .header("x-request-id", "req-4011-abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "req-4011-abc", "echoed");
    let line = next("req-4011-abc");
    assert_eq!(line["span"]["request_id"], "req-4011-abc", "{line}");
    assert_eq!(line["span"]["path"], "/healthz", "{line}");
    // Without a header the server makes one up and still returns it.
    let res = rp_http()
        .get(format!("http://{listen}/healthz"))
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    // An overlong or odd id from outside is replaced by a fresh one.
    for odd in ["x".repeat(129), "a b\"}{".to_string()] {
        let res = rp_http()
            .get(format!("http://{listen}/healthz"))
            .header("x-request-id", &odd)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap();
        assert!(
            id != odd && id.len() == 36,
            "{odd:?} replaced by a UUID: {id}"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads from `stream` until the server closes it; `Err` if it is still open at `deadline`.
async fn closed_by_server(
    stream: &mut tokio::net::TcpStream,
    deadline: Duration,
) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    match tokio::time::timeout(deadline, read_all).await {
        Ok(()) => Ok(got),
        Err(_) => Err(format!(
            "still open after {deadline:?}; read {:?}",
            String::from_utf8_lossy(&got)
        )),
    }
}

/// Slowloris: connections that send nothing, half a request line, or go quiet after a
/// request are closed by the server once `header_read_timeout_secs` (1 s here) has passed,
/// instead of being held open as long as the client likes. A pure connection-layer
/// behaviour, the same on every backend: run on SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with(Backend::Sqlite, |c| {
        c.header_read_timeout_secs = 1;
        c.body_read_timeout_secs = 1;
    })
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    // Generous: the bound is 1 s; without one these stay open for minutes.
    let deadline = Duration::from_secs(20);

    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    closed_by_server(&mut idle, deadline)
        .await
        .expect("an idle connection is closed");

    let mut partial = tokio::net::TcpStream::connect(&addr).await.unwrap();
    partial.write_all(b"GET /healthz HT").await.unwrap();
    closed_by_server(&mut partial, deadline)
        .await
        .expect("half a request line is not waited for forever");

    let mut headers = tokio::net::TcpStream::connect(&addr).await.unwrap();
    headers
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    for _ in 0..3 {
        // A header line now and then does not keep the connection alive either.
        tokio::time::sleep(Duration::from_millis(400)).await;
        if headers.write_all(b"X-More: 1\r\n").await.is_err() {
            break;
        }
    }
    closed_by_server(&mut headers, deadline)
        .await
        .expect("headers trickled in are not waited for forever");

    // A complete request is answered (with the peer's address known to the handlers), and
    // the kept-alive connection is closed once it has been idle too long.
    let mut kept = tokio::net::TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = closed_by_server(&mut kept, deadline)
        .await
        .expect("an idle kept-alive connection is closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    // A body that never finishes arriving fails its request instead of holding it.
    let mut body = tokio::net::TcpStream::connect(&addr).await.unwrap();
    body.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nnip=1",
    )
    .await
    .unwrap();
    let got = closed_by_server(&mut body, deadline)
        .await
        .expect("a body that never ends is not waited for forever");
    let text = String::from_utf8_lossy(&got);
    assert!(!text.contains(" 500 "), "{text}");

    // Slow-read: a client pipelines requests and never reads the answers. Once the answers
    // cannot be written for the body bound, the server gives up the connection instead of
    // holding it (and a shutdown) for as long as the client likes.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut slow = sock.connect(addr.parse().unwrap()).await.unwrap();
    let asked = 5000;
    let requests =
        b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n".repeat(asked);
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.write_all(&requests)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got = closed_by_server(&mut slow, deadline)
        .await
        .expect("a connection whose answers are not read is closed");
    let answered = String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count();
    assert!(
        answered < asked,
        "the server stopped writing to a client that does not read ({answered} answers)"
    );

    // The server still serves normally.
    let res = rp_http().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// `/metrics` on its own address (`metrics_listen`): served there, and no longer on the
/// public listener. Listener wiring, the same on every backend: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_leave_the_public_listener() {
    let port = free_port();
    let server = TestServer::start_with(Backend::Sqlite, |c| {
        c.metrics_listen = Some(format!("127.0.0.1:{port}"));
    })
    .await;
    let http = rp_http();
    let res = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404, "not on the public listener");
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let text = get_text(&http, format!("http://127.0.0.1:{port}/metrics")).await;
    assert!(
        text.contains("http_request_duration_seconds"),
        "the metrics are served on their own address: {text}"
    );
}

/// The SQLite database (password hashes, sealed TOTP secrets, reset-code hashes) with its
/// `-wal`/`-shm`, and the outbox `.eml` files (reset codes in clear), are readable by
/// Gerbang's user only, whatever the umask. SQLite and the file outbox only.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_and_outbox_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start(Backend::Sqlite).await; // no smtp_url: the file outbox
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let page = get_text(&b, server.url("/reset")).await;
    let (id, answer) = captcha_answer(&server, &page).await.unwrap();
    let res = b
        .post(server.url("/reset"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("nip", nip.clone()),
            ("email", format!("siti.{nip}@bkn.go.id")),
            ("captcha_id", id),
            ("captcha", answer),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let outbox = server.state.settings.data_dir.join("outbox");
    let mut eml = None;
    for _ in 0..100 {
        eml = std::fs::read_dir(&outbox)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "eml"));
        if eml.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let eml = eml.expect("the reset mail is written");
    assert_eq!(mode(&eml), 0o600, "{}", eml.display());
    assert_eq!(mode(&outbox), 0o700, "{}", outbox.display());
    let db = server.dir.path().join("gerbang.db");
    for p in [
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
    ] {
        assert!(p.exists(), "{}", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

/// Resident memory of a process, in kB, from `/proc/<pid>/status`.
#[cfg(target_os = "linux")]
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// The label sets of the request-latency histogram in a scrape (one `_count` line each).
fn latency_series(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("http_request_duration_seconds_count{"))
        .collect()
}

/// An anonymous flood of made-up methods and unknown paths (the 405s and 404s any client
/// can cause) adds no metric series and no memory: every label comes from a bounded set.
/// Runs the real binary on its own, so its recorder counts only these requests (the test
/// binary's recorder is shared by every test) and its memory is its own.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_methods_and_paths_add_no_series_and_no_memory() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("GERBANG_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "GERBANG_DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env("GERBANG_KEYS_DIR", dir.path().join("keys"))
        .env("GERBANG_DATA_DIR", dir.path().join("data"))
        .env("GERBANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "gerbang serve answered /healthz");
    let send = |method: String, path: String| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            http.request(m, url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    let run = |n: usize, odd: bool| {
        futures::stream::iter(0..n)
            .map(move |i| {
                let (method, path) = match (odd, i % 4) {
                    (false, _) => ("GET".to_string(), "/healthz".to_string()),
                    // Made-up methods on known routes (405s) and on unknown paths (404s).
                    (true, 0) => (format!("ZQX{i}"), "/healthz".to_string()),
                    (true, 1) => (format!("ZQX{i}"), "/token".to_string()),
                    (true, 2) => (format!("ZQX{i}"), format!("/zq-nope-{i}")),
                    (true, _) => ("GET".to_string(), format!("/zq-nope-{i}/x")),
                };
                send(method, path)
            })
            .buffer_unordered(32)
            .collect::<Vec<u16>>()
    };
    // Warm up: connections, threads and buffers of a busy server, before the baseline.
    let warm = run(2_000, false).await;
    assert!(warm.iter().all(|s| *s == 200), "warm-up answered");
    let scrape = || get_text(&http, format!("{base}/metrics"));
    let before = scrape().await;
    let rss_before = rss_kb(child.id());

    let statuses = run(10_000, true).await;
    assert!(
        statuses.iter().all(|s| matches!(s, 400..=499)),
        "every odd request is refused, none answered 500 or dropped"
    );

    // After a scrape: rendering every series is where a flood costs most.
    let after = scrape().await;
    let rss_after = rss_kb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !after.contains("ZQX") && !after.contains("zq-nope"),
        "no client-chosen method or path becomes a label"
    );
    let (b, a) = (latency_series(&before).len(), latency_series(&after).len());
    assert!(
        a <= b + 8,
        "at most a few new series (OTHER / unmatched × a few statuses): {b} → {a}\n{after}"
    );
    assert!(
        after.len() < before.len() + 16 * 1024,
        "the scrape stays small: {} → {} bytes",
        before.len(),
        after.len()
    );
    let grew_mb = rss_after.saturating_sub(rss_before) / 1024;
    assert!(
        grew_mb < 12,
        "10,000 odd requests must not grow the process: {rss_before} kB → {rss_after} kB"
    );
}
