//! The BKPSDM helpdesk console: own agency only, fresh MFA, reasons, audit and e-mail.

use crate::common::*;
use reqwest::StatusCode;

scenarios!(
    helpdesk_acts_within_its_agency_only,
    console_needs_role_fresh_mfa_reason_and_csrf,
    json_api_same_rules,
    admins_see_and_export_the_audit_trail,
    name_search_stays_in_the_agency_and_pages,
    every_action_is_mailed,
    staff_never_act_on_staff_nor_on_themselves,
    helpdesk_scope_only_for_clients_marked_for_it,
    api_wants_a_fresh_totp_and_refresh_keeps_its_age,
    step_up_guesses_are_counted_before_they_are_compared,
    audit_csv_cells_never_run_as_formulas,
    role_revoke_ends_what_the_role_granted,
    api_tokens_end_with_their_sign_in,
    only_an_admin_lifts_a_siasn_disable,
    set_email_ends_a_live_reset_code,
);

pub(crate) struct Desk {
    pub(crate) server: TestServer,
    pub(crate) smtp: SmtpSink,
    pub(crate) staff: Browser,
    pub(crate) staff_nip: String,
}

/// A browser signed in (password + TOTP) as `nip`.
async fn signed_in(server: &TestServer, nip: &str) -> Browser {
    let b = server.browser();
    let res = b.sign_in(nip, PASSWORD, None).await;
    assert_eq!(res.status(), 303, "signed in");
    b
}

/// The agency tool the operator marked for the helpdesk scope (`allowed_scopes`).
async fn helpdesk_tool(server: &TestServer) -> String {
    server
        .add_client_with("bkpsdm-tool", |c| {
            c.allowed_scopes = vec!["helpdesk".into()];
        })
        .await
}

/// A helpdesk of agency 4011 (Siti's agency in the fixtures), signed in with MFA.
pub(crate) async fn desk(backend: Backend) -> Desk {
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
    let staff = server.browser();
    let res = staff.sign_in(&staff_nip, PASSWORD, None).await;
    assert_eq!(res.status(), 303);
    Desk {
        server,
        smtp,
        staff,
        staff_nip,
    }
}

pub(crate) async fn find(d: &Desk, nip: &str) -> (StatusCode, String) {
    let page = d.staff.get(&format!("/helpdesk?nip={nip}")).await;
    (page.status, page.body)
}

pub(crate) async fn act(
    d: &Desk,
    page: &str,
    nip: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
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
    assert!(d.server.user(&other_nip).await.is_active());
    assert!(
        d.server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::HelpdeskDenied)
            .await
            .unwrap()
            >= 2,
        "cross-agency attempts are audited"
    );

    // Unlock a locked account.
    for _ in 0..5 {
        let attacker = d.server.browser();
        attacker.sign_in(&nip, "Salah#Sandi2026", None).await;
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
    let fresh = d.server.browser();
    // With the NIP on the form: the captcha its earlier failures need is shown.
    let login_page = fresh.get(&format!("/login?nip={nip}")).await;
    let res = fresh
        .post_login(&login_page, &[("nip", &nip), ("password", PASSWORD)])
        .await;
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
            .count_audit_events(gerbang::domain::audit::AuditKind::HelpdeskAction)
            .await
            .unwrap()
            >= 3
    );
}

pub(crate) async fn sqlx_set_agency(server: &TestServer, user_id: &str, agency: &str) {
    import_as(server, user_id, agency, None).await;
}

