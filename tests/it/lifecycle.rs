//! SIASN lifecycle: the real `gerbang user import` against the database of a running
//! server, and what a disable and a re-activation do to every way in.

use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gerbang");
const HEADER: &str = "nip,name,email,instansi_id,unit_kerja,jabatan,status";

scenarios!(
    disable_by_import_ends_access_and_reactivation_restores_it,
    a_reset_code_proves_only_the_address_it_was_sent_to,
    a_consent_page_open_at_the_disable_gives_no_code,
);
/// Import-only scenarios (no server, so no cache): SQLite and PostgreSQL.
mod import_only {
    use super::*;
    db_scenarios!(
        statuses_are_parsed_and_unknown_ones_are_bad_rows,
        full_snapshot_disables_the_absent_within_its_limit,
        a_status_column_has_a_limit_spares_staff_and_reaches_the_locked,
        a_corrected_address_survives_the_stale_siasn_value
    );
}

/// `gerbang user import` with the given rows (after the header) on `database_url`.
fn import(dir: &std::path::Path, database_url: &str, rows: &str, args: &[&str]) -> Output {
    let file = dir.join(format!("siasn-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, format!("{HEADER}\n{rows}")).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["user", "import"])
        .args(args)
        .arg(&file)
        .env("GERBANG_DATABASE_URL", database_url)
        .env("GERBANG_KEYS_DIR", dir.join("keys"))
        .env(
            "GERBANG_AUDIT_SINK",
            format!("file://{}", dir.join("audit.jsonl").display()),
        );
    cmd.output().unwrap()
}

fn ok(out: Output) -> (String, String) {
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "import failed: {o}{e}");
    (o, e)
}

async fn store_of(database_url: &str) -> gerbang::store::Store {
    let config = gerbang::config::Config {
        database_url: database_url.to_string(),
        ..Default::default()
    };
    gerbang::admin::open_store(&config).await.unwrap()
}

async fn db_only(backend: Backend) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/gerbang.db", dir.path().display()),
        Backend::Postgres | Backend::PostgresRedis => fresh_postgres_schema().await,
    };
    (dir, url)
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<String>>>,
}

async fn receive(State(r): State<Receiver>, body: String) -> StatusCode {
    r.got.lock().unwrap().push(body);
    StatusCode::OK
}

