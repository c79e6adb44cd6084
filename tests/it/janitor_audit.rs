//! The janitor deletes what is past its retention and nothing else, one replica per job at a
//! time; every audit event also reaches the configured sink (file, syslog over UDP and TCP)
//! as one JSON line with NIPs and the request id.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use gerbang::domain::audit::{AuditEvent, AuditKind};
use gerbang::store::outbox::{GIVEN_UP, Mail};
use gerbang::store::refresh::RefreshGrant;

const DAY: i64 = 24 * 3600;
const BIN: &str = env!("CARGO_BIN_EXE_gerbang");

fn quick_janitor(c: &mut gerbang::config::Config) {
    c.janitor_interval_secs = 1;
    // Tiny batches: the test's backlog takes several statements, as a real one does.
    c.janitor_batch_size = 2;
    c.janitor_pause_ms = 0;
}

/// The kinds these tests write by hand to age them: ones nothing else in them writes.
const OLD_EVENT: AuditKind = AuditKind::UserDisabled;
const RECENT_EVENT: AuditKind = AuditKind::UserEnabled;

async fn audit_at(s: &TestServer, kind: AuditKind, at: i64) {
    let ev = AuditEvent::new(kind);
    s.state.store.audit(&ev, at).await.unwrap();
}

fn grant(user: &str, family: &str, expires_at: i64) -> RefreshGrant {
    RefreshGrant {
        family_id: family.into(),
        generation: 0,
        current_hash: gerbang::secrets::sha256_hex(family),
        user_id: user.into(),
        client_id: "svc".into(),
        scope: "openid".into(),
        sid: format!("sid-{family}"),
        auth_time: 0,
        amr: "pwd otp".into(),
        acr: "1".into(),
        expires_at,
    }
}

/// Row counts of the tables the janitor works, in a fixed order.
async fn counts(s: &TestServer) -> [i64; 5] {
    let st = &s.state.store;
    [
        st.count_audit_events(OLD_EVENT).await.unwrap(),
        st.count_audit_events(RECENT_EVENT).await.unwrap(),
        st.count_rows("mail_outbox").await.unwrap(),
        st.count_rows("logout_outbox").await.unwrap(),
        st.count_rows("refresh_families").await.unwrap(),
    ]
}

async fn janitor_deletes_exactly_what_is_due(backend: Backend) {
    let s = TestServer::start_with(backend, quick_janitor).await;
    let st = &s.state.store;
    let t0 = s.clock().now();
    let (_, user) = s.add_user(None).await;
    s.add_client_with("svc", |c| {
        c.backchannel_logout_uri = Some("http://127.0.0.1:9/bcl".into())
    })
    .await;

    // Audit (400 days): after the clock moves 8 days, 5 are 401 days old, 3 are 399.
    for _ in 0..5 {
        audit_at(&s, OLD_EVENT, t0 - 393 * DAY).await;
    }
    for _ in 0..3 {
        audit_at(&s, RECENT_EVENT, t0 - 391 * DAY).await;
    }

    // Mail (7 days). Queued for later so the worker leaves them to this test.
    let later = t0 + 1000;
    let mail = Mail {
        to: "siti@bkn.go.id".into(),
        subject: "s".into(),
        body: "b".into(),
    };
    for _ in 0..4 {
        st.enqueue_mail(&mail, later).await.unwrap();
    }
    let q = st.claim_mail(later, 10).await.unwrap();
    assert_eq!(q.len(), 4);
    st.mark_mail_sent(&q[0].id, t0).await.unwrap(); // 8 days old: goes
    st.mark_mail_sent(&q[1].id, t0).await.unwrap(); // goes
    st.mark_mail_failed(&q[2].id, "refused", GIVEN_UP)
        .await
        .unwrap(); // given up, queued ~8 days ago: goes
    st.mark_mail_sent(&q[3].id, t0 + 2 * DAY).await.unwrap(); // 6 days old: stays
    st.enqueue_mail(&mail, t0 + 30 * DAY).await.unwrap(); // not sent yet: stays

    // Back-channel logouts (7 days), queued for later for the same reason.
    for sid in ["s1", "s2", "s3"] {
        st.note_session_client(sid, "svc", &user, t0 + DAY)
            .await
            .unwrap();
        assert_eq!(st.queue_logouts(Some(sid), later).await.unwrap(), 1);
    }
    let d = st.claim_logouts(later, 10).await.unwrap();
    assert_eq!(d.len(), 3);
    st.finish_logout(&d[0].id, Ok(t0)).await.unwrap(); // goes
    st.finish_logout(&d[1].id, Err(("down".into(), GIVEN_UP)))
        .await
        .unwrap(); // given up: goes
    st.finish_logout(&d[2].id, Ok(t0 + 2 * DAY)).await.unwrap(); // stays

    // Refresh grants: expired (goes), live (stays), revoked long ago (goes), revoked just
    // now (stays, within the grace).
    st.insert_refresh(&grant(&user, "expired", t0 + DAY), t0)
        .await
        .unwrap();
    st.insert_refresh(&grant(&user, "live", t0 + 30 * DAY), t0)
        .await
        .unwrap();
    st.insert_refresh(&grant(&user, "revoked", t0 + 30 * DAY), t0)
        .await
        .unwrap();
    st.insert_refresh(&grant(&user, "revoked_now", t0 + 30 * DAY), t0)
        .await
        .unwrap();
    st.revoke_family("revoked", t0).await.unwrap();

    let before = counts(&s).await;
    assert_eq!(before, [5, 3, 5, 3, 4]);
    // Rounds run every second: nothing is due yet, and nothing goes.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(counts(&s).await, before, "nothing deleted before it is due");

    s.clock().advance(8 * DAY);
    st.revoke_family("revoked_now", s.clock().now())
        .await
        .unwrap();
    let want = [0, 3, 2, 1, 2];
    let mut got = counts(&s).await;
    for _ in 0..100 {
        if got == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        got = counts(&s).await;
    }
    assert_eq!(
        got, want,
        "old audit, mail, logouts and dead refresh grants deleted"
    );
    // And nothing more in the rounds after.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(counts(&s).await, want);
    assert!(
        st.find_live_refresh(
            &gerbang::domain::refresh_token::Presented {
                family_id: "live".into(),
                generation: 0,
                hash: gerbang::secrets::sha256_hex("live"),
            },
            s.clock().now()
        )
        .await
        .unwrap()
        .is_some(),
        "the live grant is untouched"
    );
}

