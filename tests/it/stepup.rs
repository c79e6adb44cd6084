//! The `loa:3` step-up (`acr_values` / essential `acr`) as a stolen session cookie would use
//! it: it adds no factor, it is no code-guessing oracle, it dies with its session, and a
//! refresh does not stretch "fresh" beyond its window. Also: the `ui_locales` cookie is
//! built like every other cookie.

use std::sync::Arc;

use reqwest::redirect::Policy;

use crate::common::*;

scenarios!(
    a_step_up_never_enrols_a_device_after_the_last_one_is_gone,
    a_step_up_never_enrols_a_device_after_its_session_ends,
    removing_the_last_device_or_ending_other_sessions_ends_pending_logins,
    a_stolen_session_ends_after_five_wrong_step_up_codes,
    a_refresh_lowers_loa3_once_the_code_is_no_longer_fresh,
    the_ui_locales_cookie_is_built_like_every_cookie,
);

const LOA3: &str = "urn:gerbang:loa:3";

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The whole `Set-Cookie` header for `name` (the first one that sets a value).
fn set_cookie_header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            v.split(';')
                .next()
                .and_then(|first| first.split_once('='))
                .is_some_and(|(n, val)| n.trim() == name && !val.is_empty())
        })
        .map(str::to_string)
}

/// A cookie's value from a response's Set-Cookie headers.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    let header = set_cookie_header(res, name)?;
    let first = header.split(';').next()?;
    Some(first.split_once('=')?.1.to_string())
}

/// A cookie-keeping client that holds exactly `cookies` for the server (what an attacker
/// copied into their own browser).
fn holding(server: &TestServer, cookies: &[(&str, &str)]) -> reqwest::Client {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let base = url::Url::parse(&server.url("/")).unwrap();
    for (n, v) in cookies {
        jar.add_cookie_str(&format!("{n}={v}; Path=/"), &base);
    }
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A form of the account page, as the person sends it (its CSRF token, then `fields`).
async fn account_post(
    server: &TestServer,
    b: &Browser,
    path: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), hidden(page, "csrf_token"))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    b.http()
        .post(server.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// With a stolen session cookie (no password, no phone), asks for `loa:3` 20 minutes after
/// the sign-in: the step-up's pending-login cookie.
async fn stolen_step_up(server: &TestServer, stolen: &str) -> String {
    let attacker = holding(server, &[("gerbang_session", stolen)]);
    let base = authorize_url(server, "sensitive", "openid");
    let res = attacker
        .get(format!("{base}&acr_values={}", enc(LOA3)))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login/otp", "the step-up starts");
    set_cookie(&res, "gerbang_pending").expect("a pending-login cookie")
}

/// The victim signs in; the attacker copies the session cookie. Returns (nip, user id,
/// victim's browser, stolen cookie).
async fn victim(server: &TestServer) -> (String, String, Browser, String) {
    server
        .add_client("sensitive", "ES256", &["authorization_code"])
        .await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let res = b.sign_in(&nip, PASSWORD, None).await;
    assert!(res.status().is_redirection(), "sign-in: {}", res.status());
    let stolen = set_cookie(&res, "gerbang_session").expect("a session cookie");
    (nip, user_id, b, stolen)
}

/// Removes the person's only device straight in the store (what `/account` does after its
/// own checks), so that only the enrolment's own rule is tested.
async fn remove_last_device_in_store(server: &TestServer, user_id: &str) {
    let device = server
        .state
        .store
        .list_totp(user_id)
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
                    user_id,
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
}

/// The pending login alone at `/mfa/enrol`: refused (to the login), nothing enrolled.
async fn enrolment_refused(server: &TestServer, pending: &str, user_id: &str) {
    let only_pending = holding(server, &[("gerbang_pending", pending)]);
    let res = only_pending
        .get(server.url("/mfa/enrol"))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let to = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.text().await.unwrap();
    assert!(
        !body.contains("data-totp-secret"),
        "a step-up's pending login reached the enrolment ({status})"
    );
    assert_eq!(to.as_deref(), Some("/login"), "sent to sign in ({status})");
    let res = only_pending
        .post(server.url("/mfa/enrol"))
        .form(&[("otp", "123456"), ("device_name", "attacker")])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success(), "{}", res.status());
    assert!(
        server
            .state
            .store
            .list_totp(user_id)
            .await
            .unwrap()
            .is_empty(),
        "no device was added"
    );
}

/// A stolen session cookie starts a step-up; the person then removes their last device.
/// The step-up's pending login stands for no password, so it never opens the enrolment of
/// a first device (which a password-proven pending login of a device-less account may).
async fn a_step_up_never_enrols_a_device_after_the_last_one_is_gone(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, user_id, _, stolen) = victim(&server).await;
    server.clock().advance(20 * 60);
    let pending = stolen_step_up(&server, &stolen).await;
    server.clock().advance(5 * 60);
    remove_last_device_in_store(&server, &user_id).await;
    enrolment_refused(&server, &pending, &user_id).await;
}

