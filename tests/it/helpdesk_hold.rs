//! Issue 24 item 7: the helpdesk's Disable is a hold of its own. An import saying "aktif"
//! never lifts it (even when SIASN had disabled the account first); only an Enable by an
//! officer or admin does, and that Enable lifts only the hold.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

scenarios!(
    a_console_disable_over_cltn_survives_aktif,
    an_api_disable_over_cltn_survives_aktif,
    a_disable_of_an_active_person_survives_aktif,
    enable_lifts_only_the_hold,
    a_hold_stops_every_grant_and_session,
    two_enables_at_once_never_lift_siasn,
);

/// An officer of agency 4011 signed in with MFA, and the agency tool allowed `helpdesk`.
struct Desk {
    server: TestServer,
    officer: Browser,
    officer_nip: String,
    tool_secret: String,
}

async fn desk(backend: Backend) -> Desk {
    let server = TestServer::start(backend).await;
    let (officer_nip, officer_id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store
        .grant_role(&officer_id, "helpdesk", "4011")
        .await
        .unwrap();
    let officer = server.browser();
    assert_eq!(
        officer.sign_in(&officer_nip, PASSWORD, None).await.status(),
        303
    );
    let tool_secret = server
        .add_client_with("bkpsdm-tool", |c| {
            c.allowed_scopes = vec!["helpdesk".into()]
        })
        .await;
    Desk {
        server,
        officer,
        officer_nip,
        tool_secret,
    }
}

/// `gerbang user import` of one row for `nip` with SIASN state `status`.
async fn import(s: &TestServer, nip: &str, status: &str) {
    let csv = s.dir.path().join(format!("siasn-{status}.csv"));
    std::fs::write(
        &csv,
        format!(
            "nip,name,email,instansi_id,unit_kerja,jabatan,status\n\
             {nip},Siti Rahayu,siti.{nip}@bkn.go.id,4011,Direktorat Sistem Informasi,,{status}\n"
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gerbang"))
        .args(["user", "import", csv.to_str().unwrap()])
        .args(["--max-disable", "10"])
        .env("GERBANG_DATABASE_URL", &s.state.settings.database_url)
        .env("GERBANG_KEYS_DIR", s.dir.path().join("cli-keys"))
        .current_dir(s.dir.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The officer's console action on `nip`: the page it was offered on, and the answer.
async fn console_act(d: &Desk, nip: &str, action: &str) -> (String, StatusCode) {
    let page = d.officer.get(&format!("/helpdesk?nip={nip}")).await.body;
    let res = d
        .officer
        .post(d.server.url("/helpdesk/action"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("nip", nip),
            ("action", action),
            ("reason", "Tiket 2026-24: akun diambil alih"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    (page, res.status())
}

/// The actions the console offers for `nip` (the `<option value=…>` of its action form).
async fn offered(d: &Desk, nip: &str) -> (String, Vec<String>) {
    let page = d.officer.get(&format!("/helpdesk?nip={nip}")).await.body;
    let form = page
        .split("id=\"action-form\"")
        .nth(1)
        .and_then(|f| f.split("</form>").next())
        .unwrap_or_default()
        .to_string();
    let actions = form
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| o.split('"').next())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    (page, actions)
}

async fn officer_token(d: &Desk) -> String {
    let b = browser();
    let url = authorize_url(&d.server, "bkpsdm-tool", "openid helpdesk");
    let res = login_through(&d.server, &b, &url, &d.officer_nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t: Value = exchange_code(&d.server, "bkpsdm-tool", &d.tool_secret, &code).await;
    t["access_token"].as_str().unwrap().to_string()
}

async fn api_act(d: &Desk, token: &str, nip: &str, action: &str) -> StatusCode {
    rp_http()
        .post(d.server.url(&format!("/api/helpdesk/users/{nip}/actions")))
        .bearer_auth(token)
        .json(&json!({ "action": action, "reason": "Tiket 2026-24: akun diambil alih" }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn api_get(d: &Desk, token: &str, nip: &str) -> Value {
    let res = rp_http()
        .get(d.server.url(&format!("/api/helpdesk/users/{nip}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Whether `nip` can sign in with password and code (a fresh browser): 303 in, 403 with the
/// disabled page out.
async fn signs_in(s: &TestServer, nip: &str) -> bool {
    let res = s.browser().sign_in(nip, PASSWORD, None).await;
    match res.status().as_u16() {
        303 => true,
        403 => {
            let page = res.text().await.unwrap();
            assert!(page.contains("id=\"disabled\""), "{page}");
            false
        }
        other => panic!("sign-in answered {other}"),
    }
}

/// Tokens of `nip` through a confidential service, refresh token included.
async fn tokens(s: &TestServer, secret: &str, nip: &str) -> Value {
    let b = browser();
    let url = authorize_url(s, "myasn", "openid email offline_access");
    let res = login_through(s, &b, &url, nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    exchange_code(s, "myasn", secret, &code).await
}

async fn refresh(s: &TestServer, secret: &str, rt: &str) -> (StatusCode, Value) {
    let res = rp_http()
        .post(s.url("/token"))
        .basic_auth("myasn", Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

/// The attack of the issue: SIASN says CLTN, the helpdesk disables the account (a takeover
/// is suspected), SIASN later says "aktif". The account must stay off until an officer
/// enables it.
async fn a_console_disable_over_cltn_survives_aktif(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    import(s, &nip, "CLTN").await;
    assert!(!signs_in(s, &nip).await);
    let (_, actions) = offered(&d, &nip).await;
    assert!(actions.contains(&"disable".to_string()), "{actions:?}");
    assert_eq!(console_act(&d, &nip, "disable").await.1, 303);

    import(s, &nip, "Aktif").await;
    assert!(
        !s.user(&nip).await.is_active(),
        "the import lifted the hold"
    );
    assert!(!signs_in(s, &nip).await, "signed in after the import");
    // The console says the helpdesk keeps it off, and offers only Enable.
    let (page, actions) = offered(&d, &nip).await;
    assert!(
        page.contains(r#"<dd id="status">Dinonaktifkan oleh helpdesk</dd>"#),
        "{page}"
    );
    assert!(page.contains("id=\"held-since\""), "{page}");
    assert!(actions.contains(&"enable".to_string()), "{actions:?}");
    assert!(!actions.contains(&"disable".to_string()), "{actions:?}");
    // A second import changes nothing either.
    import(s, &nip, "Aktif").await;
    assert!(!signs_in(s, &nip).await);

    // The officer's Enable lifts it.
    assert_eq!(console_act(&d, &nip, "enable").await.1, 303);
    assert!(s.user(&nip).await.is_active());
    assert!(signs_in(s, &nip).await);
}

/// The same through the helpdesk API.
async fn an_api_disable_over_cltn_survives_aktif(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    let token = officer_token(&d).await;
    import(s, &nip, "cltn").await;
    assert_eq!(api_act(&d, &token, &nip, "disable").await, 200);
    import(s, &nip, "aktif").await;
    assert!(!signs_in(s, &nip).await, "signed in after the import");
    let person = api_get(&d, &token, &nip).await;
    assert_eq!(person["helpdesk_hold"], true, "{person}");
    assert_eq!(person["status"], "active", "SIASN's own word: {person}");

    assert_eq!(api_act(&d, &token, &nip, "enable").await, 200);
    assert_eq!(api_get(&d, &token, &nip).await["helpdesk_hold"], false);
    assert!(signs_in(s, &nip).await);
}

/// aktif → Disable → aktif: the hold stays, no sign-in, and the old refresh token is dead.
async fn a_disable_of_an_active_person_survives_aktif(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let secret = s.add_client_with("myasn", |_| {}).await;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    import(s, &nip, "aktif").await;
    let t = tokens(s, &secret, &nip).await;
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(console_act(&d, &nip, "disable").await.1, 303);
    import(s, &nip, "aktif").await;
    assert!(!signs_in(s, &nip).await);
    let (st, body) = refresh(s, &secret, &rt).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
}

/// Enable lifts the hold only: SIASN's CLTN still keeps the account off (and the console
/// says so beforehand) until SIASN says "aktif".
async fn enable_lifts_only_the_hold(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    import(s, &nip, "cltn").await;
    assert_eq!(console_act(&d, &nip, "disable").await.1, 303);
    let (page, _) = offered(&d, &nip).await;
    assert!(
        page.contains("id=\"status-note\"")
            && page.contains("akun tetap tidak aktif sampai SIASN menyatakannya aktif"),
        "{page}"
    );
    // An officer may lift the hold (it is the helpdesk's own), not SIASN's word.
    assert_eq!(console_act(&d, &nip, "enable").await.1, 303);
    let u = s.user(&nip).await;
    assert_eq!(
        (u.status.as_str(), u.helpdesk_hold_at),
        ("siasn_inactive", None)
    );
    assert!(!signs_in(s, &nip).await);
    let (page, actions) = offered(&d, &nip).await;
    assert!(
        page.contains(r#"<dd id="status">Tidak aktif menurut SIASN</dd>"#),
        "{page}"
    );
    assert!(
        !actions.contains(&"enable".to_string()),
        "officer: {actions:?}"
    );
    import(s, &nip, "aktif").await;
    assert!(signs_in(s, &nip).await);
}

/// A hold stops what was already given, wherever it is checked: a signed-in browser, a
/// refresh grant, userinfo. (Set in the database directly, as an account held while its
/// grants live: the Disable itself also ends them.)
async fn a_hold_stops_every_grant_and_session(backend: Backend) {
    let s = TestServer::start(backend).await;
    let secret = s.add_client_with("myasn", |_| {}).await;
    let (nip, id) = s.add_user(Some(PASSWORD)).await;
    let b = s.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    assert_eq!(b.get("/account").await.status, 200);
    let t = tokens(&s, &secret, &nip).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let at = t["access_token"].as_str().unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.state.settings.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET helpdesk_hold_at = $2 WHERE id = $1")
        .bind(&id)
        .bind(s.clock().now())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    // The userinfo memo of the record lapses like any other.
    s.clock().advance(s.state.settings.userinfo_cache_secs + 1);
    let (st, body) = refresh(&s, &secret, rt).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let res = rp_http()
        .get(s.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let page = b.get("/account").await;
    assert_ne!(page.status, 200, "{}", page.body);
    assert!(!signs_in(&s, &nip).await);
}

/// An officer may lift the helpdesk's hold, never SIASN's word. Two Enables sent at once on
/// a held person SIASN lists as CLTN were each checked against the person read with the
/// hold; the first lifts it, and the second must not then find no hold and set `active`
/// (an officer's own Disable, then two parallel Enables, would re-enable anyone the import
/// disabled). Another writer holds the person's row while both requests read the person,
/// so they write one after the other, as requests that raced would.
async fn two_enables_at_once_never_lift_siasn(backend: Backend) {
    use sqlx::Connection;
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, id) = s.add_user(Some(PASSWORD)).await;
    let token = officer_token(&d).await;
    import(s, &nip, "cltn").await;
    assert_eq!(api_act(&d, &token, &nip, "disable").await, 200);

    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.state.settings.database_url)
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let both = async {
        tokio::join!(
            api_act(&d, &token, &nip, "enable"),
            api_act(&d, &token, &nip, "enable")
        )
    };
    let release = async {
        // Both have read the person and wait for the row by now.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    };
    let ((a, b), ()) = tokio::join!(both, release);
    assert!(a == 200 || b == 200, "{a} {b}");
    let u = s.user(&nip).await;
    assert_eq!(
        (u.status.as_str(), u.helpdesk_hold_at),
        ("siasn_inactive", None),
        "an officer's Enables added up to an enable over SIASN"
    );
    assert!(!signs_in(s, &nip).await);
}