async fn audit_retention_zero_keeps_everything(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        quick_janitor(c);
        c.audit_retention_days = 0;
    })
    .await;
    audit_at(&s, OLD_EVENT, s.clock().now() - 4000 * DAY).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        s.state.store.count_audit_events(OLD_EVENT).await.unwrap(),
        1
    );
}

scenarios!(
    janitor_deletes_exactly_what_is_due,
    audit_retention_zero_keeps_everything
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_work_the_same_job_at_once() {
    if Backend::PostgresRedis.skipped() {
        return;
    }
    let a = TestServer::start_with(Backend::PostgresRedis, quick_janitor).await;
    let b = a.start_replica().await;
    let now = a.clock().now();

    // Sixteen claims racing for one free lease from both replicas' pools: one wins.
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { &a } else { &b }.state.store.clone();
        racing.spawn(async move {
            store
                .claim_janitor_lease("race", &format!("holder-{i}"), now, now + 60)
                .await
                .unwrap()
        });
    }
    let won = racing.join_all().await.into_iter().filter(|w| *w).count();
    assert_eq!(won, 1, "exactly one replica holds the lease");
    let st = &a.state.store;
    assert!(
        !st.claim_janitor_lease("race", "late", now + 59, now + 120)
            .await
            .unwrap()
    );
    assert!(
        st.claim_janitor_lease("race", "late", now + 60, now + 120)
            .await
            .unwrap(),
        "a lease whose holder stopped renewing it runs out"
    );

    // While another holder has the audit job, neither replica deletes a row of it. Between
    // rounds a replica keeps the lease only until its next round (a second here), so an
    // outsider asking as of two seconds on gets it unless a round is under way; asking as of
    // now would race each round's renewal to the second, which a loaded machine loses.
    let mut held = false;
    for _ in 0..100 {
        let t = a.clock().now();
        if st
            .claim_janitor_lease("audit_events", "outsider", t + 2, t + 3600)
            .await
            .unwrap()
        {
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(held, "the replicas give the lease back between rounds");
    for _ in 0..6 {
        audit_at(&a, OLD_EVENT, now - 500 * DAY).await;
    }
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(st.count_audit_events(OLD_EVENT).await.unwrap(), 6);
    // Released: one of them works it off.
    st.claim_janitor_lease("audit_events", "outsider", a.clock().now(), 0)
        .await
        .unwrap();
    let mut left = 6;
    for _ in 0..50 {
        left = st.count_audit_events(OLD_EVENT).await.unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(left, 0);
}

/// A failed sign-in of a real person, with our request id: a `login_failure` event whose
/// subject is that person.
async fn failed_login(base: &str, nip: &str, request_id: &str) {
    let b = browser();
    let page = get_text(&b, format!("{base}/login")).await;
    let res = b
        .post(format!("{base}/login"))
        .header("x-request-id", request_id)
        .header("user-agent", "AuditTest/1.0")
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("nip", nip),
            ("password", "Salah#Sekali123"),
            ("otp", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_client_error());
}

fn check_line(v: &serde_json::Value) {
    for field in [
        "at",
        "kind",
        "actor_nip",
        "subject_nip",
        "ip",
        "request_id",
        "detail",
    ] {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    time::OffsetDateTime::parse(
        v["at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap_or_else(|e| panic!("at is not RFC 3339 ({e}): {v}"));
}

async fn wait_lines(path: &std::path::Path, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<_> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() >= n {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} lines in {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sink_lines_carry_nips_and_the_request_id() {
    if Backend::Postgres.skipped() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("audit.jsonl");
    let sink = format!("file://{}", path.display());
    let s = TestServer::start_with(Backend::Postgres, |c| {
        c.audit_sink = sink;
        // The test client plays the proxy whose request ids are kept.
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let (nip, user) = s.add_user(None).await;
    failed_login(&s.base, &nip, "audit-file-1").await;
    // An actor that is no person (the import) is printed as it is.
    let ev = AuditEvent {
        actor: Some("import"),
        subject: Some(&user),
        detail: Some("status: pensiun"),
        ..AuditEvent::new(AuditKind::UserDisabled)
    };
    s.state.store.audit(&ev, s.clock().now()).await.unwrap();
    let lines = wait_lines(&path, 2).await;
    for l in &lines {
        check_line(l);
    }
    let login = &lines[0];
    assert_eq!(login["kind"], "login_failure", "{login}");
    assert_eq!(login["subject_nip"], nip.as_str());
    assert!(login["actor_nip"].is_null());
    assert_eq!(login["ip"], "127.0.0.1");
    assert_eq!(login["request_id"], "audit-file-1");
    assert_eq!(login["user_agent"], "AuditTest/1.0");
    let import = &lines[1];
    assert_eq!(import["actor_nip"], "import", "{import}");
    assert_eq!(import["subject_nip"], nip.as_str());
    assert_eq!(import["detail"], "status: pensiun");
    assert!(import["request_id"].is_null(), "no request: no id");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "audit file readable by Gerbang alone");
    }
}

/// Parses `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG` and returns MSG as JSON.
fn rfc5424_msg(frame: &str) -> serde_json::Value {
    let parts: Vec<&str> = frame.splitn(8, ' ').collect();
    assert_eq!(parts.len(), 8, "{frame}");
    assert_eq!(parts[0], "<86>1", "authpriv.info, version 1: {frame}");
    time::OffsetDateTime::parse(parts[1], &time::format_description::well_known::Rfc3339).unwrap();
    assert!(!parts[2].is_empty() && parts[2].is_ascii());
    assert_eq!(parts[3], "gerbang");
    assert!(
        parts[4].parse::<u32>().is_ok(),
        "PROCID is the pid: {frame}"
    );
    assert_eq!(parts[5], "audit");
    assert_eq!(parts[6], "-", "no structured data");
    assert!(parts[7].is_ascii(), "MSG needs no BOM");
    let v = serde_json::from_str(parts[7]).unwrap_or_else(|e| panic!("MSG ({e}): {frame}"));
    check_line(&v);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_udp_sink_sends_rfc5424_datagrams() {
    let collector = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sink = format!("syslog+udp://{}", collector.local_addr().unwrap());
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.audit_sink = sink;
        // The test client plays the proxy whose request ids are kept.
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let (nip, _) = s.add_user(None).await;
    failed_login(&s.base, &nip, "audit-udp-1").await;
    let mut buf = vec![0u8; 65536];
    let n = tokio::time::timeout(Duration::from_secs(10), collector.recv(&mut buf))
        .await
        .expect("a datagram")
        .unwrap();
    let v = rfc5424_msg(std::str::from_utf8(&buf[..n]).unwrap());
    assert_eq!(v["kind"], "login_failure");
    assert_eq!(v["subject_nip"], nip.as_str());
    assert_eq!(v["request_id"], "audit-udp-1");
}

/// Reads one RFC 6587 octet-counted frame.
async fn read_frame(r: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut len = Vec::new();
    r.read_until(b' ', &mut len).await.unwrap();
    let len: usize = std::str::from_utf8(&len[..len.len() - 1])
        .unwrap()
        .parse()
        .expect("octet count");
    let mut msg = vec![0u8; len];
    r.read_exact(&mut msg).await.unwrap();
    String::from_utf8(msg).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_tcp_sink_frames_by_octet_count_and_reconnects() {
    if Backend::Postgres.skipped() {
        return;
    }
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink = format!("syslog+tcp://{}", collector.local_addr().unwrap());
    let s = TestServer::start_with(Backend::Postgres, |c| {
        c.audit_sink = sink;
        // The test client plays the proxy whose request ids are kept.
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let (nip, _) = s.add_user(None).await;
    let accept = || async {
        let (c, _) = tokio::time::timeout(Duration::from_secs(10), collector.accept())
            .await
            .expect("the sink connects")
            .unwrap();
        tokio::io::BufReader::new(c)
    };
    failed_login(&s.base, &nip, "audit-tcp-1").await;
    failed_login(&s.base, &nip, "audit-tcp-2").await;
    let mut conn = accept().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let v = rfc5424_msg(&read_frame(&mut conn).await);
        assert_eq!(v["subject_nip"], nip.as_str());
        ids.push(v["request_id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids, ["audit-tcp-1", "audit-tcp-2"]);
    // The collector restarts: the next event arrives on a new connection.
    drop(conn);
    tokio::time::sleep(Duration::from_millis(200)).await;
    failed_login(&s.base, &nip, "audit-tcp-3").await;
    let mut conn = accept().await;
    let v = rfc5424_msg(&read_frame(&mut conn).await);
    assert_eq!(v["request_id"], "audit-tcp-3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_audit_sink_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    for (sink, says) in [
        ("syslog+tcp://127.0.0.1", "no port"),
        ("kafka://127.0.0.1:9092", "unknown scheme"),
        (
            "file:///nonexistent-dir-4011/audit.jsonl",
            "nonexistent-dir-4011",
        ),
    ] {
        let mut c = gerbang::config::Config::for_test(
            "http://127.0.0.1:1",
            &format!("sqlite://{}/g.db", dir.path().display()),
            dir.path(),
        );
        c.audit_sink = sink.into();
        let e = gerbang::server::build_state(c, Default::default())
            .await
            .err()
            .unwrap_or_else(|| panic!("{sink} accepted"));
        assert!(e.to_string().contains(says), "{sink}: {e}");
    }
}

/// logrotate's way: the file is renamed, the server gets SIGHUP, and the next line goes to
/// a new file at the configured path (a real `gerbang serve` process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sink_reopens_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("GERBANG_LISTEN", "127.0.0.1:0")
        .env("GERBANG_LOG_FORMAT", "json")
        .env("GERBANG_LOG", "info")
        .env(
            "GERBANG_DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env("GERBANG_KEYS_DIR", dir.path().join("keys"))
        .env("GERBANG_DATA_DIR", dir.path().join("data"))
        .env("GERBANG_AUDIT_SINK", format!("file://{}", path.display()))
        .env("GERBANG_TRUSTED_PROXIES", "[\"127.0.0.1\"]")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| loop {
        let l = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no log line for {what}"));
        if l.contains(what) {
            return l;
        }
    };
    let serving: serde_json::Value = serde_json::from_str(&next("gerbang is serving")).unwrap();
    let base = format!("http://{}", serving["fields"]["listen"].as_str().unwrap());
    // An unknown NIP: still a `login_failure` event.
    let nip = TestServer::new_nip();
    failed_login(&base, &nip, "before-rotate").await;
    assert_eq!(wait_lines(&path, 1).await[0]["request_id"], "before-rotate");

    let rotated = dir.path().join("audit.jsonl.1");
    std::fs::rename(&path, &rotated).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    next("audit sink reopened");
    failed_login(&base, &nip, "after-rotate").await;
    let fresh = wait_lines(&path, 1).await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0]["request_id"], "after-rotate");
    let old = std::fs::read_to_string(&rotated).unwrap();
    assert_eq!(old.lines().count(), 1, "the rotated file got nothing more");
    let _ = child.kill();
    let _ = child.wait();
}
