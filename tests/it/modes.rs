//! Issue 19, second half: response modes (form_post, fragment), Front-Channel Logout,
//! `ui_locales`, `acr_values` / the `claims` parameter's `acr`, and a discovery document
//! that advertises only what works (a test walks it and exercises every value).

use crate::common::*;

scenarios!(
    form_post_answers_with_a_page_that_posts_itself,
    fragment_and_query_errors_travel_in_the_requested_mode,
    the_mode_survives_sign_in_and_par,
    ui_locales_picks_the_language_of_the_sign_in,
    acr_values_force_a_fresh_code_or_fail,
    select_account_is_neither_advertised_nor_accepted,
    frontchannel_logout_frames_each_service_of_the_session,
    discovery_advertises_only_what_works,
);

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A person signed in (password + TOTP) in a fresh browser, and a first-party client.
async fn signed_in(server: &TestServer, client: &str) -> (Browser, String, String) {
    let secret = server
        .add_client(client, "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let res = b.sign_in(&nip, PASSWORD, None).await;
    assert!(res.status().is_redirection(), "sign-in: {}", res.status());
    (b, nip, secret)
}

/// The parameters of a redirect's fragment.
fn fragment_params(location: &str) -> Vec<(String, String)> {
    let u = url::Url::parse(location).unwrap();
    url::form_urlencoded::parse(u.fragment().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get<'a>(params: &'a [(String, String)], k: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// No `<script>` without a `src`, no event-handler attributes: the CSP would block them.
fn assert_no_inline_script(html: &str) {
    for tag in html.split("<script").skip(1) {
        let head = tag.split('>').next().unwrap();
        assert!(
            head.contains("src=\"/static/"),
            "inline script: <script{head}>"
        );
        assert!(
            tag.split("</script>")
                .next()
                .unwrap()
                .trim_start_matches(|c| c != '>')[1..]
                .trim()
                .is_empty(),
            "a script element with a body"
        );
    }
    assert!(!html.contains(" onload="), "event handler attribute");
    assert!(!html.contains(" onclick="), "event handler attribute");
}

/// The form-post page: a form to the redirect URI with the answer in hidden fields, a
/// visible button, the static script that submits it, and a CSP that lets the form go to
/// the service's origin only. The code in it is a real one.
async fn form_post_answers_with_a_page_that_posts_itself(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (b, _, secret) = signed_in(&server, "portal").await;
    let url = format!(
        "{}&response_mode=form_post",
        authorize_url(&server, "portal", "openid profile")
    );
    let res = b.http().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let policy = csp(&res);
    assert!(
        policy.contains("; form-action http://127.0.0.1:9"),
        "CSP must allow the form to the service's origin: {policy}"
    );
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(res.headers().get("location").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{REDIRECT}\"")), "{html}");
    assert!(html.contains("method=\"post\""), "{html}");
    assert!(html.contains("<script src=\"/static/form_post.js\"></script>"));
    assert!(
        html.contains("<button type=\"submit\">Lanjutkan</button>"),
        "{html}"
    );
    assert_no_inline_script(&html);
    assert_eq!(hidden(&html, "state"), "s");
    assert_eq!(hidden(&html, "iss"), server.base);
    let code = hidden(&html, "code");
    let tokens = exchange_code(&server, "portal", &secret, &code).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
    // The script is served from Gerbang itself (script-src 'self'), and it submits the form.
    let js = get_text(&b, server.url("/static/form_post.js")).await;
    assert!(js.contains("form-post") && js.contains(".submit()"), "{js}");
    // Other pages keep the strict policy: no form-action widening anywhere else.
    let home = b.http().get(server.url("/login")).send().await.unwrap();
    assert!(!csp(&home).contains("form-action"), "{}", csp(&home));

    // An error found after the redirect URI is known good is posted the same way.
    let anonymous = server.browser();
    let res = anonymous
        .http()
        .get(format!("{url}&prompt=none"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(hidden(&html, "error"), "login_required");
    assert_eq!(hidden(&html, "state"), "s");
    assert!(!html.contains("name=\"code\""));
}

/// `fragment` puts the answer (and the errors found once the redirect URI is trusted) in
/// the fragment; an unknown mode is refused in the query, the default; before the redirect
/// URI is trusted nothing is sent anywhere.
async fn fragment_and_query_errors_travel_in_the_requested_mode(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (b, _, secret) = signed_in(&server, "spa").await;
    let base = authorize_url(&server, "spa", "openid");
    let res = b
        .http()
        .get(format!("{base}&response_mode=fragment"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let loc = location(&res);
    assert!(loc.starts_with(&format!("{REDIRECT}#")), "{loc}");
    assert!(query_param(&loc, "code").is_none(), "{loc}");
    let p = fragment_params(&loc);
    assert_eq!(get(&p, "state"), Some("s"));
    assert_eq!(get(&p, "iss"), Some(server.base.as_str()));
    let tokens = exchange_code(&server, "spa", &secret, get(&p, "code").unwrap()).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");

    // An error in fragment mode: in the fragment too.
    let no_openid = base.replace("scope=openid", "scope=profile");
    let res = b
        .http()
        .get(format!("{no_openid}&response_mode=fragment"))
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let p = fragment_params(&loc);
    assert_eq!(get(&p, "error"), Some("invalid_scope"), "{loc}");
    assert_eq!(get(&p, "state"), Some("s"));
    assert!(query_param(&loc, "error").is_none());

    // An unknown mode: invalid_request, in the query.
    for mode in ["web_message", "query.jwt", "FRAGMENT"] {
        let res = b
            .http()
            .get(format!("{base}&response_mode={mode}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302, "{mode}");
        let loc = location(&res);
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{mode}: {loc}"
        );
        assert!(url::Url::parse(&loc).unwrap().fragment().is_none());
    }
    // Before the redirect URI is trusted: a page, whatever the mode asks.
    let evil = base.replace(&enc(REDIRECT), &enc("https://evil.example/cb"));
    let res = b
        .http()
        .get(format!("{evil}&response_mode=form_post"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // The evil address may appear only inside the page's own language-switch link (a
    // relative `/authorize?…` link, escaped): never as a place the page sends anyone.
    let text = res.text().await.unwrap();
    for sends in [
        "action=\"https://evil",
        "href=\"https://evil",
        "src=\"https://evil",
    ] {
        assert!(!text.contains(sends), "{text}");
    }
    assert!(
        !text.contains("<form method=\"post\" action=\"https"),
        "{text}"
    );
}

/// The mode is part of the pending request: it survives the login form, the consent page
/// and PAR.
async fn the_mode_survives_sign_in_and_par(backend: Backend) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client_with("thirdparty", |c| c.first_party = false)
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let url = format!(
        "{}&response_mode=form_post",
        authorize_url(&server, "thirdparty", "openid profile")
    );
    // Anonymous: login form, then the consent page, then the form-post page.
    let res = login_through(&server, &b, &url, &nip, PASSWORD).await;
    assert_eq!(res.status(), 303, "to the consent page");
    let consent = location(&res);
    assert!(consent.starts_with("/consent?req="), "{consent}");
    let page = b.get(&consent).await;
    let res = b.submit(&page, "/consent", &[("decision", "allow")]).await;
    assert_eq!(res.status(), 200);
    assert!(csp(&res).contains("form-action http://127.0.0.1:9"));
    let html = res.text().await.unwrap();
    let code = hidden(&html, "code");
    let tokens = exchange_code(&server, "thirdparty", &secret, &code).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");

    // A refusal on the consent page travels the same way.
    let page = {
        let res = b
            .http()
            .get(format!("{url}&prompt=consent"))
            .send()
            .await
            .unwrap();
        b.get(&location(&res)).await
    };
    let res = b.submit(&page, "/consent", &[("decision", "deny")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(hidden(&res.text().await.unwrap(), "error"), "access_denied");

    // PAR: the pushed parameters carry the mode.
    let pushed: serde_json::Value = rp_http()
        .post(server.url("/par"))
        .basic_auth("thirdparty", Some(&secret))
        .form(&[
            ("client_id", "thirdparty"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "p"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("response_mode", "fragment"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uri = pushed["request_uri"].as_str().expect("a request_uri");
    let res = b
        .http()
        .get(server.url(&format!(
            "/authorize?client_id=thirdparty&request_uri={}",
            enc(uri)
        )))
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let p = fragment_params(&loc);
    assert_eq!(get(&p, "state"), Some("p"), "{loc}");
    assert!(get(&p, "code").is_some(), "{loc}");
    // PAR refuses an unknown mode at the push.
    let res = rp_http()
        .post(server.url("/par"))
        .basic_auth("thirdparty", Some(&secret))
        .form(&[
            ("client_id", "thirdparty"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("response_mode", "web_message"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

fn page_lang(html: &str) -> String {
    let start = html.find("<html lang=\"").expect("an html element") + 12;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// `ui_locales`: the first language Gerbang has sets the login pages of this sign-in; the
/// choice ends with the answer to the service, and the person's own `?lang=` outranks it.
async fn ui_locales_picks_the_language_of_the_sign_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    server
        .add_client("svc", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let url = format!(
        "{}&ui_locales=fr-FR%20en-GB%20id",
        authorize_url(&server, "svc", "openid")
    );
    let res = b.http().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let login = location(&res);
    let page = b.get(&login).await;
    assert_eq!(
        page_lang(&page.body),
        "en",
        "the login page follows ui_locales"
    );
    assert!(page.body.contains("Sign in"));
    // The second step too (a form without the code leads there).
    let res = b
        .post_login(&page, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    let otp_page = res.text().await.unwrap();
    assert_eq!(page_lang(&otp_page), "en", "{otp_page}");
    let otp_page = b.get("/login/otp").await;
    assert_eq!(page_lang(&otp_page.body), "en");
    let res = b
        .submit(&otp_page, "/login/otp", &[("otp", &server.otp(&nip))])
        .await;
    assert_eq!(res.status(), 302, "back to the service");
    // Done: the next page is in the browser's own language again (Indonesian).
    let home = b.get("/").await;
    assert_eq!(page_lang(&home.body), "id");

    // `ui_locales` without a language Gerbang has: the usual choice.
    let b = server.browser();
    let res = b
        .http()
        .get(format!(
            "{}&ui_locales=fr%20de",
            authorize_url(&server, "svc", "openid")
        ))
        .send()
        .await
        .unwrap();
    let page = b.get(&location(&res)).await;
    assert_eq!(page_lang(&page.body), "id");

    // The person's own switch outranks the service's choice for the rest of the sign-in.
    let b = server.browser();
    let res = b
        .http()
        .get(format!(
            "{}&ui_locales=en",
            authorize_url(&server, "svc", "openid")
        ))
        .send()
        .await
        .unwrap();
    let login = location(&res);
    assert_eq!(page_lang(&b.get(&login).await.body), "en");
    assert_eq!(
        page_lang(&b.get(&format!("{login}&lang=id")).await.body),
        "id"
    );
    assert_eq!(page_lang(&b.get(&login).await.body), "id");
    // An error page of the authorization request itself is in the chosen language.
    let res = b
        .http()
        .get(server.url("/authorize?client_id=nobody&ui_locales=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(page_lang(&res.text().await.unwrap()), "en");
}

fn code_of(res: &reqwest::Response) -> String {
    let loc = location(res);
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// `acr_values` and the `claims` parameter's essential `acr`: a class the session does not
/// have now (`loa:3`: an authenticator code in the last 15 minutes) sends the person to the
/// code step, not the password; the ID token then says the class; an essential class
/// Gerbang does not know fails with `unmet_authentication_requirements`.
async fn acr_values_force_a_fresh_code_or_fail(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (b, nip, secret) = signed_in(&server, "sensitive").await;
    let base = authorize_url(&server, "sensitive", "openid");
    let acr_of = |tokens: &serde_json::Value| {
        jwt_part(tokens["id_token"].as_str().unwrap(), 1)["acr"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Just signed in with a TOTP code: loa:3 is met at once.
    let res = b
        .http()
        .get(format!("{base}&acr_values=urn:gerbang:loa:3"))
        .send()
        .await
        .unwrap();
    let tokens = exchange_code(&server, "sensitive", &secret, &code_of(&res)).await;
    assert_eq!(acr_of(&tokens), "urn:gerbang:loa:3");
    let sid = jwt_part(tokens["id_token"].as_str().unwrap(), 1)["sid"]
        .as_str()
        .expect("ID tokens carry sid")
        .to_string();

    // Twenty minutes later the session is still loa:2 (no request: its own class) ...
    server.clock().advance(20 * 60);
    let res = b.http().get(&base).send().await.unwrap();
    let tokens = exchange_code(&server, "sensitive", &secret, &code_of(&res)).await;
    assert_eq!(acr_of(&tokens), "urn:gerbang:loa:2");
    // ... prompt=none cannot raise it ...
    let res = b
        .http()
        .get(format!("{base}&acr_values=urn:gerbang:loa:3&prompt=none"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required")
    );
    // ... and an essential loa:3 asks for the code alone, then answers with loa:3.
    let claims = r#"{"id_token":{"acr":{"essential":true,"values":["urn:gerbang:loa:3"]}}}"#;
    let res = b
        .http()
        .get(format!("{base}&claims={}", enc(claims)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login/otp", "the missing factor only");
    let page = b.get("/login/otp").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("name=\"password\""),
        "no password asked"
    );
    let res = b
        .submit(&page, "/login/otp", &[("otp", &server.otp(&nip))])
        .await;
    let tokens = exchange_code(&server, "sensitive", &secret, &code_of(&res)).await;
    let claims_of = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(claims_of["acr"], "urn:gerbang:loa:3");
    assert_eq!(claims_of["amr"], serde_json::json!(["pwd", "otp"]));
    assert!(claims_of["sid"].is_string() && claims_of["sid"] != sid.as_str());

    // A wrong code at the step is a wrong code: counted, no answer to the service.
    server.clock().advance(20 * 60);
    let res = b
        .http()
        .get(format!("{base}&acr_values=urn:gerbang:loa:3"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login/otp");
    let page = b.get("/login/otp").await;
    let res = b.submit(&page, "/login/otp", &[("otp", "000000")]).await;
    assert_eq!(res.status(), 401);

    // A voluntary class Gerbang does not know is ignored; an essential one fails.
    let b = server.browser();
    b.sign_in(&nip, PASSWORD, None).await;
    let res = b
        .http()
        .get(format!("{base}&acr_values=urn:example:gold"))
        .send()
        .await
        .unwrap();
    let tokens = exchange_code(&server, "sensitive", &secret, &code_of(&res)).await;
    assert_eq!(acr_of(&tokens), "urn:gerbang:loa:2");
    let unknown = r#"{"id_token":{"acr":{"essential":true,"value":"urn:example:gold"}}}"#;
    for who in [b.clone(), server.browser()] {
        let res = who
            .http()
            .get(format!("{base}&claims={}", enc(unknown)))
            .send()
            .await
            .unwrap();
        let loc = location(&res);
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("unmet_authentication_requirements"),
            "{loc}"
        );
        assert_eq!(query_param(&loc, "state").as_deref(), Some("s"));
    }
    // An essential lower class is met, and the token names the class asked for.
    let low = r#"{"id_token":{"acr":{"essential":true,"values":["urn:gerbang:loa:1"]}}}"#;
    let res = b
        .http()
        .get(format!("{base}&claims={}", enc(low)))
        .send()
        .await
        .unwrap();
    let tokens = exchange_code(&server, "sensitive", &secret, &code_of(&res)).await;
    assert_eq!(acr_of(&tokens), "urn:gerbang:loa:1");
    // An account whose last authenticator was removed (its next login enrols again) is never
    // sent to the code step by a session alone: that step stands for a proven password and
    // would lead to enrolment. Essential: refused; voluntary: answered at the session's class.
    let (lone, lone_id) = server.add_user(Some(PASSWORD)).await;
    let lb = server.browser();
    lb.sign_in(&lone, PASSWORD, None).await;
    server.clock().advance(20 * 60);
    let device = server
        .state
        .store
        .list_totp(&lone_id)
        .await
        .unwrap()
        .remove(0);
    let notice = gerbang::mail::compose::device_removed(
        gerbang::web::i18n::Lang::Id,
        "x@bkn.go.id",
        "Siti",
        "HP",
        "now",
    );
    let event = gerbang::domain::audit::AuditEvent::new(
        gerbang::domain::audit::AuditKind::MfaDeviceRemoved,
    );
    assert!(
        server
            .state
            .store
            .change_device(
                &gerbang::store::mfa::DeviceChange {
                    user_id: &lone_id,
                    credential_id: &device.id,
                    new_name: None,
                    event: &event,
                    notice: &notice,
                },
                server.clock().now(),
            )
            .await
            .unwrap()
    );
    let res = lb
        .http()
        .get(format!("{base}&claims={}", enc(claims)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("unmet_authentication_requirements")
    );
    let res = lb
        .http()
        .get(format!("{base}&acr_values=urn:gerbang:loa:3"))
        .send()
        .await
        .unwrap();
    let tokens = exchange_code(&server, "sensitive", &secret, &code_of(&res)).await;
    assert_eq!(acr_of(&tokens), "urn:gerbang:loa:2");
    assert_eq!(
        lb.get("/login/otp").await.status,
        303,
        "no code step was started"
    );

    // A claims parameter that is not the JSON the specification describes is refused.
    for bad in [
        "not json",
        r#"{"id_token":{"acr":{"essential":"yes"}}}"#,
        "[1]",
    ] {
        let res = b
            .http()
            .get(format!("{base}&claims={}", enc(bad)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            query_param(&location(&res), "error").as_deref(),
            Some("invalid_request"),
            "{bad}"
        );
    }
}

/// `select_account` is not offered: one browser holds one person's session, and "use
/// another account" is `prompt=login`. Discovery does not list it and a request with it is
/// refused (rather than silently ignored).
async fn select_account_is_neither_advertised_nor_accepted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (b, _, _) = signed_in(&server, "svc").await;
    let meta: serde_json::Value =
        get_json(&b, server.url("/.well-known/openid-configuration")).await;
    assert!(
        !meta["prompt_values_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "select_account")
    );
    for prompt in ["select_account", "login%20select_account"] {
        let res = b
            .http()
            .get(format!(
                "{}&prompt={prompt}",
                authorize_url(&server, "svc", "openid")
            ))
            .send()
            .await
            .unwrap();
        let loc = location(&res);
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{loc}"
        );
    }
}

/// Front-Channel Logout 1.0: the logout page frames the front-channel URI of each service
/// the session signed in to (with `iss` and the ID token's `sid`), lists exactly those
/// origins in `frame-src`, and continues with a static script and a visible link.
/// Back-channel deliveries still go out for the services that have them.
async fn frontchannel_logout_frames_each_service_of_the_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let legacy = server
        .add_client_with("legacy", |c| {
            c.frontchannel_logout_uri = Some("http://127.0.0.1:9/fc?app=1".into());
        })
        .await;
    server
        .add_client_with("quiet", |c| {
            c.frontchannel_logout_uri = Some("http://127.0.0.1:11/fc".into());
            c.frontchannel_logout_session_required = false;
        })
        .await;
    // Registered, but never signed in to in this session: not framed.
    server
        .add_client_with("elsewhere", |c| {
            c.frontchannel_logout_uri = Some("http://localhost:10/fc".into());
        })
        .await;
    let bc = server
        .add_client_with("modern", |c| {
            c.backchannel_logout_uri = Some("http://127.0.0.1:9/bc".into());
        })
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    b.sign_in(&nip, PASSWORD, None).await;
    let res = b
        .http()
        .get(authorize_url(&server, "legacy", "openid"))
        .send()
        .await
        .unwrap();
    let tokens = exchange_code(&server, "legacy", &legacy, &code_of(&res)).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let sid = jwt_part(&id_token, 1)["sid"]
        .as_str()
        .expect("ID tokens carry sid")
        .to_string();
    for c in ["quiet", "modern"] {
        let res = b
            .http()
            .get(authorize_url(&server, c, "openid"))
            .send()
            .await
            .unwrap();
        if c == "modern" {
            exchange_code(&server, c, &bc, &code_of(&res)).await;
        }
    }
    let other_page_csp = csp(&b.http().get(server.url("/")).send().await.unwrap());
    assert!(!other_page_csp.contains("frame-src"), "{other_page_csp}");

    let res = b
        .http()
        .get(server.url(&format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
            enc(POST_LOGOUT)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a page that loads the frames first");
    let policy = csp(&res);
    assert!(
        policy.ends_with("; frame-src http://127.0.0.1:11 http://127.0.0.1:9")
            || policy.ends_with("; frame-src http://127.0.0.1:9 http://127.0.0.1:11"),
        "exactly the framed origins: {policy}"
    );
    assert!(!policy.contains("localhost:10"));
    assert!(policy.contains("frame-ancestors 'none'"));
    let html = res.text().await.unwrap();
    assert_no_inline_script(&html);
    let iss = enc(&server.base);
    let framed = format!("src=\"http://127.0.0.1:9/fc?app=1&#38;iss={iss}&#38;sid={sid}\"");
    assert!(html.contains(&framed), "{framed} in\n{html}");
    assert!(html.contains("src=\"http://127.0.0.1:11/fc\""), "{html}");
    assert!(!html.contains("localhost:10"));
    assert!(!html.contains("127.0.0.1:9/bc"));
    assert!(html.contains("<script src=\"/static/logout.js\"></script>"));
    let next = format!("href=\"{POST_LOGOUT}?state=bye\"");
    assert!(html.contains(&next), "a visible continue link: {html}");
    // The session is over already; the back-channel service gets its logout token.
    let home = b.http().get(server.url("/")).send().await.unwrap();
    assert!(
        home.status().is_redirection(),
        "signed out: {}",
        home.status()
    );
    assert_eq!(server.state.store.pending_logouts().await.unwrap(), 1);
    let js = get_text(&b, server.url("/static/logout.js")).await;
    assert!(js.contains("iframe.frontchannel") && js.contains("setTimeout"));

    // The launcher's sign-out (no service to go back to): the signed-out page frames them.
    let b = server.browser();
    b.sign_in(&nip, PASSWORD, None).await;
    let res = b
        .http()
        .get(authorize_url(&server, "legacy", "openid"))
        .send()
        .await
        .unwrap();
    code_of(&res);
    let home = b.get("/").await;
    let res = b.submit(&home, "/logout", &[]).await;
    assert_eq!(res.status(), 200);
    assert!(csp(&res).ends_with("; frame-src http://127.0.0.1:9"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains("http://127.0.0.1:9/fc?app=1&#38;iss="),
        "{html}"
    );
    assert!(!html.contains("logout-continue"));
    // Without front-channel services, logout redirects at once, as before.
    let b = server.browser();
    b.sign_in(&nip, PASSWORD, None).await;
    let res = b
        .http()
        .get(authorize_url(&server, "modern", "openid"))
        .send()
        .await
        .unwrap();
    let t = exchange_code(&server, "modern", &bc, &code_of(&res)).await;
    let res = b
        .http()
        .get(server.url(&format!(
            "/logout?id_token_hint={}&post_logout_redirect_uri={}",
            t["id_token"].as_str().unwrap(),
            enc(POST_LOGOUT)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

/// Walks the discovery document: every advertised value is exercised, and the document
/// has no field this test does not know (a new one fails here until it is tested).
async fn discovery_advertises_only_what_works(backend: Backend) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client_with("walker", |c| {
            c.frontchannel_logout_uri = Some("http://127.0.0.1:9/fc".into());
        })
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let meta: serde_json::Value =
        get_json(&b, server.url("/.well-known/openid-configuration")).await;
    let list = |k: &str| -> Vec<String> {
        meta[k]
            .as_array()
            .unwrap_or_else(|| panic!("{k} is a list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let base = authorize_url(&server, "walker", "openid");
    let fresh = || async {
        let b = server.browser();
        b.sign_in(&nip, PASSWORD, None).await;
        b
    };

    assert_eq!(list("response_types_supported"), ["code"]);
    assert_eq!(list("code_challenge_methods_supported"), ["S256"]);
    for mode in list("response_modes_supported") {
        let b = fresh().await;
        let res = b
            .http()
            .get(format!("{base}&response_mode={mode}"))
            .send()
            .await
            .unwrap();
        let code = match mode.as_str() {
            "query" => code_of(&res),
            "fragment" => get(&fragment_params(&location(&res)), "code")
                .unwrap()
                .to_string(),
            "form_post" => hidden(&res.text().await.unwrap(), "code"),
            other => panic!("advertised response mode {other} is not tested"),
        };
        let t = exchange_code(&server, "walker", &secret, &code).await;
        assert!(t["id_token"].is_string(), "{mode}: {t}");
    }
    for prompt in list("prompt_values_supported") {
        let b = fresh().await;
        let res = b
            .http()
            .get(format!("{base}&prompt={prompt}"))
            .send()
            .await
            .unwrap();
        match prompt.as_str() {
            "none" | "consent" => {
                // A first-party service is never asked for consent; both answer at once.
                code_of(&res);
            }
            "login" => assert!(location(&res).starts_with("/login?req=")),
            other => panic!("advertised prompt {other} is not tested"),
        }
    }
    for acr in list("acr_values_supported") {
        let b = fresh().await;
        let claims = format!(r#"{{"id_token":{{"acr":{{"essential":true,"value":"{acr}"}}}}}}"#);
        assert!(meta["claims_parameter_supported"].as_bool().unwrap());
        let res = b
            .http()
            .get(format!("{base}&claims={}", enc(&claims)))
            .send()
            .await
            .unwrap();
        let t = exchange_code(&server, "walker", &secret, &code_of(&res)).await;
        assert_eq!(
            jwt_part(t["id_token"].as_str().unwrap(), 1)["acr"],
            acr.as_str()
        );
        // And as acr_values.
        let res = b
            .http()
            .get(format!("{base}&acr_values={}", enc(&acr)))
            .send()
            .await
            .unwrap();
        let t = exchange_code(&server, "walker", &secret, &code_of(&res)).await;
        assert_eq!(
            jwt_part(t["id_token"].as_str().unwrap(), 1)["acr"],
            acr.as_str()
        );
    }
    for locale in list("ui_locales_supported") {
        let res = server
            .browser()
            .http()
            .get(format!("{base}&ui_locales={locale}"))
            .send()
            .await
            .unwrap();
        let login = location(&res);
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("gerbang_ui_locale="))
            .unwrap_or_default();
        assert!(
            cookie.starts_with(&format!("gerbang_ui_locale={locale};")),
            "{cookie}"
        );
        assert!(login.starts_with("/login?req="));
    }
    // Front-channel logout with the session: frames carry iss and sid.
    assert_eq!(meta["frontchannel_logout_supported"], true);
    assert_eq!(meta["frontchannel_logout_session_supported"], true);
    let b = fresh().await;
    let res = b.http().get(&base).send().await.unwrap();
    let t = exchange_code(&server, "walker", &secret, &code_of(&res)).await;
    let sid = jwt_part(t["id_token"].as_str().unwrap(), 1)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    let home = b.get("/").await;
    let html = b.submit(&home, "/logout", &[]).await.text().await.unwrap();
    assert!(html.contains(&format!("&#38;sid={sid}\"")), "{html}");
    assert_eq!(meta["backchannel_logout_supported"], true);
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert_eq!(meta["request_parameter_supported"], false);
    assert_eq!(meta["request_uri_parameter_supported"], false);

    // Every field is one this walk (or another suite named here) knows about.
    let known = [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
        "scopes_supported",
        "response_types_supported",
        "response_modes_supported",
        "grant_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "userinfo_signing_alg_values_supported",
        "token_endpoint_auth_methods_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "introspection_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "pushed_authorization_request_endpoint",
        "require_pushed_authorization_requests",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "code_challenge_methods_supported",
        "claims_supported",
        "acr_values_supported",
        "prompt_values_supported",
        "claims_parameter_supported",
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "authorization_response_iss_parameter_supported",
        "ui_locales_supported",
    ];
    for k in meta.as_object().unwrap().keys() {
        assert!(
            known.contains(&k.as_str()),
            "discovery field {k} is not walked"
        );
    }
}