/// What the SIASN import says of the person now: their agency, and a new name if given.
pub(crate) async fn import_as(
    server: &TestServer,
    user_id: &str,
    agency: &str,
    name: Option<&str>,
) {
    let u = server
        .state
        .store
        .find_user(user_id)
        .await
        .unwrap()
        .unwrap();
    let n = gerbang::store::users::NewUser {
        nip: u.nip,
        name: name.map_or(u.name, str::to_string),
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
    .upsert(
        &[gerbang::store::import::ImportRow {
            user: n,
            status: None,
        }],
        server.state.clock.now(),
    )
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
    assert!(d.server.user(&nip).await.is_active());
    assert_eq!(
        d.server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::HelpdeskRefused)
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
    let plain = d.server.browser();
    plain.sign_in(&plain_nip, PASSWORD, None).await;
    assert_eq!(
        plain
            .http()
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
    let secret = helpdesk_tool(&d.server).await;
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
    assert!(d.server.user(&nip).await.is_active());
    let res = act(
        other_nip.clone(),
        serde_json::json!({"action": "disable", "reason": "Tiket 1234"}),
    )
    .await;
    assert_eq!(res.status(), 404);
    assert!(d.server.user(&other_nip).await.is_active());
    let res = act(
        nip.clone(),
        serde_json::json!({"action": "disable", "reason": "Tiket 1234"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(d.server.user(&nip).await.held());
    assert!(!d.server.user(&nip).await.is_active());
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
            .http()
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
    let admin = d.server.browser();
    admin.sign_in(&admin_nip, PASSWORD, None).await;
    let q = format!("/helpdesk/audit?actor={}&kind=helpdesk_action", d.staff_nip);
    let page = admin.get(&q).await.body;
    // The page says the action in words; the CSV keeps the stored ones.
    assert!(
        page.contains("Akhiri semua sesi: Tiket 5150") && page.contains(&nip),
        "{page}"
    );
    let csv = admin
        .http()
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
    assert!(
        lines[1].contains(&nip)
            && lines[1].contains("helpdesk_action")
            && lines[1].contains("end_sessions: Tiket 5150")
    );
    // A date range before anything happened is empty.
    let none = get_text(
        &admin,
        d.server
            .url(&format!("{q}&format=csv&from=2001-01-01&to=2001-01-31")),
    )
    .await;
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
    // The staff member is a "Siti Rahayu" of 4011 too, but staff are not listed to staff:
    // 21 matches in the agency.
    let first = d.staff.get("/helpdesk?name=rahayu").await.body;
    let listed = |p: &str| p.matches("<li><a href=\"/helpdesk?nip=").count();
    assert_eq!(listed(&first), 20);
    assert!(first.contains("id=\"next-page\""));
    let second = d.staff.get("/helpdesk?name=rahayu&page=1").await.body;
    assert_eq!(listed(&second), 1);
    assert!(!second.contains("id=\"next-page\""));
    for p in [&first, &second] {
        assert!(
            !p.contains(&other_nip),
            "another agency's people never appear"
        );
        assert!(
            !p.contains(&format!("nip={}", d.staff_nip)),
            "nor staff, the officer included"
        );
    }
    assert!(
        mine.iter()
            .all(|n| first.contains(n.as_str()) || second.contains(n.as_str()))
    );
    // LIKE wildcards are literal.
    let pct = d.staff.get("/helpdesk?name=%25%25%25").await.body;
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
        ("reset_mfa", "Reset verifikasi dua langkah"),
    ];
    for (i, (action, words)) in actions.iter().enumerate() {
        if *action == "unlock" {
            // Unlock is offered (and taken) only while something is locked.
            for _ in 0..5 {
                let attacker = d.server.browser();
                attacker.sign_in(&nip, "Salah#Sandi2026", None).await;
            }
        }
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
    assert!(
        d.server.user(&nip).await.is_active(),
        "enable undid disable"
    );
    assert_eq!(
        d.server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::HelpdeskAction)
            .await
            .unwrap(),
        5
    );
}

/// The token response of a code flow for `nip` through `client` (a fresh browser, password
/// and TOTP).
async fn tokens_for(
    server: &TestServer,
    client: &str,
    secret: &str,
    nip: &str,
    scope: &str,
) -> serde_json::Value {
    let b = browser();
    let url = authorize_url(server, client, scope);
    let res = login_through(server, &b, &url, nip, PASSWORD).await;
    let code = query_param(&location(&res), "code")
        .unwrap_or_else(|| panic!("no code: {}", location(&res)));
    exchange_code(server, client, secret, &code).await
}

fn field<'a>(t: &'a serde_json::Value, k: &str) -> &'a str {
    t[k].as_str().unwrap_or_else(|| panic!("no {k} in {t}"))
}

async fn api_get(server: &TestServer, token: &str, nip: &str) -> reqwest::Response {
    rp_http()
        .get(server.url(&format!("/api/helpdesk/users/{nip}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn api_act(
    server: &TestServer,
    token: &str,
    nip: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    rp_http()
        .post(server.url(&format!("/api/helpdesk/users/{nip}/actions")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn refresh(
    server: &TestServer,
    client: &str,
    secret: &str,
    refresh_token: &str,
) -> (StatusCode, serde_json::Value) {
    let res = rp_http()
        .post(server.url("/token"))
        .basic_auth(client, Some(secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn audits(server: &TestServer, kind: &str) -> i64 {
    let kind = gerbang::domain::audit::AuditKind::parse(kind).expect("a kind Gerbang writes");
    server.state.store.count_audit_events(kind).await.unwrap()
}

/// Issue 15 item 2: an officer of 4011 could set the e-mail and reset the MFA of an admin
/// (or another officer) whose record says 4011, then take the account by password reset.
async fn staff_never_act_on_staff_nor_on_themselves(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (peer_nip, peer_id) = s.add_user(Some(PASSWORD)).await;
    s.state
        .store
        .grant_role(&peer_id, "helpdesk", "4011")
        .await
        .unwrap();
    let (admin_nip, admin_id) = s.add_user(Some(PASSWORD)).await;
    s.state
        .store
        .grant_role(&admin_id, "admin", "")
        .await
        .unwrap();
    let (plain_nip, plain_id) = s.add_user(Some(PASSWORD)).await;
    let denied = audits(s, "helpdesk_denied").await;

    // Reads: staff (the officer included) look like a NIP nobody has.
    let (st, page) = find(&d, &plain_nip).await;
    assert_eq!(st, 200);
    for n in [&admin_nip, &peer_nip, &d.staff_nip] {
        assert_eq!(find(&d, n).await.0, StatusCode::NOT_FOUND, "{n}");
    }
    let list = d.staff.get("/helpdesk?name=rahayu").await.body;
    assert!(list.contains(&format!("nip={plain_nip}")));
    for n in [&admin_nip, &peer_nip, &d.staff_nip] {
        assert!(!list.contains(&format!("nip={n}")), "staff not listed");
    }

    // The takeover: the admin's e-mail, the other officer's MFA, the officer's own account.
    let res = act(
        &d,
        &page,
        &admin_nip,
        &[
            ("action", "set_email"),
            ("new_email", "penyerang@contoh.id"),
            ("reason", "Tiket 666 ganti email"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = act(
        &d,
        &page,
        &peer_nip,
        &[
            ("action", "reset_mfa"),
            ("reason", "Tiket 667 HP hilang"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = act(
        &d,
        &page,
        &d.staff_nip,
        &[
            ("action", "reset_mfa"),
            ("reason", "Tiket 668 HP baru"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        s.user(&admin_nip).await.email,
        format!("siti.{admin_nip}@bkn.go.id")
    );
    assert_eq!(s.state.store.list_totp(&peer_id).await.unwrap().len(), 1);
    let own_id = s.user(&d.staff_nip).await.id;
    assert_eq!(s.state.store.list_totp(&own_id).await.unwrap().len(), 1);

    // The same through the API.
    let tool = helpdesk_tool(s).await;
    let t = tokens_for(s, "bkpsdm-tool", &tool, &d.staff_nip, "openid helpdesk").await;
    let at = field(&t, "access_token");
    assert_eq!(api_get(s, at, &plain_nip).await.status(), 200);
    assert_eq!(api_get(s, at, &admin_nip).await.status(), 404);
    let evil = serde_json::json!({"action": "set_email", "new_email": "penyerang@contoh.id", "reason": "Tiket 669"});
    assert_eq!(api_act(s, at, &admin_nip, evil.clone()).await.status(), 404);
    assert_eq!(api_act(s, at, &peer_nip, evil.clone()).await.status(), 404);
    assert_eq!(
        api_act(s, at, &d.staff_nip, evil.clone()).await.status(),
        404
    );
    assert_eq!(
        s.user(&admin_nip).await.email,
        format!("siti.{admin_nip}@bkn.go.id")
    );
    assert_eq!(
        s.user(&d.staff_nip).await.email,
        format!("siti.{}@bkn.go.id", d.staff_nip)
    );
    assert!(
        audits(s, "helpdesk_denied").await >= denied + 10,
        "every refusal is audited"
    );
    assert_eq!(audits(s, "helpdesk_action").await, 0, "nothing was done");

    // Admins act on staff, never on themselves.
    let admin = signed_in(s, &admin_nip).await;
    let page = admin.get(&format!("/helpdesk?nip={peer_nip}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"person\""));
    let as_admin = |nip: String, action: &'static str| {
        let form = vec![
            ("csrf_token", hidden(&page.body, "csrf_token")),
            ("nip", nip),
            ("action", action.to_string()),
            ("reason", "Tiket 700 dari BKN".to_string()),
            ("confirm", "yes".to_string()),
        ];
        let (admin, url) = (admin.clone(), s.url("/helpdesk/action"));
        async move { admin.post(url).form(&form).send().await.unwrap() }
    };
    assert_eq!(
        as_admin(peer_nip.clone(), "end_sessions").await.status(),
        303
    );
    let refused = audits(s, "helpdesk_refused").await;
    let res = as_admin(admin_nip.clone(), "disable").await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text().await.unwrap().contains("atas akun Anda sendiri"),
        "says why"
    );
    assert!(s.user(&admin_nip).await.is_active());
    assert_eq!(audits(s, "helpdesk_refused").await, refused + 1);
    let t = tokens_for(s, "bkpsdm-tool", &tool, &admin_nip, "openid helpdesk").await;
    let at = field(&t, "access_token");
    assert_eq!(
        api_act(s, at, &admin_nip, evil.clone()).await.status(),
        403,
        "not on oneself through the API either"
    );
    assert_eq!(api_get(s, at, &peer_nip).await.status(), 200);
    let res = api_act(
        s,
        at,
        &peer_nip,
        serde_json::json!({"action": "unlock", "reason": "Tiket 701"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(s.user(&admin_nip).await.is_active());
    let _ = plain_id;
}

/// Issue 15 items 3 and 22: any first-party client (and, with one consent click, any
/// third-party one) got the `helpdesk` scope, and the API took any such token.
async fn helpdesk_scope_only_for_clients_marked_for_it(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let myasn = s
        .add_client("myasn", "ES256", &["authorization_code", "refresh_token"])
        .await;
    s.add_client_with("sscasn", |c| c.first_party = false).await;
    // A pushed request (RFC 9126) passes the same check.
    let res = rp_http()
        .post(s.url("/par"))
        .basic_auth("myasn", Some(&myasn))
        .form(&[
            ("client_id", "myasn"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid helpdesk"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");
    for client in ["myasn", "sscasn"] {
        // The officer is signed in (SSO): only the scope stands between them and a code.
        let res = d
            .staff
            .http()
            .get(authorize_url(s, client, "openid helpdesk"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302, "{client}");
        let back = location(&res);
        assert!(back.starts_with(REDIRECT), "{back}");
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("invalid_scope"),
            "{client}: {back}"
        );
        assert!(query_param(&back, "code").is_none());
        // The standard scopes stay every client's.
        let res = d
            .staff
            .http()
            .get(authorize_url(s, client, "openid profile email"))
            .send()
            .await
            .unwrap();
        let next = location(&res);
        assert!(!next.contains("error="), "{client}: {next}");
    }

    // The tool the operator marked works, for staff only.
    let tool = helpdesk_tool(s).await;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    let t = tokens_for(s, "bkpsdm-tool", &tool, &d.staff_nip, "openid helpdesk").await;
    assert_eq!(t["scope"], "openid helpdesk");
    let at = field(&t, "access_token");
    assert_eq!(api_get(s, at, &nip).await.status(), 200);
    let plain = tokens_for(s, "bkpsdm-tool", &tool, &nip, "openid helpdesk").await;
    assert_eq!(plain["scope"], "openid", "no staff role: no staff scope");

    // The operator withdraws the mark: the tokens it allowed stop at the API, and their
    // refresh family ends.
    let mut c = s
        .state
        .store
        .find_client("bkpsdm-tool")
        .await
        .unwrap()
        .unwrap();
    c.allowed_scopes.clear();
    s.state
        .store
        .upsert_client(&c, s.clock().now(), true)
        .await
        .unwrap();
    // The API reads the client fresh; /token within `client_cache_secs`.
    s.clock().advance(s.state.settings.client_cache_secs + 1);
    let res = api_get(s, at, &nip).await;
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    let (st, body) = refresh(s, "bkpsdm-tool", &tool, field(&t, "refresh_token")).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert!(audits(s, "access_denied").await >= 1);
}

/// Issue 15 item 3: a refreshed token with a 17-minute-old MFA still ran `end_sessions`
/// while the console asked for a new OTP.
async fn api_wants_a_fresh_totp_and_refresh_keeps_its_age(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let tool = helpdesk_tool(s).await;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    let t = tokens_for(s, "bkpsdm-tool", &tool, &d.staff_nip, "openid helpdesk").await;
    let auth_time = jwt_part(field(&t, "access_token"), 1)["auth_time"]
        .as_i64()
        .unwrap();
    assert_eq!(
        api_get(s, field(&t, "access_token"), &nip).await.status(),
        200
    );

    s.clock().advance(17 * 60);
    let (st, r) = refresh(s, "bkpsdm-tool", &tool, field(&t, "refresh_token")).await;
    assert_eq!(st, 200, "{r}");
    let at = field(&r, "access_token");
    assert_eq!(
        jwt_part(at, 1)["auth_time"].as_i64(),
        Some(auth_time),
        "refresh keeps the original auth_time"
    );
    let res = api_act(
        s,
        at,
        &nip,
        serde_json::json!({"action": "end_sessions", "reason": "Tiket 4242"}),
    )
    .await;
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains("error=\"insufficient_user_authentication\""),
        "{challenge}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_user_authentication");
    assert_eq!(api_get(s, at, &nip).await.status(), 401);
    assert_eq!(audits(s, "helpdesk_action").await, 0, "nothing was done");
    assert!(audits(s, "helpdesk_refused").await >= 2, "refusals audited");

    // Signing in again (a new code) makes it fresh.
    let t = tokens_for(s, "bkpsdm-tool", &tool, &d.staff_nip, "openid helpdesk").await;
    let res = api_act(
        s,
        field(&t, "access_token"),
        &nip,
        serde_json::json!({"action": "end_sessions", "reason": "Tiket 4242"}),
    )
    .await;
    assert_eq!(res.status(), 200);
}

/// Issue 15 item 6: 60 wrong step-up codes in 0.8 s, nothing counted, then the right one
/// accepted.
async fn step_up_guesses_are_counted_before_they_are_compared(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (plain_nip, _) = s.add_user(Some(PASSWORD)).await;
    s.clock().advance(16 * 60);
    let page = d.staff.get("/helpdesk").await.body;
    assert!(page.contains("action=\"/helpdesk/step-up\""));
    let csrf = hidden(&page, "csrf_token");
    // A code that no step near now accepts.
    let now = s.clock().now();
    let near: Vec<String> = (-3..=3)
        .map(|k| gerbang::domain::totp::code_at(TOTP_SECRET, (now + k * 30) as u64))
        .collect();
    let wrong = (123_456..)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap();

    let mut burst = Vec::new();
    for _ in 0..25 {
        let (b, url) = (d.staff.clone(), s.url("/helpdesk/step-up"));
        let form = [("csrf_token", csrf.clone()), ("otp", wrong.clone())];
        burst.push(tokio::spawn(async move {
            let res = b.post(url).form(&form).send().await.unwrap();
            let to = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (res.status(), to)
        }));
    }
    let mut compared = 0;
    let mut over = 0;
    for h in burst {
        match h.await.unwrap() {
            (StatusCode::UNAUTHORIZED, _) => compared += 1,
            (StatusCode::TOO_MANY_REQUESTS, _) => over += 1,
            // The session ended under the burst: sent to sign in.
            (StatusCode::SEE_OTHER, Some(to)) if to == "/login?req=helpdesk" => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(compared <= 5, "{compared} codes were compared");
    assert!(over >= 1, "the limit answered");
    assert!(audits(s, "helpdesk_refused").await >= compared + over);
    // The session that guessed is over.
    let res = d.staff.http().get(s.url("/helpdesk")).send().await.unwrap();
    assert_eq!(location(&res), "/login?req=helpdesk");

    // Signed in again: while over the limit, even the right code is refused unchecked.
    let again = signed_in(s, &d.staff_nip).await;
    let page = get_text(&again, s.url(&format!("/helpdesk?nip={plain_nip}"))).await;
    let res = again
        .post(s.url("/helpdesk/step-up"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("otp", s.otp(&d.staff_nip)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("WIB") && text.contains("masuk lagi"),
        "{text}"
    );
    assert!(
        text.contains("id=\"sign-in-again\"") && !text.contains("action=\"/helpdesk"),
        "only a way to sign in again"
    );

    // After the window, the right code opens the console again.
    s.clock().advance(16 * 60);
    let later = signed_in(s, &d.staff_nip).await;
    s.clock().advance(16 * 60);
    let page = get_text(&later, s.url("/helpdesk")).await;
    assert!(page.contains("action=\"/helpdesk/step-up\""));
    let res = later
        .post(s.url("/helpdesk/step-up"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("otp", s.otp(&d.staff_nip)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/helpdesk");
}

/// Issue 15 item 13: a device named `=HYPERLINK(…)` landed raw in the CSV export.
async fn audit_csv_cells_never_run_as_formulas(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, _) = s.add_user_without_device(PASSWORD).await;
    let b = s.browser();
    let page = b.get("/login").await;
    let res = b
        .post_login(&page, &[("nip", &nip), ("password", PASSWORD)])
        .await;
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

/// Runs the real `gerbang` binary against the server's database.
async fn gerbang_cli(server: &TestServer, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_gerbang"))
        .args(args)
        .env("GERBANG_DATABASE_URL", &server.state.settings.database_url)
        .env("GERBANG_KEYS_DIR", server.dir.path().join("cli-keys"))
        .current_dir(server.dir.path())
        .output()
        .await
        .unwrap()
}

/// Issue 15 item 18: after `gerbang role revoke`, refresh still answered 200 with the old
/// scope (helpdesk included) for the whole family.
async fn role_revoke_ends_what_the_role_granted(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let tool = helpdesk_tool(s).await;
    let portal = s
        .add_client_with("bkpsdm-portal", |c| {
            c.allowed_roles = vec!["helpdesk".into()];
        })
        .await;
    let myasn = s
        .add_client("myasn", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let staff = &d.staff_nip;
    let t_tool = tokens_for(s, "bkpsdm-tool", &tool, staff, "openid helpdesk").await;
    assert_eq!(t_tool["scope"], "openid helpdesk");
    let t_portal = tokens_for(s, "bkpsdm-portal", &portal, staff, "openid").await;
    let t_myasn = tokens_for(s, "myasn", &myasn, staff, "openid").await;
    let (st, r) = refresh(s, "bkpsdm-tool", &tool, field(&t_tool, "refresh_token")).await;
    assert_eq!(st, 200, "{r}");
    let rt_tool = field(&r, "refresh_token").to_string();
    let at_tool = field(&r, "access_token").to_string();
    let (plain_nip, _) = s.add_user(Some(PASSWORD)).await;
    assert_eq!(api_get(s, &at_tool, &plain_nip).await.status(), 200);

    let out = gerbang_cli(
        s,
        &[
            "role",
            "revoke",
            "--nip",
            staff,
            "--role",
            "helpdesk",
            "--instansi",
            "4011",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The access token still in the tool's hands is refused at once, and audited.
    let refused = audits(s, "helpdesk_refused").await;
    assert_eq!(api_get(s, &at_tool, &plain_nip).await.status(), 403);
    assert_eq!(audits(s, "helpdesk_refused").await, refused + 1);
    let (st, r) = refresh(s, "bkpsdm-tool", &tool, &rt_tool).await;
    assert_eq!(
        (st, r["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{r}"
    );
    let (st, r) = refresh(
        s,
        "bkpsdm-portal",
        &portal,
        field(&t_portal, "refresh_token"),
    )
    .await;
    assert_eq!(
        (st, r["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{r}"
    );
    let (st, r) = refresh(s, "myasn", &myasn, field(&t_myasn, "refresh_token")).await;
    assert_eq!(st, 200, "an ordinary service is not touched: {r}");
    // A new sign-in through the tool no longer gets the scope, nor the portal at all.
    let t = tokens_for(s, "bkpsdm-tool", &tool, staff, "openid helpdesk").await;
    assert_eq!(t["scope"], "openid");
}

/// An officer's sessions are ended (compromise suspected, password reset, logout): the
/// access tokens issued in them stop working on the staff API at once.
async fn api_tokens_end_with_their_sign_in(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let tool = helpdesk_tool(s).await;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    let t = tokens_for(s, "bkpsdm-tool", &tool, &d.staff_nip, "openid helpdesk").await;
    let at = field(&t, "access_token");
    assert_eq!(api_get(s, at, &nip).await.status(), 200);
    let staff = s.user(&d.staff_nip).await;
    gerbang::auth::session::end_all_for_user(&s.state, &staff.id)
        .await
        .unwrap();
    let res = api_get(s, at, &nip).await;
    assert_eq!(res.status(), 401, "the sign-in behind the token has ended");
}

/// Security review of issue 16: Enable set `active` whatever the status, so an officer could
/// bring back a person SIASN lists as dead or dismissed. The officer is refused (console and
/// API, both languages, nothing changes); an admin may, and the audit row says over what.
async fn only_an_admin_lifts_a_siasn_disable(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, user_id) = s.add_user(Some(PASSWORD)).await;
    let csv = s.dir.path().join("siasn.csv");
    std::fs::write(
        &csv,
        format!(
            "nip,name,email,instansi_id,unit_kerja,jabatan,status\n\
             {nip},Siti Rahayu,siti.{nip}@bkn.go.id,4011,Direktorat Sistem Informasi,,Meninggal Dunia\n"
        ),
    )
    .unwrap();
    let out = gerbang_cli(s, &["user", "import", csv.to_str().unwrap()]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(s.user(&nip).await.status.as_str(), "siasn_inactive");

    // The console says it in words, not the stored value.
    let (_, page) = find(&d, &nip).await;
    assert!(
        page.contains(r#"<dd id="status">Tidak aktif menurut SIASN</dd>"#),
        "{page}"
    );
    let refused_before = audits(s, "helpdesk_refused").await;
    let enable = [
        ("action", "enable"),
        ("reason", "Tiket 2026-16"),
        ("confirm", "yes"),
    ];
    let res = act(&d, &page, &nip, &enable).await;
    assert_eq!(res.status(), 403);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("instansi harus memperbaiki data di SIASN"),
        "{body}"
    );
    // The same in English.
    let res = d
        .staff
        .post(s.url("/helpdesk/action?lang=en"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("nip", nip.as_str()),
            ("action", "enable"),
            ("reason", "Tiket 2026-16"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("the agency must correct the record in SIASN"),
        "{body}"
    );

    // The API of the same officer: refused alike.
    let tool = helpdesk_tool(s).await;
    let token = token_for(s, &tool, &d.staff_nip, "openid helpdesk").await;
    let res = api_act(
        s,
        &token,
        &nip,
        serde_json::json!({"action": "enable", "reason": "Tiket 2026-16"}),
    )
    .await;
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        field(&body, "error_description").contains("SIASN"),
        "{body}"
    );
    let res = api_get(s, &token, &nip).await;
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "siasn_inactive"
    );
    assert_eq!(
        s.user(&nip).await.status.as_str(),
        "siasn_inactive",
        "nothing changed"
    );
    assert_eq!(audits(s, "helpdesk_refused").await, refused_before + 3);
    assert_eq!(audits(s, "helpdesk_action").await, 0);

    // Disable first, then Enable: the officer's Disable is a hold over the import's mark,
    // and the officer's Enable lifts only that hold: SIASN's word still keeps the account off.
    let disable = [
        ("action", "disable"),
        ("reason", "Tiket 2026-16"),
        ("confirm", "yes"),
    ];
    let res = act(&d, &page, &nip, &disable).await;
    assert_eq!(res.status(), 303);
    let held = s.user(&nip).await;
    assert_eq!(held.status.as_str(), "siasn_inactive");
    assert!(held.held());
    let res = act(&d, &page, &nip, &enable).await;
    assert_eq!(
        res.status(),
        303,
        "an officer lifts the helpdesk's own hold"
    );
    let lifted = s.user(&nip).await;
    assert_eq!(
        lifted.status.as_str(),
        "siasn_inactive",
        "SIASN's word stands"
    );
    assert!(!lifted.held() && !lifted.is_active());
    // A `disabled` status without a hold (as an unknown stored word reads): SIASN's word
    // still refuses the officer's Enable.
    s.state
        .store
        .set_user_status(
            &user_id,
            gerbang::domain::user_status::UserStatus::Disabled,
            s.clock().now(),
        )
        .await
        .unwrap();
    let res = act(&d, &page, &nip, &enable).await;
    assert_eq!(res.status(), 403, "SIASN still says the person left");
    assert_eq!(
        s.user(&nip).await.status.as_str(),
        "disabled",
        "nothing changed"
    );
    s.state
        .store
        .set_user_status(
            &user_id,
            gerbang::domain::user_status::UserStatus::SiasnInactive,
            s.clock().now(),
        )
        .await
        .unwrap();

    // An admin may, and the audit row names the SIASN state it went over.
    let (admin_nip, admin_id) = s.add_user(Some(PASSWORD)).await;
    s.state
        .store
        .grant_role(&admin_id, "admin", "")
        .await
        .unwrap();
    let admin = signed_in(s, &admin_nip).await;
    let page = admin.get(&format!("/helpdesk?nip={nip}")).await.body;
    let res = admin
        .post(s.url("/helpdesk/action"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("nip", nip.as_str()),
            ("action", "enable"),
            ("reason", "Tiket 2026-16"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(s.user(&nip).await.is_active());
    // Sessions from before the enable (never ended by the import) do not come back.
    assert_eq!(s.user(&nip).await.sessions_after, Some(s.clock().now()));
    let rows = s.state.store.recent_audit(&user_id, 15).await.unwrap();
    assert!(
        rows.iter()
            .any(|(_, kind, _, detail)| kind.as_str() == "helpdesk_action"
                && detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with("enable over SIASN"))),
        "{rows:?}"
    );
}

/// Security review of issue 16: the holder of the mailbox the helpdesk just replaced could
/// still finish a reset with a code mailed before the change (and so prove the new address).
async fn set_email_ends_a_live_reset_code(backend: Backend) {
    let d = desk(backend).await;
    let s = &d.server;
    let (nip, _) = s.add_user(Some(PASSWORD)).await;
    let old = format!("siti.{nip}@bkn.go.id");
    let before = s.user(&nip).await;
    let thief = browser();
    reset_request_code(s, &thief, &nip, &old).await;
    let stale = mailed_code(&d.smtp.wait_for(&old, 1).await.remove(0));

    let new = format!("baru.{nip}@bkn.go.id");
    let (_, page) = find(&d, &nip).await;
    let res = act(
        &d,
        &page,
        &nip,
        &[
            ("action", "set_email"),
            ("new_email", &new),
            ("reason", "Tiket 2026-16"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);

    // The person can ask at the new address at once: the old code no longer holds the
    // resend pause.
    let b = browser();
    reset_request_code(s, &b, &nip, &new).await;
    let mails = d.smtp.wait_for(&new, 2).await;
    let code = mails
        .iter()
        .find(|m| m.contains("Kode Anda: "))
        .map(|m| mailed_code(m))
        .expect("a reset code at the new address");

    // The old mailbox's code sets nothing.
    let pw = "Kunci-Baru#2026x";
    let res = reset_confirm(s, &thief, &nip, &stale, pw, pw).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("Kode salah atau sudah kedaluwarsa"), "{page}");
    let after = s.user(&nip).await;
    assert_eq!(
        after.password_hash, before.password_hash,
        "password unchanged"
    );
    assert!(!after.email_verified);

    let res = reset_confirm(s, &b, &nip, &code, pw, pw).await;
    assert_eq!(res.status(), 303);
    assert!(s.user(&nip).await.email_verified);
}