/// The same after the stolen session itself was ended: its step-up neither enrols nor
/// finishes (a right code there starts no session).
async fn a_step_up_never_enrols_a_device_after_its_session_ends(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id, _, stolen) = victim(&server).await;
    server.clock().advance(20 * 60);
    let pending = stolen_step_up(&server, &stolen).await;
    // The session ends (here without touching pending logins, as an expiry would).
    for s in gerbang::auth::session::list_for_user(&server.state, &user_id)
        .await
        .unwrap()
    {
        gerbang::auth::session::end_by_sid(&server.state, &s.sid)
            .await
            .unwrap();
    }
    let attacker = holding(&server, &[("gerbang_pending", &pending)]);
    let page = attacker.get(server.url("/login/otp")).send().await.unwrap();
    assert_eq!(
        page.status(),
        200,
        "the pending login itself is still there"
    );
    let body = page.text().await.unwrap();
    let res = attacker
        .post(server.url("/login/otp"))
        .form(&[
            ("csrf_token", hidden(&body, "csrf_token").as_str()),
            ("otp", &server.otp(&nip)),
        ])
        .send()
        .await
        .unwrap();
    // To the sign-in form, still for the service that asked for the step-up.
    assert!(
        location(&res).starts_with("/login?req="),
        "a step-up dies with its session: {}",
        location(&res)
    );
    assert!(
        set_cookie(&res, "gerbang_session").is_none(),
        "no session from a step-up whose session is gone"
    );

    // Another step-up of a session that then ends, with the last device gone: no enrolment.
    let b = server.browser();
    let res = b.sign_in(&nip, PASSWORD, None).await;
    let stolen = set_cookie(&res, "gerbang_session").expect("a session cookie");
    server.clock().advance(20 * 60);
    let pending = stolen_step_up(&server, &stolen).await;
    for s in gerbang::auth::session::list_for_user(&server.state, &user_id)
        .await
        .unwrap()
    {
        gerbang::auth::session::end_by_sid(&server.state, &s.sid)
            .await
            .unwrap();
    }
    remove_last_device_in_store(&server, &user_id).await;
    enrolment_refused(&server, &pending, &user_id).await;
}

