//! Activation that keeps the service it started from, a language switch that keeps the page,
//! the new-password page telling everything at once, and the account page's notices in words.

use crate::common::*;
use gerbang::web::i18n::Lang;
use gerbang::web::notice::Done;
use reqwest::StatusCode;

scenarios!(
    activation_from_a_service_ends_at_the_service,
    a_carried_request_is_only_an_id_the_server_knows,
    the_language_switch_keeps_the_page,
    the_new_password_page_tells_everything_on_the_first_submit,
    every_account_notice_is_text_in_both_languages,
);

const NEW_PASSWORD: &str = "Kunci-Baru#2026x";

/// Where `/authorize` sends an anonymous browser, and the request id it carries.
async fn start_at_service(server: &TestServer, b: &Browser, extra: &str) -> (String, String) {
    let url = format!("{}{extra}", authorize_url(server, "myasn", "openid"));
    let res = b.http().get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = location(&res);
    let req = query_param(&server.url(&login), "req").expect("a request id");
    (login, req)
}

/// Asks for a code on `reset` (the `/reset` page) and returns the mailed code.
async fn ask_code(
    server: &TestServer,
    smtp: &SmtpSink,
    b: &Browser,
    reset: &Page,
    nip: &str,
) -> (Page, String) {
    let email = server.user(nip).await.email;
    let (_, answer) = captcha_answer(server, &reset.body).await.unwrap();
    let res = b
        .submit(
            reset,
            "/reset",
            &[("nip", nip), ("email", &email), ("captcha", &answer)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let sent = Page {
        status: res.status(),
        url: server.url("/reset"),
        body: res.text().await.unwrap(),
    };
    let code = mailed_code(smtp.wait_for(&email, 1).await.last().unwrap());
    (sent, code)
}

/// The `href` of the page's language switch, as written in the HTML.
fn switch_href(page: &str) -> String {
    let mark = "<a class=\"lang\" href=\"";
    let start = page.find(mark).expect("a language switch") + mark.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

async fn activation_from_a_service_ends_at_the_service(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.import_user().await;
    let b = server.browser();
    let (login, req) = start_at_service(&server, &b, "").await;
    let page = b.get(&login).await;
    assert!(page.body.contains("Layanan myasn"), "{}", page.body);

    // "Forgot password / not activated yet" is a plain link; the browser knows the service.
    let reset = b.get("/reset").await;
    assert_eq!(
        hidden(&reset.body, "req"),
        req,
        "the reset continues the request"
    );
    assert!(
        reset
            .body
            .contains("untuk melanjutkan ke <strong>Layanan myasn</strong>")
    );
    let (sent, code) = ask_code(&server, &smtp, &b, &reset, &nip).await;
    assert!(
        sent.body
            .contains(&format!("/reset/confirm?nip={nip}&#38;req={req}")),
        "{}",
        sent.body
    );

    // The e-mailed link carries no request id; the browser that asked for it continues.
    let confirm = b
        .get(&format!("/reset/confirm?nip={nip}&code={code}"))
        .await;
    assert_eq!(hidden(&confirm.body, "req"), req);
    let res = b
        .submit(
            &confirm,
            "/reset/confirm",
            &[
                ("nip", &nip),
                ("code", &code),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let next = location(&res);
    assert_eq!(next, format!("/login?done=reset&nip={nip}&req={req}"));

    // The login form says where it continues, with the NIP filled in (typed once).
    let login = b.get(&next).await;
    assert!(login.body.contains("Kata sandi berhasil disimpan"));
    assert!(
        login
            .body
            .contains("untuk melanjutkan ke <strong>Layanan myasn</strong>")
    );
    assert!(
        login.body.contains(&format!("value=\"{nip}\"")),
        "NIP filled in"
    );
    assert_eq!(hidden(&login.body, "req"), req);
    let res = b
        .submit(
            &login,
            "/login",
            &[("nip", &nip), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/mfa/enrol");
    let (res, _) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), StatusCode::OK);
    // After the recovery codes: the service, not the launcher.
    let res = b
        .http()
        .get(server.url("/mfa/continue"))
        .send()
        .await
        .unwrap();
    let to = location(&res);
    assert!(to.starts_with(REDIRECT), "{to}");
    assert!(query_param(&to, "code").is_some());
    assert_eq!(query_param(&to, "state").as_deref(), Some("s"));
}

async fn a_carried_request_is_only_an_id_the_server_knows(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    // Someone else's request, naming their NIP as the login hint.
    let (nip_a, _) = server.add_user(Some(PASSWORD)).await;
    let a = server.browser();
    let (_, req_a) = start_at_service(&server, &a, &format!("&login_hint={nip_a}")).await;

    // B opens a link carrying A's request id and activates with it.
    let (nip_b, _) = server.import_user().await;
    let b = server.browser();
    let reset = b.get(&format!("/reset?req={req_a}")).await;
    assert!(!reset.body.contains(&nip_a), "A's NIP is never shown to B");
    let (_, code) = ask_code(&server, &smtp, &b, &reset, &nip_b).await;
    let confirm = b
        .get(&format!("/reset/confirm?nip={nip_b}&code={code}"))
        .await;
    assert!(!confirm.body.contains(&nip_a));
    let res = b
        .submit(
            &confirm,
            "/reset/confirm",
            &[
                ("nip", &nip_b),
                ("code", &code),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    let next = location(&res);
    // Only ever Gerbang's own login; B's NIP wins over the hint in A's request.
    assert_eq!(next, format!("/login?done=reset&nip={nip_b}&req={req_a}"));
    let login = b.get(&next).await;
    assert!(login.body.contains(&format!("value=\"{nip_b}\"")));
    assert!(!login.body.contains(&nip_a), "A's login hint stays hidden");

    // Unknown, expired or address-like ids are dropped without a word: nothing links away.
    for bad in [
        "nope",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example",
        "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let fresh = server.browser();
        for path in [
            format!("/reset?req={bad}"),
            format!("/reset/confirm?nip={nip_b}&code=12345678&req={bad}"),
            format!("/reset/sent?nip={nip_b}&req={bad}"),
        ] {
            let page = fresh.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(!page.body.contains("melanjutkan ke"), "{path}");
            assert!(!page.body.contains("<script>alert"), "{path}");
            assert!(!page.body.contains("href=\"https://evil"), "{path}");
            assert!(!page.body.contains("href=\"//evil"), "{path}");
            // Only the language switch keeps it, as a link to this very page.
            let switch = switch_href(&page.body);
            assert!(switch.starts_with('?'), "{switch}");
            let rest = page.body.replace(&switch, "");
            assert!(!rest.contains("evil.example"), "{path}: no link carries it");
            assert!(!rest.contains("req=nope"), "{path}: no link carries it");
        }
    }

    // A request that is gone by the time the password is set (expired, or answered in
    // another tab): the login is a plain one, and the launcher follows the sign-in.
    let (nip_c, _) = server.import_user().await;
    let c = server.browser();
    let (login, req_c) = start_at_service(&server, &c, "").await;
    c.get(&login).await;
    let reset = c.get("/reset").await;
    assert_eq!(hidden(&reset.body, "req"), req_c);
    let (_, code) = ask_code(&server, &smtp, &c, &reset, &nip_c).await;
    let confirm = c
        .get(&format!("/reset/confirm?nip={nip_c}&code={code}"))
        .await;
    server
        .state
        .cache
        .del::<gerbang::oidc::request::AuthreqEntry>(&req_c)
        .await
        .unwrap();
    let res = c
        .submit(
            &confirm,
            "/reset/confirm",
            &[
                ("nip", &nip_c),
                ("code", &code),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/login?done=reset&nip={nip_c}"));
    let login = c.get(&location(&res)).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(!login.body.contains("melanjutkan ke"));
}

async fn the_language_switch_keeps_the_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();

    // Mid-sign-in: the request survives the switch, and the way back.
    let (login, req) = start_at_service(&server, &b, "").await;
    let page = b.get(&login).await;
    let href = switch_href(&page.body);
    assert_eq!(href, format!("?req={req}&amp;lang=en"));
    let en = b
        .get(&format!("/login{}", href.replace("&amp;", "&")))
        .await;
    assert!(en.body.contains("<h1>Sign in</h1>"));
    assert!(
        en.body
            .contains("to continue to <strong>Layanan myasn</strong>")
    );
    assert_eq!(hidden(&en.body, "req"), req);
    assert_eq!(switch_href(&en.body), format!("?req={req}&amp;lang=id"));

    // Mid-reset: the e-mailed link's NIP and code come back in the other language.
    let confirm = b
        .get(&format!("/reset/confirm?nip={nip}&code=12345678&lang=id"))
        .await;
    let href = switch_href(&confirm.body);
    assert_eq!(href, format!("?nip={nip}&amp;code=12345678&amp;lang=en"));
    let en = b
        .get(&format!("/reset/confirm{}", href.replace("&amp;", "&")))
        .await;
    assert!(en.body.contains("lang=\"en\""));
    assert!(en.body.contains(&format!("value=\"{nip}\"")));
    assert!(en.body.contains("value=\"12345678\""));

    // Whatever the query holds comes back encoded, never as markup.
    let odd = b
        .get("/reset?x=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&y=%3Cb%3E&lang=id")
        .await;
    let href = switch_href(&odd.body);
    assert!(!href.contains('<') && !href.contains('>'), "{href}");
    assert!(href.ends_with("&amp;lang=en"), "{href}");
    assert!(!odd.body.contains("<script>alert"));

    // A page answering a POST names its own address: a refused code keeps the NIP and the
    // service this browser signs in for (never the passwords, never the refused code).
    let res = b
        .submit(
            &confirm,
            "/reset/confirm",
            &[
                ("nip", &nip),
                ("code", "00000000"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert_eq!(
        switch_href(&body),
        format!("/reset/confirm?nip={nip}&amp;req={req}&amp;lang=en")
    );
    // A refused login keeps the request and the NIP, never the password.
    let page = b.get(&login).await;
    let res = b
        .submit(&page, "/login", &[("nip", &nip), ("password", "")])
        .await;
    let body = res.text().await.unwrap();
    assert_eq!(
        switch_href(&body),
        format!("/login?req={req}&amp;nip={nip}&amp;lang=en")
    );
    // The second step answers the POST too: its switch shows the step again.
    let res = b
        .submit(&page, "/login", &[("nip", &nip), ("password", PASSWORD)])
        .await;
    let body = res.text().await.unwrap();
    assert!(body.contains("name=\"otp\""), "{body}");
    assert_eq!(
        switch_href(&body),
        format!("/login/otp?req={req}&amp;lang=en")
    );
    let step = b.get("/login/otp?lang=en").await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(step.body.contains("name=\"otp\""));
}

async fn the_new_password_page_tells_everything_on_the_first_submit(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let reset = b.get("/reset").await;
    let (_, code) = ask_code(&server, &smtp, &b, &reset, &nip).await;
    for lang in [Lang::Id, Lang::En] {
        let confirm = b
            .get(&format!(
                "/reset/confirm?nip={nip}&code={code}&lang={}",
                lang.code()
            ))
            .await;
        // The tab's title is text only: the page's script is not in it.
        let title = confirm.body.split("<title>").nth(1).unwrap();
        let title = &title[..title.find("</title>").unwrap()];
        assert!(!title.contains('<'), "{title}");
        assert!(title.starts_with(lang.t("reset.confirm_title")), "{title}");

        // Too weak and not the same twice: both are told on this one submit.
        let res = b
            .post(server.url(&format!("/reset/confirm?lang={}", lang.code())))
            .form(&[
                ("csrf_token", hidden(&confirm.body, "csrf_token").as_str()),
                ("nip", &nip),
                ("code", &code),
                ("password", "abcdefgh"),
                ("password_confirm", "abcdefgi"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let page = res.text().await.unwrap();
        let banner = page
            .split("id=\"reset-rules\">")
            .nth(1)
            .unwrap_or_else(|| panic!("a banner of broken rules: {page}"));
        let banner = &banner[..banner.find("</div>").unwrap()];
        assert!(banner.contains(lang.t("reset.rules_failed")));
        for rule in ["rule.min_length", "rule.upper", "rule.digit", "rule.symbol"] {
            assert!(banner.contains(lang.t(rule)), "{rule} in {banner}");
        }
        assert!(
            !banner.contains(lang.t("rule.lower")),
            "a met rule is not listed"
        );
        let error = page.split("id=\"reset-error\">").nth(1).unwrap();
        assert!(error.starts_with(lang.t("reset.mismatch")), "{error}");
        assert!(page.contains("<li data-rule=\"match\" class=\"fail\">"));
        assert!(page.contains("id=\"mismatch-error\" hidden"));
    }
    // Nothing was changed, and the code still works.
    let u = server.user(&nip).await;
    assert!(
        server
            .state
            .hasher
            .verify(PASSWORD.into(), u.password_hash)
            .await
    );
}

/// What askama writes for a text.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn every_account_notice_is_text_in_both_languages(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    // Every change's sentence, here without names: this session made none of them.
    for done in Done::ALL {
        let (done, key) = (done.code(), done.plain_key());
        for lang in [Lang::Id, Lang::En] {
            let page = b
                .get(&format!("/account?done={done}&lang={}", lang.code()))
                .await;
            assert_eq!(page.status, StatusCode::OK);
            let notice = page
                .body
                .split("id=\"account-notice\">")
                .nth(1)
                .unwrap_or_else(|| panic!("{done}: no notice"));
            let notice = &notice[..notice.find("</p>").unwrap()];
            assert_eq!(notice, escaped(lang.t(key)), "{done} in {}", lang.code());
            assert!(!page.body.contains(key), "{done}: no raw key");
        }
    }
}