async fn start_receiver() -> (Receiver, String) {
    let r = Receiver::default();
    let app = axum::Router::new()
        .route("/bc", axum::routing::post(receive))
        .with_state(r.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (r, base)
}

fn code_of(res: &reqwest::Response) -> String {
    let loc = location(res);
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

async fn refresh(server: &TestServer, secret: &str, token: &str) -> Value {
    rp_http()
        .post(server.url("/token"))
        .basic_auth("myasn", Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn introspect(server: &TestServer, secret: &str, token: &str) -> Value {
    rp_http()
        .post(server.url("/introspect"))
        .basic_auth("myasn", Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn userinfo(server: &TestServer, token: &str) -> reqwest::Response {
    rp_http()
        .get(server.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn disable_by_import_ends_access_and_reactivation_restores_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = server.state.settings.database_url.clone();
    let dir = tempfile::tempdir().unwrap();
    let (receiver, rbase) = start_receiver().await;
    let uri = format!("{rbase}/bc");
    let secret = server
        .add_client_with("myasn", |c| c.backchannel_logout_uri = Some(uri))
        .await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let scope = "openid email offline_access";
    let res = login_through(
        &server,
        &b,
        &authorize_url(&server, "myasn", scope),
        &nip,
        PASSWORD,
    )
    .await;
    let tokens = exchange_code(&server, "myasn", &secret, &code_of(&res)).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let rt = tokens["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(introspect(&server, &secret, &access).await["active"], true);
    assert_eq!(userinfo(&server, &access).await.status(), 200);

    // SIASN says the person retired.
    let row = |status: &str, email: &str| {
        format!("{nip},Siti Rahayu,{email},4011,Direktorat Sistem Informasi,,{status}\n")
    };
    let old_email = format!("siti.{nip}@bkn.go.id");
    let (out, _) = ok(import(dir.path(), &db, &row("Pensiun", &old_email), &[]));
    assert!(
        out.contains("1 disabled") && out.contains("1 back-channel logouts queued"),
        "{out}"
    );
    // The disable reaches the SOC's copy too, with the import as actor.
    let sink = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let line: serde_json::Value = sink
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["kind"] == "user_disabled")
        .unwrap_or_else(|| panic!("a user_disabled line in the sink: {sink:?}"));
    assert_eq!(line["actor_nip"], "import");
    assert_eq!(line["subject_nip"], nip.as_str());
    assert_eq!(line["detail"], "siasn_status=pensiun");

    // The running server's outbox worker delivers the logout token to the service.
    let mut delivered = false;
    for _ in 0..100 {
        if !receiver.got.lock().unwrap().is_empty() {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "a back-channel logout token reaches the service");
    assert!(receiver.got.lock().unwrap()[0].contains("logout_token="));

    // Past the userinfo memo, no way in is left.
    server
        .clock()
        .advance(server.state.settings.userinfo_cache_secs + 1);
    let r = refresh(&server, &secret, &rt).await;
    assert_eq!(r["error"], "invalid_grant", "{r}");
    assert_eq!(userinfo(&server, &access).await.status(), 401);
    assert_eq!(introspect(&server, &secret, &access).await["active"], false);
    let res = b
        .get(authorize_url(&server, "myasn", scope))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "no code for a disabled person");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("pensiun") && page.contains("BKPSDM"),
        "{page}"
    );
    assert!(!page.contains("siasn_inactive"), "never the raw code");
    let res = b.get(server.url("/?lang=en")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("retired"));
    let store = &server.state.store;
    assert_eq!(
        store
            .count_audit_events(gerbang::domain::audit::AuditKind::UserDisabled)
            .await
            .unwrap(),
        1
    );

    // Active again, with a new address from SIASN: the old password and authenticator work,
    // and the new address is not verified.
    store
        .reset_password(
            &user_id,
            &old_email,
            &server.user(&nip).await.password_hash.unwrap(),
            &gerbang::domain::audit::AuditEvent::new(
                gerbang::domain::audit::AuditKind::PasswordReset,
            ),
            &gerbang::store::outbox::Mail {
                to: old_email.clone(),
                subject: "x".into(),
                body: "x".into(),
            },
            server.state.clock.now(),
        )
        .await
        .unwrap();
    assert!(server.user(&nip).await.email_verified);
    let new_email = format!("siti.baru.{nip}@bkn.go.id");
    let (out, _) = ok(import(dir.path(), &db, &row("aktif", &new_email), &[]));
    assert!(out.contains("1 enabled"), "{out}");
    assert_eq!(
        store
            .count_audit_events(gerbang::domain::audit::AuditKind::UserEnabled)
            .await
            .unwrap(),
        1
    );
    // The session from before the disable (a cookie stolen then, say) does not come back
    // with the person: /authorize asks for a sign-in instead of issuing a code, and the
    // launcher sends to the login form.
    let res = b
        .get(authorize_url(&server, "myasn", scope))
        .send()
        .await
        .unwrap();
    let to = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        res.status().is_redirection() && to.contains("/login") && !to.contains("code="),
        "{} {to}",
        res.status()
    );
    let res = b.get(server.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login");
    let b2 = browser();
    let res = login_through(
        &server,
        &b2,
        &authorize_url(&server, "myasn", scope),
        &nip,
        PASSWORD,
    )
    .await;
    let tokens = exchange_code(&server, "myasn", &secret, &code_of(&res)).await;
    let id = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["email"], new_email.as_str());
    assert_eq!(id["email_verified"], false, "{id}");
    // The userinfo memo of the disabled record lapses like any other.
    server
        .clock()
        .advance(server.state.settings.userinfo_cache_secs + 1);
    let info: Value = userinfo(&server, tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["email_verified"], false, "{info}");

    // A helpdesk disable is the helpdesk's: an import saying "aktif" does not lift it.
    store
        .set_user_status(
            &user_id,
            gerbang::domain::user_status::UserStatus::Disabled,
            server.state.clock.now(),
        )
        .await
        .unwrap();
    let (out, _) = ok(import(dir.path(), &db, &row("aktif", &new_email), &[]));
    assert!(out.contains("0 enabled"), "{out}");
    assert_eq!(server.user(&nip).await.status.as_str(), "disabled");
}

fn nip(i: usize) -> String {
    format!("19900101201501{}{:03}", 1 + i % 2, i + 1)
}

async fn statuses_are_parsed_and_unknown_ones_are_bad_rows(backend: Backend) {
    let (dir, db) = db_only(backend).await;
    let wordings = [
        ("", true),
        ("AKTIF", true),
        ("active", true),
        ("MPP", true),
        ("Masa Persiapan Pensiun", true),
        ("Tugas Belajar", true),
        ("Penerima Uang Tunggu", true),
        ("pensiun", false),
        ("Mencapai BUP", false),
        ("diberhentikan", false),
        ("Diberhentikan Dengan Hormat", false),
        ("Diberhentikan Tidak Dengan Hormat", false),
        ("Pemberhentian Tanpa Hak Pensiun", false),
        ("meninggal", false),
        ("Meninggal Dunia", false),
        ("cltn", false),
        ("Perpanjangan CLTN", false),
        ("Cuti di Luar Tanggungan Negara", false),
        ("Pemberhentian Sementara", false),
        ("PNS yang dinyatakan hilang", false),
    ];
    let mut rows = String::new();
    for (i, (w, _)) in wordings.iter().enumerate() {
        rows.push_str(&format!(
            "{},Orang {i},o{i}@bkn.go.id,4011,,,  {w}  \n",
            nip(i)
        ));
    }
    rows.push_str(&format!(
        "{},Salah,s@bkn.go.id,4011,,,purnabakti\n",
        nip(90)
    ));
    let (out, err) = ok(import(dir.path(), &db, &rows, &[]));
    let n = wordings.len();
    assert!(out.contains(&format!("{n} new")), "{out}");
    assert!(out.contains("1 bad rows"), "{out}");
    assert!(
        err.contains(&format!(
            "line {}: skipped: unknown status \"purnabakti\"",
            n + 2
        )),
        "{err}"
    );
    let store = store_of(&db).await;
    for (i, (w, active)) in wordings.iter().enumerate() {
        let u = store.find_user_by_nip(&nip(i)).await.unwrap().unwrap();
        assert_eq!(u.is_active(), *active, "{w:?}: {}", u.status);
    }
    assert!(store.find_user_by_nip(&nip(90)).await.unwrap().is_none());
    // A new person who arrives already retired is created disabled (nothing to end).
    assert!(out.contains("0 disabled"), "{out}");
}

async fn full_snapshot_disables_the_absent_within_its_limit(backend: Backend) {
    let (dir, db) = db_only(backend).await;
    let mut rows = String::new();
    for i in 0..5 {
        rows.push_str(&format!(
            "{},Orang {i},o{i}@bkn.go.id,4011,,,aktif\n",
            nip(i)
        ));
    }
    ok(import(dir.path(), &db, &rows, &[]));
    // nip(0) runs the helpdesk: never disabled by absence.
    let out = Command::new(BIN)
        .args(["role", "grant", "--nip", &nip(0), "--role", "admin"])
        .env("GERBANG_DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The snapshot lists only nip(3) and nip(4); nip(4) has left.
    let snapshot = format!(
        "{},Orang 3,o3@bkn.go.id,4011,,,aktif\n{},Orang 4,o4@bkn.go.id,4011,,,pensiun\n",
        nip(3),
        nip(4)
    );
    // nip(1), nip(2) absent + nip(4) leaving = 3 > 2: refused, nothing changed.
    let out = import(
        dir.path(),
        &db,
        &snapshot,
        &["--full-snapshot", "--max-disable", "2"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would disable 3 of 5"), "{err}");
    let store = store_of(&db).await;
    for i in 0..5 {
        assert!(
            store
                .find_user_by_nip(&nip(i))
                .await
                .unwrap()
                .unwrap()
                .is_active()
        );
    }
    // The default (1% of 5 people = 0) refuses too.
    let out = import(dir.path(), &db, &snapshot, &["--full-snapshot"]);
    assert_eq!(out.status.code(), Some(2));
    let (out, err) = ok(import(
        dir.path(),
        &db,
        &snapshot,
        &["--full-snapshot", "--max-disable", "60%"],
    ));
    assert!(
        out.contains("3 disabled (2 absent from the snapshot)"),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "staff absent from the snapshot, not disabled: NIP {}",
            nip(0)
        )),
        "{err}"
    );
    let status = |i| {
        let store = store.clone();
        async move { store.find_user_by_nip(&nip(i)).await.unwrap().unwrap() }
    };
    assert!(status(0).await.is_active());
    assert_eq!(
        status(1).await.siasn_reason(),
        Some(gerbang::domain::siasn::Reason::Absent)
    );
    assert!(!status(2).await.is_active());
    assert!(status(3).await.is_active());
    assert_eq!(
        status(4).await.siasn_reason(),
        Some(gerbang::domain::siasn::Reason::Retired)
    );
    // Back in the next snapshot: enabled again.
    let (out, _) = ok(import(
        dir.path(),
        &db,
        &rows,
        &["--full-snapshot", "--max-disable", "0"],
    ));
    assert!(
        out.contains("3 enabled") && out.contains("0 disabled"),
        "{out}"
    );
}

/// A file with a `status` column can end many people's access at once, so it meets the
/// same `--max-disable` stop as a full snapshot; staff are never disabled by it (listed
/// instead), and a locked account is disabled like an active one (an unlock must not bring
/// a retired person back).
async fn a_status_column_has_a_limit_spares_staff_and_reaches_the_locked(backend: Backend) {
    let (dir, db) = db_only(backend).await;
    let rows = |status: &str| {
        (0..5)
            .map(|i| format!("{},Orang {i},o{i}@bkn.go.id,4011,,,{status}\n", nip(i)))
            .collect::<String>()
    };
    ok(import(dir.path(), &db, &rows("aktif"), &[]));
    let out = Command::new(BIN)
        .args(["role", "grant", "--nip", &nip(0), "--role", "admin"])
        .env("GERBANG_DATABASE_URL", &db)
        .env("GERBANG_KEYS_DIR", dir.path().join("keys"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let store = store_of(&db).await;
    let locked = store.find_user_by_nip(&nip(1)).await.unwrap().unwrap();
    store
        .set_user_status(
            &locked.id,
            gerbang::domain::user_status::UserStatus::Locked,
            1,
        )
        .await
        .unwrap();
    let status_of = |i: usize| {
        let store = store.clone();
        async move {
            store
                .find_user_by_nip(&nip(i))
                .await
                .unwrap()
                .unwrap()
                .status
                .as_str()
        }
    };

    // Everyone "pensiun": 4 would go (the admin is spared), over 1% of 5 → refused whole.
    let out = import(dir.path(), &db, &rows("pensiun"), &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would disable 4 of 5"), "{err}");
    for i in 0..5 {
        assert_ne!(status_of(i).await, "siasn_inactive", "nothing changed");
    }
    // A row that is not UTF-8 (a Latin-1 name) first: a bad row for the import, and no end
    // to the count (the rows after it were once left uncounted, and disabled).
    let file = dir.path().join("latin1.csv");
    let mut bytes = format!("{HEADER}\n{},Ren", nip(5)).into_bytes();
    bytes.push(0xe9); // "René" in Latin-1
    bytes.extend(b",x@bkn.go.id,4011,,,aktif\n");
    bytes.extend(rows("pensiun").into_bytes());
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new(BIN)
        .args(["user", "import"])
        .arg(&file)
        .env("GERBANG_DATABASE_URL", &db)
        .env("GERBANG_KEYS_DIR", dir.path().join("keys"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("would disable 4 of 5"),
        "{err}"
    );
    for i in 0..5 {
        assert_ne!(status_of(i).await, "siasn_inactive", "nothing changed");
    }

    // Allowed: the four go, the locked one included; the admin stays and is named.
    let (out, err) = ok(import(
        dir.path(),
        &db,
        &rows("pensiun"),
        &["--max-disable", "100%"],
    ));
    assert!(out.contains("4 disabled"), "{out}");
    assert!(
        err.contains(&format!(
            "not disabled (withdraw their role first): NIP {}",
            nip(0)
        )),
        "{err}"
    );
    assert_eq!(status_of(0).await, "active");
    for i in 1..5 {
        assert_eq!(status_of(i).await, "siasn_inactive", "person {i}");
    }
}

async fn a_corrected_address_survives_the_stale_siasn_value(backend: Backend) {
    let (dir, db) = db_only(backend).await;
    let row = |email: &str, unit: &str| format!("{},Orang,{email},4011,{unit},,\n", nip(7));
    ok(import(dir.path(), &db, &row("lama@bkn.go.id", ""), &[]));
    let store = store_of(&db).await;
    let u = store.find_user_by_nip(&nip(7)).await.unwrap().unwrap();
    // The helpdesk corrects the address.
    store
        .helpdesk_apply(
            &u,
            gerbang::store::helpdesk::Action::SetEmail("benar@bkn.go.id"),
            &gerbang::domain::audit::AuditEvent::new(
                gerbang::domain::audit::AuditKind::HelpdeskAction,
            ),
            &[],
            1,
        )
        .await
        .unwrap();
    // SIASN still carries the old value (in a row that changed otherwise): kept, reported.
    let (out, err) = ok(import(
        dir.path(),
        &db,
        &row("lama@bkn.go.id", "Biro Umum"),
        &[],
    ));
    assert!(out.contains("1 e-mail conflicts"), "{out}");
    assert!(
        err.contains(&format!("NIP {}: kept benar@bkn.go.id", nip(7)))
            && err.contains("SIASN still says lama@bkn.go.id"),
        "{err}"
    );
    let u = store.find_user_by_nip(&nip(7)).await.unwrap().unwrap();
    assert_eq!(u.email, "benar@bkn.go.id");
    assert_eq!(u.unit_kerja.as_deref(), Some("Biro Umum"));
    // The same old mailbox in other letters is the same stale value (the reset form matches
    // addresses without case), not a new one that would win.
    let (out, _) = ok(import(
        dir.path(),
        &db,
        &row("LAMA@bkn.go.id", "Biro Umum"),
        &[],
    ));
    assert!(out.contains("1 e-mail conflicts"), "{out}");
    let u = store.find_user_by_nip(&nip(7)).await.unwrap().unwrap();
    assert_eq!(u.email, "benar@bkn.go.id");
    // SIASN changes its value: the new one wins, unproven.
    let (out, _) = ok(import(
        dir.path(),
        &db,
        &row("baru@bkn.go.id", "Biro Umum"),
        &[],
    ));
    assert!(
        out.contains("1 changed") && out.contains("0 e-mail conflicts"),
        "{out}"
    );
    let u = store.find_user_by_nip(&nip(7)).await.unwrap().unwrap();
    assert_eq!(u.email, "baru@bkn.go.id");
    assert!(!u.email_verified);
}

/// Security review of issue 16: a code mailed to A, then the import replaces A with B;
/// finishing the reset with A's code set the password and marked B (never proved) verified.
/// Now the code is refused like a wrong one and nothing changes; a code to B verifies B.
async fn a_reset_code_proves_only_the_address_it_was_sent_to(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let db = server.state.settings.database_url.clone();
    let dir = tempfile::tempdir().unwrap();
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let old = format!("siti.{nip}@bkn.go.id");
    let before = server.user(&nip).await;
    assert!(!before.email_verified);
    let b = browser();
    reset_request_code(&server, &b, &nip, &old).await;
    let code = mailed_code(&smtp.wait_for(&old, 1).await.remove(0));

    let new = format!("tak.terbukti.{nip}@contoh.go.id");
    let row = format!("{nip},Siti Rahayu,{new},4011,Direktorat Sistem Informasi,,\n");
    ok(import(dir.path(), &db, &row, &[]));
    assert_eq!(server.user(&nip).await.email, new);

    let pw = "Kunci-Baru#2026x";
    let res = reset_confirm(&server, &b, &nip, &code, pw, pw).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("Kode salah atau sudah kedaluwarsa"), "{page}");
    let after = server.user(&nip).await;
    assert!(
        !after.email_verified,
        "an address nobody proved is verified"
    );
    assert_eq!(
        after.password_hash, before.password_hash,
        "password unchanged"
    );
    // The code is spent: the old mailbox cannot come back with it.
    let res = reset_confirm(&server, &b, &nip, &code, pw, pw).await;
    assert_eq!(res.status(), 400);

    // A code to the new address proves it.
    reset_request_code(&server, &browser(), &nip, &new).await;
    let code = mailed_code(&smtp.wait_for(&new, 1).await.remove(0));
    let res = reset_confirm(&server, &b, &nip, &code, pw, pw).await;
    assert_eq!(res.status(), 303);
    assert!(server.user(&nip).await.email_verified);
}

/// Security review of issue 16: the consent page open when the import disables the person;
/// "allow" then still answered with a code. Now it answers with the disabled page.
async fn a_consent_page_open_at_the_disable_gives_no_code(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = server.state.settings.database_url.clone();
    let dir = tempfile::tempdir().unwrap();
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    server
        .add_client_with("sscasn", |c| c.first_party = false)
        .await;
    let b = browser();
    let url = authorize_url(&server, "sscasn", "openid profile");
    let res = login_through(&server, &b, &url, &nip, PASSWORD).await;
    let next = location(&res);
    assert!(next.starts_with("/consent?req="), "{next}");
    let page = get_text(&b, server.url(&next)).await;

    let row = format!(
        "{nip},Siti Rahayu,siti.{nip}@bkn.go.id,4011,Direktorat Sistem Informasi,,Pensiun\n"
    );
    ok(import(dir.path(), &db, &row, &[]));
    assert_eq!(server.user(&nip).await.status.as_str(), "siasn_inactive");

    let res = b
        .post(server.url("/consent"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("req", hidden(&page, "req")),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
    let body = res.text().await.unwrap();
    assert!(body.contains("sudah pensiun"), "the disabled page: {body}");
    assert_eq!(
        server
            .state
            .store
            .consent_scope(&user_id, "sscasn")
            .await
            .unwrap(),
        None,
        "no consent recorded"
    );
}