/// On `/account`, removing the last device and "end all other sessions" end the person's
/// half-done logins (a step-up started from a stolen cookie among them), as a new password
/// does.
async fn removing_the_last_device_or_ending_other_sessions_ends_pending_logins(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id, _, stolen) = victim(&server).await;
    server.clock().advance(20 * 60);

    // "End all other sessions" from the person's other browser: the stolen session's
    // step-up ends with it.
    let pending = stolen_step_up(&server, &stolen).await;
    let attacker = holding(&server, &[("gerbang_pending", &pending)]);
    let res = attacker.get(server.url("/login/otp")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the step-up is under way");
    let own = server.browser();
    own.sign_in(&nip, PASSWORD, None).await;
    let page = own.get("/account").await;
    assert_eq!(page.status, 200);
    let res = account_post(
        &server,
        &own,
        "/account/sessions/end",
        &page.body,
        &[("sid", "*"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = attacker.get(server.url("/login/otp")).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/login",
        "the step-up ended with the sessions"
    );

    // Removing the last device: a step-up started before it ends.
    let b = server.browser();
    let res = b.sign_in(&nip, PASSWORD, None).await;
    let stolen = set_cookie(&res, "gerbang_session").expect("a session cookie");
    server.clock().advance(20 * 60);
    let pending = stolen_step_up(&server, &stolen).await;
    let attacker = holding(&server, &[("gerbang_pending", &pending)]);
    let res = attacker.get(server.url("/login/otp")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the step-up is under way");
    let own = server.browser();
    own.sign_in(&nip, PASSWORD, None).await;
    let page = own.get("/account").await;
    let device = server
        .state
        .store
        .list_totp(&user_id)
        .await
        .unwrap()
        .remove(0);
    let action = format!("/account/devices/{}/remove", device.id);
    let res = account_post(
        &server,
        &own,
        &action,
        &page.body,
        &[
            ("otp", &server.otp(&nip)),
            ("password", PASSWORD),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/account?done=removed_last");
    let res = attacker.get(server.url("/login/otp")).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/login",
        "the step-up ended with the last device"
    );
    enrolment_refused(&server, &pending, &user_id).await;
}

/// A stolen session cookie asking for `loa:3` again and again: every code at its step-up is
/// counted on the session before it is compared (as on `/account`), and the sixth ends the
/// session (and the step-up) whatever the account's lock says.
async fn a_stolen_session_ends_after_five_wrong_step_up_codes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, _, _, stolen) = victim(&server).await;
    let attacker = holding(&server, &[("gerbang_session", &stolen)]);
    let base = authorize_url(&server, "sensitive", "openid");
    let mut answers = Vec::new();
    for i in 0..6 {
        // Past the account lock's window each time: only the session's count is at work.
        server.clock().advance(16 * 60);
        let res = attacker
            .get(format!("{base}&acr_values={}", enc(LOA3)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            location(&res),
            "/login/otp",
            "attempt {i}: the step-up starts"
        );
        let page = attacker.get(server.url("/login/otp")).send().await.unwrap();
        let body = page.text().await.unwrap();
        let guess = format!("{:06}", (i * 7919 + 13) % 1_000_000);
        let res = attacker
            .post(server.url("/login/otp"))
            .form(&[
                ("csrf_token", hidden(&body, "csrf_token").as_str()),
                ("otp", &guess),
            ])
            .send()
            .await
            .unwrap();
        let to = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        answers.push((res.status().as_u16(), to));
    }
    for (i, (status, _)) in answers[..5].iter().enumerate() {
        assert!(
            *status == 401 || *status == 403,
            "attempt {i}: a wrong code is answered as one: {answers:?}"
        );
    }
    // Sent to sign in (for the service that asked, as every sign-in link keeps it).
    assert!(
        answers[5].0 == 303
            && answers[5]
                .1
                .as_deref()
                .is_some_and(|to| to.starts_with("/login?req=")),
        "the sixth code is not compared: the session is over: {answers:?}"
    );
    let res = attacker.get(server.url("/account")).send().await.unwrap();
    assert_ne!(res.status(), 200, "the stolen session has ended");
    let res = attacker
        .get(format!("{base}&acr_values={}", enc(LOA3)))
        .send()
        .await
        .unwrap();
    assert!(
        location(&res).starts_with("/login?req="),
        "no more step-ups: {}",
        location(&res)
    );
}

/// A grant signed in at `loa:3` keeps its `auth_time`, but a refresh asserts `loa:3` only
/// while that code is fresh (`ACR_FRESH_SECS`): later ID tokens, access tokens and
/// introspection say `loa:2`.
async fn a_refresh_lowers_loa3_once_the_code_is_no_longer_fresh(backend: Backend) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client(
            "sensitive",
            "ES256",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let res = b.sign_in(&nip, PASSWORD, None).await;
    assert!(res.status().is_redirection(), "sign-in: {}", res.status());
    let base = authorize_url(&server, "sensitive", "openid");
    let res = b
        .http()
        .get(format!("{base}&acr_values={}", enc(LOA3)))
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let code = query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"));
    let tokens = exchange_code(&server, "sensitive", &secret, &code).await;
    let id = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["acr"], LOA3);
    let auth_time = id["auth_time"].clone();
    let mut refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    // (minutes since the code, the class a refresh then asserts)
    for (minutes, want) in [
        (10, LOA3),
        (20, "urn:gerbang:loa:2"),
        (60, "urn:gerbang:loa:2"),
    ] {
        let now = server.clock().now();
        let at = auth_time.as_i64().unwrap() + minutes * 60;
        server.clock().advance(at - now);
        // The person keeps using the service: the session stays alive.
        let _ = b.get("/").await;
        let res: serde_json::Value = rp_http()
            .post(server.url("/token"))
            .basic_auth("sensitive", Some(&secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        refresh = res["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("refresh at {minutes} min: {res}"))
            .to_string();
        let access = res["access_token"].as_str().unwrap();
        let at = jwt_part(access, 1);
        let idt = jwt_part(res["id_token"].as_str().unwrap(), 1);
        assert_eq!(at["acr"], want, "access token at {minutes} min");
        assert_eq!(idt["acr"], want, "ID token at {minutes} min");
        assert_eq!(idt["auth_time"], auth_time, "auth_time is the sign-in's");
        let seen: serde_json::Value = rp_http()
            .post(server.url("/introspect"))
            .basic_auth("sensitive", Some(&secret))
            .form(&[("token", access)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seen["active"], true, "{seen}");
        assert_eq!(seen["acr"], want, "introspection at {minutes} min");
    }
}

/// The `ui_locales` cookie comes from the shared cookie builder: `HttpOnly`, `SameSite=Lax`,
/// whole site, 30 minutes, and `Secure` when the issuer is https.
async fn the_ui_locales_cookie_is_built_like_every_cookie(backend: Backend) {
    for https in [false, true] {
        let server = TestServer::start_with(backend, |c| {
            if https {
                c.issuer = c.issuer.replacen("http://", "https://", 1);
            }
        })
        .await;
        server
            .add_client("sensitive", "ES256", &["authorization_code"])
            .await;
        let base = authorize_url(&server, "sensitive", "openid");
        let res = rp_http()
            .get(format!("{base}&ui_locales=en"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{}", res.status());
        let header = set_cookie_header(&res, "gerbang_ui_locale").expect("the ui_locales cookie");
        let attrs: Vec<String> = header
            .split(';')
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert_eq!(attrs[0], "gerbang_ui_locale=en", "{header}");
        for want in ["httponly", "samesite=lax", "path=/", "max-age=1800"] {
            assert!(attrs.iter().any(|a| a == want), "{want} in {header}");
        }
        assert_eq!(
            attrs.iter().any(|a| a == "secure"),
            https,
            "Secure exactly when the issuer is https: {header}"
        );
    }
}
