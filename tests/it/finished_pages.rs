//! Issue 18 "Pages to finish" and "Everywhere", server side: confirmations on destructive
//! account actions, recovery codes by GET and as a download for the session that made them,
//! words instead of stored kinds and raw agents, enrolment on the same phone, the console's
//! actions (only what applies), the step-up keeping the person, the console link on the
//! launcher, and the request id on error pages.

use crate::common::*;
use reqwest::StatusCode;

scenarios!(
    destructive_account_actions_need_a_confirmation,
    recovery_codes_are_shown_by_get_and_downloaded_by_their_session_only,
    the_account_page_speaks_in_words,
    enrolment_opens_the_app_and_adding_a_device_can_be_cancelled,
    the_console_offers_and_takes_only_what_applies,
    the_step_up_keeps_the_person_searched,
    the_launcher_links_the_console_for_staff_only,
    error_pages_show_the_request_id,
);

const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

/// A browser signed in as `nip`.
async fn signed_in(server: &TestServer, nip: &str) -> Browser {
    let b = server.browser();
    let res = b.sign_in(nip, PASSWORD, None).await;
    assert_eq!(res.status(), 303, "signed in");
    b
}

/// Still signed in?
async fn alive(server: &TestServer, b: &Browser) -> bool {
    let res = b.http().get(server.url("/account")).send().await.unwrap();
    res.status() == StatusCode::OK
}

