//! The BKPSDM helpdesk console: own agency only, fresh MFA, reasons, audit and e-mail.

mod common;

use common::*;
use reqwest::StatusCode;

scenarios!(
    helpdesk_acts_within_its_agency_only,
    console_needs_role_fresh_mfa_reason_and_csrf,
    json_api_same_rules,
    admins_see_and_export_the_audit_trail,
    name_search_stays_in_the_agency_and_pages,
    every_action_is_mailed,
    audit_csv_cells_never_run_as_formulas,
);

struct Desk {
    server: TestServer,
    smtp: SmtpSink,
    staff: reqwest::Client,
    staff_nip: String,
}

/// A browser signed in (password + TOTP) as `nip`.
async fn signed_in(server: &TestServer, nip: &str) -> reqwest::Client {
    let b = browser();
    let page = get_text(&b, server.url("/login")).await;
    let res = b
        .post(server.url("/login"))
        .form(&login_fields(server, &page, nip, PASSWORD).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed in");
    b
}

/// A helpdesk of agency 4011 (Siti's agency in the fixtures), signed in with MFA.
async fn desk(backend: Backend) -> Desk {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .upsert_instansi("4011", "BKN")
        .await
        .unwrap();
    server
        .state
        .store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    let staff = browser();
    let page = staff
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = staff
        .post(server.url("/login"))
        .form(&login_fields(&server, &page, &staff_nip, PASSWORD).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    Desk {
        server,
        smtp,
        staff,
        staff_nip,
    }
}

async fn find(d: &Desk, nip: &str) -> (StatusCode, String) {
    let res = d
        .staff
        .get(d.server.url(&format!("/helpdesk?nip={nip}")))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn act(d: &Desk, page: &str, nip: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("csrf_token".to_string(), hidden(page, "csrf_token")),
        ("nip".to_string(), nip.to_string()),
    ];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    d.staff
        .post(d.server.url("/helpdesk/action"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn helpdesk_acts_within_its_agency_only(backend: Backend) {
    let d = desk(backend).await;
    let (nip, id) = d.server.add_user(Some(PASSWORD)).await; // agency 4011
    // Someone of another agency, and a NIP nobody has.
    let (other_nip, other_id) = d.server.add_user(Some(PASSWORD)).await;
    sqlx_set_agency(&d.server, &other_id, "2301").await;

    let (st, page) = find(&d, &nip).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("Siti Rahayu")
            && page.contains("si***@bkn.go.id")
            && page.contains("HP Pribadi"),
        "masked e-mail, devices"
    );
    let (st_other, other) = find(&d, &other_nip).await;
    let (st_none, none) = find(&d, "199001012015011001").await;
    assert_eq!(
        (st_other, st_none),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    let msg = |p: &str| {
        p[p.find("id=\"helpdesk-error\"").unwrap()..]
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        msg(&other),
        msg(&none),
        "another agency's person looks exactly like nobody"
    );
    // Writes are refused the same way, and nothing changes.
    let res = act(
        &d,
        &page,
        &other_nip,
        &[
            ("action", "disable"),
            ("reason", "TIKET-123"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(d.server.user(&other_nip).await.status, "active");
    assert!(
        d.server
            .state
            .store
            .count_audit_events("helpdesk_denied")
            .await
            .unwrap()
            >= 2,
        "cross-agency attempts are audited"
    );

    // Unlock a locked account.
    for _ in 0..5 {
        let attacker = browser();
        let p = attacker
            .get(d.server.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let f = login_fields(&d.server, &p, &nip, "Salah#Sandi2026").await;
        attacker
            .post(d.server.url("/login"))
            .form(&f)
            .send()
            .await
            .unwrap();
    }
    assert!(
        d.server
            .user(&nip)
            .await
            .locked_at(d.server.clock().now())
            .is_some()
    );
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "unlock"),
            ("reason", "Tiket #4711: telepon"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        d.server
            .user(&nip)
            .await
            .locked_at(d.server.clock().now())
            .is_none()
    );
    let mail = d
        .smtp
        .wait_for(&format!("siti.{nip}@bkn.go.id"), 1)
        .await
        .remove(0);
    assert!(
        mail.contains("Helpdesk BKPSDM 4011") && mail.contains("Buka kunci akun"),
        "{mail}"
    );

    // Reset MFA: devices gone, sessions and refresh tokens end, next login enrols again.
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "reset_mfa"),
            ("reason", "HP hilang, tiket 88"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        d.server
            .state
            .store
            .list_totp(&id)
            .await
            .unwrap()
            .is_empty()
    );
    let fresh = browser();
    let login_page = fresh
        .get(d.server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut f = login_fields(&d.server, &login_page, &nip, PASSWORD).await;
    f.retain(|(k, _)| k != "otp");
    let res = fresh
        .post(d.server.url("/login"))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/mfa/enrol");

    // E-mail change: validated, mailed to the old and the new address.
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "set_email"),
            ("new_email", "bukan email"),
            ("reason", "Salah ketik di SIASN"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "set_email"),
            ("new_email", "siti.baru@bkn.go.id"),
            ("reason", "Salah ketik di SIASN"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(d.server.user(&nip).await.email, "siti.baru@bkn.go.id");
    d.smtp.wait_for("siti.baru@bkn.go.id", 1).await;
    assert!(
        d.server
            .state
            .store
            .count_audit_events("helpdesk_action")
            .await
            .unwrap()
            >= 3
    );
}

async fn sqlx_set_agency(server: &TestServer, user_id: &str, agency: &str) {
    let u = server
        .state
        .store
        .find_user(user_id)
        .await
        .unwrap()
        .unwrap();
    let n = gerbang::store::users::NewUser {
        nip: u.nip,
        name: u.name,
        email: u.email,
        instansi_id: Some(agency.into()),
        unit_kerja: None,
        jabatan: None,
        password_hash: None,
    };
    // The SIASN import is how an agency changes: it never touches the password.
    gerbang::store::import::Importer::open(
        server.state.store.clone(),
        &server.state.settings.database_url,
    )
    .await
    .unwrap()
    .upsert(&[n], server.state.clock.now())
    .await
    .unwrap();
}

async fn console_needs_role_fresh_mfa_reason_and_csrf(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let (_, page) = find(&d, &nip).await;

    // Reason missing or no confirmation: refused, nothing done.
    let res = act(
        &d,
        &page,
        &nip,
        &[("action", "disable"), ("reason", "abc"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = act(
        &d,
        &page,
        &nip,
        &[("action", "disable"), ("reason", "Tiket 1234")],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(d.server.user(&nip).await.status, "active");
    assert_eq!(
        d.server
            .state
            .store
            .count_audit_events("helpdesk_refused")
            .await
            .unwrap(),
        2,
        "refusals are audited"
    );
    // CSRF.
    let res = d
        .staff
        .post(d.server.url("/helpdesk/action"))
        .form(&[
            ("nip", nip.as_str()),
            ("action", "disable"),
            ("reason", "Tiket 1234"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Disable: existing refresh tokens stop working.
    let secret = d
        .server
        .add_client("myasn", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let user_browser = browser();
    let url = authorize_url(&d.server, "myasn", "openid");
    let res = login_through(&d.server, &user_browser, &url, &nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t: serde_json::Value = exchange_code(&d.server, "myasn", &secret, &code).await;
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "disable"),
            ("reason", "Pensiun, tiket 9"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = rp_http()
        .post(d.server.url("/token"))
        .basic_auth("myasn", Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "disabled: the refresh token is dead");

    // Fresh MFA: after 15 minutes the console asks for the OTP again.
    d.server.clock().advance(16 * 60);
    let (st, page) = find(&d, &nip).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("action=\"/helpdesk/step-up\"") && !page.contains("id=\"person\""),
        "re-prompted, nothing shown"
    );
    let res = d
        .staff
        .post(d.server.url("/helpdesk/step-up"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("otp", d.server.otp(&d.staff_nip)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, page) = find(&d, &nip).await;
    assert!(page.contains("id=\"person\""));

    // Without the role: 403.
    let (plain_nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let plain = browser();
    let p = plain
        .get(d.server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    plain
        .post(d.server.url("/login"))
        .form(&login_fields(&d.server, &p, &plain_nip, PASSWORD).await)
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain
            .get(d.server.url("/helpdesk"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

/// An access token for `nip` from the code flow with the given scope.
async fn token_for(server: &TestServer, secret: &str, nip: &str, scope: &str) -> String {
    let b = browser();
    let url = authorize_url(server, "bkpsdm-tool", scope);
    let res = login_through(server, &b, &url, nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t: serde_json::Value = exchange_code(server, "bkpsdm-tool", secret, &code).await;
    t["access_token"].as_str().unwrap().to_string()
}

async fn json_api_same_rules(backend: Backend) {
    let d = desk(backend).await;
    let secret = d
        .server
        .add_client("bkpsdm-tool", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let (other_nip, other_id) = d.server.add_user(Some(PASSWORD)).await;
    sqlx_set_agency(&d.server, &other_id, "2301").await;
    let token = token_for(&d.server, &secret, &d.staff_nip, "openid helpdesk").await;
    let http = rp_http();
    let get = |nip: String, tok: Option<String>| {
        let (http, url) = (
            http.clone(),
            d.server.url(&format!("/api/helpdesk/users/{nip}")),
        );
        async move {
            let mut r = http.get(url);
            if let Some(t) = tok {
                r = r.bearer_auth(t);
            }
            r.send().await.unwrap()
        }
    };
    let res = get(nip.clone(), Some(token.clone())).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["nip"], nip.as_str());
    assert_eq!(body["mfa_devices"], 1);
    assert!(body["email_masked"].as_str().unwrap().contains("***@"));
    assert_eq!(
        get(other_nip.clone(), Some(token.clone())).await.status(),
        404,
        "other agency = not found"
    );
    assert_eq!(
        get("199001012015011001".into(), Some(token.clone()))
            .await
            .status(),
        404
    );
    assert_eq!(get(nip.clone(), None).await.status(), 401);

    let act = |nip: String, body: serde_json::Value| {
        let (http, url, token) = (
            http.clone(),
            d.server.url(&format!("/api/helpdesk/users/{nip}/actions")),
            token.clone(),
        );
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = act(
        nip.clone(),
        serde_json::json!({"action": "disable", "reason": "x"}),
    )
    .await;
    assert_eq!(res.status(), 400, "reason required");
    assert_eq!(d.server.user(&nip).await.status, "active");
    let res = act(
        other_nip.clone(),
        serde_json::json!({"action": "disable", "reason": "Tiket 1234"}),
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(d.server.user(&other_nip).await.status, "active");
    let res = act(
        nip.clone(),
        serde_json::json!({"action": "disable", "reason": "Tiket 1234"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(d.server.user(&nip).await.status, "disabled");
    d.smtp.wait_for(&format!("siti.{nip}@bkn.go.id"), 1).await;

    // A token without the scope, or a user without the role: 403.
    let plain = token_for(&d.server, &secret, &d.staff_nip, "openid").await;
    assert_eq!(get(other_nip.clone(), Some(plain)).await.status(), 403);
    let (nobody, _) = d.server.add_user(Some(PASSWORD)).await;
    let no_role = token_for(&d.server, &secret, &nobody, "openid helpdesk").await;
    assert_eq!(get(other_nip.clone(), Some(no_role)).await.status(), 403);

    let spec: serde_json::Value = http
        .get(d.server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/helpdesk/users/{nip}/actions"]["post"].is_object());
}

async fn admins_see_and_export_the_audit_trail(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let (_, page) = find(&d, &nip).await;
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "end_sessions"),
            ("reason", "Tiket 5150"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    // A helpdesk is not an admin.
    assert_eq!(
        d.staff
            .get(d.server.url("/helpdesk/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let (admin_nip, admin_id) = d.server.add_user(Some(PASSWORD)).await;
    d.server
        .state
        .store
        .grant_role(&admin_id, "admin", "")
        .await
        .unwrap();
    let admin = browser();
    let p = admin
        .get(d.server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    admin
        .post(d.server.url("/login"))
        .form(&login_fields(&d.server, &p, &admin_nip, PASSWORD).await)
        .send()
        .await
        .unwrap();
    let q = format!("/helpdesk/audit?actor={}&kind=helpdesk_action", d.staff_nip);
    let page = admin
        .get(d.server.url(&q))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("end_sessions: Tiket 5150") && page.contains(&nip),
        "{page}"
    );
    let csv = admin
        .get(d.server.url(&format!("{q}&format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "at,kind,actor_nip,subject_nip,ip,detail");
    assert_eq!(
        lines.len(),
        2,
        "exactly the one action by that actor: {text}"
    );
    assert!(lines[1].contains(&nip) && lines[1].contains("helpdesk_action"));
    // A date range before anything happened is empty.
    let none = admin
        .get(
            d.server
                .url(&format!("{q}&format=csv&from=2001-01-01&to=2001-01-31")),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(none.lines().count(), 1);
}

async fn name_search_stays_in_the_agency_and_pages(backend: Backend) {
    let d = desk(backend).await;
    let mut mine = Vec::new();
    for _ in 0..21 {
        mine.push(d.server.add_user(None).await.0); // all "Siti Rahayu", agency 4011
    }
    let (other_nip, other_id) = d.server.add_user(None).await;
    sqlx_set_agency(&d.server, &other_id, "2301").await;
    // The staff member is a "Siti Rahayu" of 4011 too: 22 matches in the agency.
    let first = d
        .staff
        .get(d.server.url("/helpdesk?name=rahayu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listed = |p: &str| p.matches("<li><a href=\"/helpdesk?nip=").count();
    assert_eq!(listed(&first), 20);
    assert!(first.contains("id=\"next-page\""));
    let second = d
        .staff
        .get(d.server.url("/helpdesk?name=rahayu&page=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&second), 2);
    assert!(!second.contains("id=\"next-page\""));
    for p in [&first, &second] {
        assert!(
            !p.contains(&other_nip),
            "another agency's people never appear"
        );
    }
    assert!(
        mine.iter()
            .all(|n| first.contains(n.as_str()) || second.contains(n.as_str()))
    );
    // LIKE wildcards are literal.
    let pct = d
        .staff
        .get(d.server.url("/helpdesk?name=%25%25%25"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&pct), 0);
}

async fn every_action_is_mailed(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let to = format!("siti.{nip}@bkn.go.id");
    let (_, page) = find(&d, &nip).await;
    let actions = [
        ("disable", "Nonaktifkan akun"),
        ("enable", "Aktifkan akun"),
        ("end_sessions", "Akhiri semua sesi"),
        ("unlock", "Buka kunci akun"),
        ("reset_mfa", "Reset MFA"),
    ];
    for (i, (action, words)) in actions.iter().enumerate() {
        let res = act(
            &d,
            &page,
            &nip,
            &[
                ("action", action),
                ("reason", "Tiket 2024-77"),
                ("confirm", "yes"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303, "{action}");
        let mails = d.smtp.wait_for(&to, i + 1).await;
        assert!(
            mails
                .iter()
                .any(|m| m.contains(words) && m.contains("Tiket 2024-77")),
            "{action} mailed"
        );
    }
    assert_eq!(
        d.server.user(&nip).await.status,
        "active",
        "enable undid disable"
    );
    assert_eq!(
        d.server
            .state
            .store
            .count_audit_events("helpdesk_action")
            .await
            .unwrap(),
        5
    );
}

/// Issue 15 item 13: a device named `=HYPERLINK(…)` landed raw in the CSV export.
async fn audit_csv_cells_never_run_as_formulas(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, _) = s.add_user_without_device(PASSWORD).await;
    let b = browser();
    let page = get_text(&b, s.url("/login")).await;
    let mut f = login_fields(s, &page, &nip, PASSWORD).await;
    f.retain(|(k, _)| k != "otp");
    let res = b.post(s.url("/login")).form(&f).send().await.unwrap();
    assert_eq!(location(&res), "/mfa/enrol");
    let evil = "=HYPERLINK(\"http://evil.example/\",\"Klik\")";
    let (res, _) = enrol(s, &b, evil).await;
    assert!(res.status().is_success(), "{}", res.status());

    let (admin_nip, admin_id) = s.add_user(Some(PASSWORD)).await;
    s.state
        .store
        .grant_role(&admin_id, "admin", "")
        .await
        .unwrap();
    let admin = signed_in(s, &admin_nip).await;
    let csv = get_text(
        &admin,
        s.url(&format!(
            "/helpdesk/audit?subject={nip}&kind=mfa_device_added&format=csv"
        )),
    )
    .await;
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert_eq!(&rows[0][5], format!("'{evil}"), "shown as text");
    for cell in rows.iter().flat_map(|r| r.iter()) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} would run"
        );
    }
}