async fn destructive_account_actions_need_a_confirmation(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let other = signed_in(&server, &nip).await;
    server.clock().advance(30);
    let b = signed_in(&server, &nip).await;
    let page = b.get("/account").await;
    let left = server
        .state
        .store
        .unused_recovery_codes(&user_id)
        .await
        .unwrap();
    let device = page
        .body
        .split("id=\"device-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // Every destructive post without the confirmation: refused, said why, nothing changed.
    server.clock().advance(30);
    let code = server.otp(&nip);
    let res = b
        .submit(&page, "/account/recovery", &[("otp", &code)])
        .await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("Tidak ada yang diubah"), "{body}");
    assert!(
        body.contains("aria-describedby=\"account-error\""),
        "the form's fields point at the message"
    );
    let remove = format!("/account/devices/{device}/remove");
    let res = b
        .submit(
            &page,
            &remove,
            &[("otp", code.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 400);
    let res = b
        .http()
        .post(server.url("/account/sessions/end"))
        .form(&[
            ("csrf_token", hidden(&page.body, "csrf_token")),
            ("sid", "*".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = b
        .http()
        .post(server.url("/account/consents/revoke?lang=en"))
        .form(&[
            ("csrf_token", hidden(&page.body, "csrf_token")),
            ("client_id", "any".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Nothing was changed"));
    assert_eq!(
        server
            .state
            .store
            .unused_recovery_codes(&user_id)
            .await
            .unwrap(),
        left
    );
    assert_eq!(
        server.state.store.list_totp(&user_id).await.unwrap().len(),
        1
    );
    assert!(alive(&server, &other).await, "the other session lives");

    // The confirmation page names what ends and posts it; the post is answered by a redirect.
    assert_eq!(
        b.get("/account/confirm?what=session&sid=not-mine")
            .await
            .status,
        404
    );
    let confirm = b.get("/account/confirm?what=sessions").await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("name=\"confirm\" value=\"yes\""));
    assert!(confirm.body.contains("href=\"/account\" id=\"cancel\""));
    let res = b.submit(&confirm, "/account/sessions/end", &[]).await;
    assert_eq!(res.status(), 303, "PRG: a reload does not post again");
    assert_eq!(location(&res), "/account?done=sessions_ended");
    assert!(!alive(&server, &other).await, "the other session ended");
    assert!(alive(&server, &b).await, "this one stays");
}

async fn recovery_codes_are_shown_by_get_and_downloaded_by_their_session_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let other = signed_in(&server, &nip).await;
    server.clock().advance(30);
    let b = signed_in(&server, &nip).await;
    let page = b.get("/account").await;
    let anonymous = server.browser();
    // Nothing to download before any codes were made.
    assert_eq!(b.get("/account/recovery/download").await.status, 404);
    assert_eq!(
        location(
            &b.http()
                .get(server.url("/account/recovery/codes"))
                .send()
                .await
                .unwrap()
        ),
        "/account"
    );

    server.clock().advance(30);
    let code = server.otp(&nip);
    let res = b
        .submit(
            &page,
            "/account/recovery",
            &[("otp", code.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let token = to
        .strip_prefix("/account/recovery/codes?t=")
        .unwrap_or_else(|| panic!("{to}"))
        .to_string();
    let download = format!("/account/recovery/download?t={token}");
    let shown = b.get(&to).await;
    let codes: Vec<String> = shown
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(shown.body.contains(&format!("href=\"{download}\"")));
    assert!(shown.body.contains("src=\"/static/print.js\""));
    // A reload shows the same codes: nothing is made again.
    assert!(b.get(&to).await.body.contains(&codes[0]));
    assert_eq!(
        server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::RecoveryCodesRegenerated)
            .await
            .unwrap(),
        1
    );

    let res = b.http().get(server.url(&download)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let header = |n: &str| res.headers()[n].to_str().unwrap().to_string();
    assert_eq!(header("content-type"), "text/plain; charset=utf-8");
    assert!(header("content-disposition").starts_with("attachment;"));
    assert_eq!(header("cache-control"), "no-store");
    let text = res.text().await.unwrap();
    assert!(codes.iter().all(|c| text.contains(c.as_str())), "{text}");
    assert!(text.contains(&nip));

    // Another session of the same person, even with the link, or nobody: never.
    assert_eq!(other.get(&download).await.status, 404);
    assert_eq!(
        location(&other.http().get(server.url(&to)).send().await.unwrap()),
        "/account"
    );
    let res = anonymous
        .http()
        .get(server.url(&download))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    // A few minutes later, not even the session that made them (the cache's own clock:
    // Redis keeps real time, so only the in-process cache can be moved forward here).
    if !matches!(backend, Backend::PostgresRedis) {
        server.clock().advance(11 * 60);
        assert_eq!(b.get(&download).await.status, 404);
    }

    // The first device's codes (at enrolment) download too, in the new session.
    let (fresh_nip, _) = server.add_user_without_device(PASSWORD).await;
    let c = server.browser();
    let login = c.get("/login").await;
    let res = c
        .post_login(&login, &[("nip", &fresh_nip), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/mfa/enrol");
    let (res, _) = enrol(&server, &c, "HP Baru").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let link = body
        .split("href=\"/account/recovery/download?t=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("a download link with its token: {body}"));
    assert!(body.contains("href=\"/mfa/continue\""));
    // Not without the link's token, even in the new session.
    assert_eq!(c.get("/account/recovery/download").await.status, 404);
    let file = c.get(&format!("/account/recovery/download?t={link}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body.matches("\r\n").count(), 12, "{}", file.body);
}

async fn the_account_page_speaks_in_words(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(ANDROID_CHROME)
        .build()
        .unwrap();
    let (status, _) = login_attempt(&server, &server.url(""), &phone, &nip, PASSWORD, None).await;
    assert_eq!(status, 303);
    let id = get_text(&phone, server.url("/account")).await;
    let en = get_text(&phone, server.url("/account?lang=en")).await;
    assert!(id.contains("Chrome di Android"), "{id}");
    assert!(en.contains("Chrome on Android"), "{en}");
    assert!(id.contains("Berhasil masuk") && en.contains("Signed in"));
    for page in [&id, &en] {
        assert!(!page.contains("login_success"), "no stored words");
        assert!(!page.contains("Mozilla/5.0"), "no raw agent");
        assert!(page.contains("href=\"/\" id=\"to-launcher\""), "a way back");
        for section in [
            "id=\"devices-section\"",
            "id=\"password-section\"",
            "id=\"recovery-section\"",
            "id=\"sessions-section\"",
            "id=\"services-section\"",
            "id=\"activity-section\"",
        ] {
            assert!(page.contains(section), "{section}");
        }
        assert_eq!(page.matches("<h1").count(), 1, "one h1");
        assert!(
            page.contains("class=\"danger\""),
            "destructive buttons look it"
        );
    }
}

async fn enrolment_opens_the_app_and_adding_a_device_can_be_cancelled(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user_without_device(PASSWORD).await;
    let b = server.browser();
    let login = b.get("/login").await;
    b.post_login(&login, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    let page = b.get("/mfa/enrol").await.body;
    let link = page
        .split("href=\"otpauth://totp/")
        .nth(1)
        .expect("an otpauth link");
    let secret = page
        .split("data-totp-secret=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(link.split('"').next().unwrap().contains(secret));
    assert!(
        page.find("id=\"device_name\"").unwrap() < page.find("id=\"otp\"").unwrap(),
        "the name before the code that expires"
    );
    assert!(
        !page.contains("id=\"cancel\""),
        "a forced enrolment has no cancel"
    );

    // Adding one more from the account: its own heading, and a way back.
    let signed = signed_in(&server, &server.add_user(Some(PASSWORD)).await.0).await;
    let add = signed.get("/mfa/enrol?lang=en").await.body;
    assert!(
        add.contains("<h1>Add an authenticator device</h1>"),
        "{add}"
    );
    assert!(add.contains("href=\"/account\" id=\"cancel\""));
    assert!(add.contains("href=\"otpauth://totp/"));
}

/// A helpdesk officer of 4011 (named "BKPSDM Kota Contoh"), signed in with a fresh code.
async fn officer(server: &TestServer) -> (String, Browser) {
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store
        .upsert_instansi("4011", "BKPSDM Kota Contoh")
        .await
        .unwrap();
    store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    let b = server.browser();
    assert_eq!(b.sign_in(&staff_nip, PASSWORD, None).await.status(), 303);
    (staff_nip, b)
}

/// The `<option value="…">`s of the console's action list.
fn offered(page: &str) -> Vec<String> {
    let Some(select) = page.split("<select id=\"action\"").nth(1) else {
        return Vec::new();
    };
    let select = select.split("</select>").next().unwrap();
    select
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap().to_string())
        .collect()
}

async fn the_console_offers_and_takes_only_what_applies(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, staff) = officer(&server).await;
    let (nip, id) = server.add_user(Some(PASSWORD)).await;
    let page = staff.get(&format!("/helpdesk?nip={nip}&lang=en")).await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(
        body.contains("BKPSDM Kota Contoh (4011)"),
        "the agency by name"
    );
    assert_eq!(offered(body), ["reset_mfa", "disable", "end_sessions"]);
    // The e-mail change is its own form, and only it has (and requires) the new address.
    let action_form = body.split("id=\"action-form\"").nth(1).unwrap();
    let action_form = action_form.split("</form>").next().unwrap();
    assert!(!action_form.contains("new_email"));
    let email_form = body.split("id=\"email-form\"").nth(1).unwrap();
    let email_form = email_form.split("</form>").next().unwrap();
    assert!(email_form.contains("name=\"new_email\" type=\"email\" maxlength=\"254\" required"));
    assert!(
        body.contains("Last used") || body.contains("last used"),
        "dates labelled"
    );

    // What does not apply is refused with words, audited, and changes nothing.
    let refused = server
        .state
        .store
        .count_audit_events(gerbang::domain::audit::AuditKind::HelpdeskRefused)
        .await
        .unwrap();
    for action in ["unlock", "enable"] {
        let res = staff
            .submit(
                &page,
                "/helpdesk/action",
                &[
                    ("action", action),
                    ("reason", "Tiket 1818"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status(), 409, "{action}");
        assert!(res.text().await.unwrap().contains("does not apply"));
    }
    assert_eq!(
        server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::HelpdeskRefused)
            .await
            .unwrap(),
        refused + 2
    );
    assert!(server.user(&nip).await.is_active());

    // Locked: Unlock is offered and works; events read in words.
    for _ in 0..5 {
        server
            .browser()
            .sign_in(&nip, "Salah#Sandi2026", None)
            .await;
    }
    let page = staff.get(&format!("/helpdesk?nip={nip}&lang=en")).await;
    assert_eq!(
        offered(&page.body),
        ["unlock", "reset_mfa", "disable", "end_sessions"]
    );
    assert!(page.body.contains("Sign-in failed"), "events in words");
    assert!(!page.body.contains("login_failure"));
    let res = staff
        .submit(
            &page,
            "/helpdesk/action",
            &[
                ("action", "unlock"),
                ("reason", "Tiket 1819"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    // No device left: no MFA reset offered nor taken.
    let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
    let res = staff
        .submit(
            &page,
            "/helpdesk/action",
            &[
                ("action", "reset_mfa"),
                ("reason", "HP hilang"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(server.state.store.list_totp(&id).await.unwrap().is_empty());
    let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
    assert_eq!(offered(&page.body), ["disable", "end_sessions"]);
    assert!(page.body.contains("id=\"no-devices\""));
    assert!(
        page.body
            .contains("Reset two-step verification (remove every device): HP hilang"),
        "the action in the events in words"
    );
    assert!(
        !page.body.contains("id=\"to-audit\""),
        "the audit trail is for admins"
    );
    let res = staff
        .submit(
            &page,
            "/helpdesk/action",
            &[
                ("action", "reset_mfa"),
                ("reason", "HP hilang"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
}

async fn the_step_up_keeps_the_person_searched(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (staff_nip, staff) = officer(&server).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    server.clock().advance(16 * 60);
    let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
    assert!(page.body.contains("action=\"/helpdesk/step-up\""));
    assert!(page.body.contains(&format!("name=\"nip\" value=\"{nip}\"")));
    let res = staff
        .submit(
            &page,
            "/helpdesk/step-up",
            &[("otp", &server.otp(&staff_nip))],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/helpdesk?nip={nip}"));
    let page = staff.get(&location(&res)).await;
    assert!(page.body.contains("id=\"person\"") && page.body.contains(&nip));
}

async fn the_launcher_links_the_console_for_staff_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, staff) = officer(&server).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let plain = signed_in(&server, &nip).await;
    let home = staff.get("/").await.body;
    assert!(home.contains("href=\"/helpdesk\""), "{home}");
    let home = plain.get("/").await.body;
    assert!(!home.contains("/helpdesk"), "no console link for others");
    assert!(home.contains("href=\"/account\""));
}

async fn error_pages_show_the_request_id(backend: Backend) {
    let server = TestServer::start(backend).await;
    let b = server.browser();
    let res = b
        .http()
        .get(server.url("/no-such-page?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!("<code id=\"request-id\">{id}</code>")),
        "{body}"
    );
    assert!(body.contains("quote this request code"));
    // A client's own id is not the one to quote: no proxy is trusted here (a trusted
    // proxy's is kept: `attacks_signin::a_trusted_proxy_keeps_its_request_id`).
    let res = b
        .http()
        .get(server.url("/no-such-page"))
        .header("x-request-id", "edge-7f3a")
        .send()
        .await
        .unwrap();
    assert!(!res.text().await.unwrap().contains("edge-7f3a"));
}
