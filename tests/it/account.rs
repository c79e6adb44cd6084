//! The self-service account page: devices, password, recovery codes, sessions, activity.

use crate::common::*;
use gerbang::domain::totp::code_at;
use reqwest::StatusCode;

scenarios!(
    devices_are_managed_with_a_second_factor,
    password_change_and_sessions,
    a_stolen_session_cannot_guess_the_password,
    the_account_lock_tells_a_session_thief_nothing,
    device_names_show_what_they_are,
);

/// Signs `b` in (password + OTP) and returns the account page.
async fn sign_in(b: &Browser, nip: &str, pw: &str) -> String {
    let res = b.sign_in(nip, pw, None).await;
    assert_eq!(res.status(), 303, "signed in");
    b.get("/account").await.body
}

async fn post(
    server: &TestServer,
    b: &reqwest::Client,
    path: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), hidden(page, "csrf_token"))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    b.post(server.url(path)).form(&form).send().await.unwrap()
}

fn device_id(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("<strong>{name}</strong>"))
        .unwrap_or_else(|| panic!("{name} not listed"));
    let before = &page[..at];
    let start = before.rfind("id=\"device-").unwrap() + "id=\"device-".len();
    before[start..start + before[start..].find('"').unwrap()].to_string()
}

async fn devices_are_managed_with_a_second_factor(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let to = format!("siti.{nip}@bkn.go.id");
    let b = server.browser();
    let page = sign_in(&b, &nip, PASSWORD).await;
    assert!(
        page.contains("HP Pribadi") && page.contains("Berhasil masuk"),
        "devices and activity listed"
    );
    assert_eq!(
        server
            .browser()
            .http()
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "signed-in people only"
    );

    // Another device through the same enrolment, from the account.
    let (res, _) = {
        let page = b.get("/mfa/enrol").await.body;
        let secret_b32 = page
            .split("data-totp-secret=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let secret = totp_rs::Secret::try_from_base32(&secret_b32)
            .unwrap()
            .to_vec();
        let code = code_at(&secret, server.clock().now() as u64);
        // Without proof from a device the person has, the session alone adds nothing.
        let res = post(
            &server,
            &b,
            "/mfa/enrol",
            &page,
            &[("otp", &code), ("device_name", "Tablet")],
        )
        .await;
        assert_eq!(res.status(), 401, "a session alone adds no factor");
        assert_eq!(
            server.state.store.list_totp(&user_id).await.unwrap().len(),
            1
        );
        server.clock().advance(30);
        let code = code_at(&secret, server.clock().now() as u64);
        let current = server.otp(&nip);
        let res = post(
            &server,
            &b,
            "/mfa/enrol",
            &page,
            &[
                ("otp", &code),
                ("device_name", "Tablet"),
                ("current_otp", &current),
            ],
        )
        .await;
        (res, secret)
    };
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?done=device_added");
    smtp.wait_for(&to, 1).await;

    // Rename: escaped on the page, mailed.
    let page = b.get("/account").await.body;
    let hp = device_id(&page, "HP Pribadi");
    let res = post(
        &server,
        &b,
        &format!("/account/devices/{hp}/rename"),
        &page,
        &[("device_name", "<b>HP</b> Lama")],
    )
    .await;
    assert_eq!(res.status(), 401, "renaming a factor needs a current code");
    server.clock().advance(30);
    let code = server.otp(&nip);
    let res = post(
        &server,
        &b,
        &format!("/account/devices/{hp}/rename"),
        &page,
        &[("device_name", "<b>HP</b> Lama"), ("otp", &code)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = b.get("/account").await.body;
    assert!(!page.contains("<b>HP</b>"), "escaped");
    assert!(
        page.contains("HP&#60;/b&#62; Lama") || page.contains("HP&lt;/b&gt; Lama"),
        "shown"
    );
    smtp.wait_for(&to, 2).await;
    // Someone else's device id is as good as none.
    let res = post(
        &server,
        &b,
        "/account/devices/not-mine/rename",
        &page,
        &[("device_name", "x")],
    )
    .await;
    assert_eq!(res.status(), 404);

    // Removing a device needs a code from ANOTHER device.
    let tablet = device_id(&page, "Tablet");
    let hp_code = server.otp(&nip); // from the device being removed
    let res = post(
        &server,
        &b,
        &format!("/account/devices/{hp}/remove"),
        &page,
        &[("otp", &hp_code), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        res.status(),
        401,
        "a device cannot vouch for its own removal"
    );
    let tablet_secret = server
        .state
        .store
        .list_totp(&user_id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == tablet)
        .unwrap();
    let secret = server
        .state
        .keys()
        .open(&tablet_secret.secret_enc, &user_id)
        .unwrap();
    server.clock().advance(30);
    let code = code_at(&secret, server.clock().now() as u64);
    let res = post(
        &server,
        &b,
        &format!("/account/devices/{hp}/remove"),
        &page,
        &[("otp", &code), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        server.state.store.list_totp(&user_id).await.unwrap().len(),
        1
    );
    assert!(
        smtp.wait_for(&to, 3)
            .await
            .iter()
            .any(|m| m.contains("dihapus"))
    );

    // The last one needs password + its own code; then the next login enrols again.
    let page = b.get("/account").await.body;
    server.clock().advance(30);
    let code = code_at(&secret, server.clock().now() as u64);
    let res = post(
        &server,
        &b,
        &format!("/account/devices/{tablet}/remove"),
        &page,
        &[
            ("otp", &code),
            ("password", "Salah#Sandi2026"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = post(
        &server,
        &b,
        &format!("/account/devices/{tablet}/remove"),
        &page,
        &[("otp", &code), ("password", PASSWORD), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?done=removed_last");
    assert!(
        server
            .state
            .store
            .list_totp(&user_id)
            .await
            .unwrap()
            .is_empty()
    );
    let fresh = server.browser();
    let login = fresh.get("/login").await;
    let res = fresh
        .post_login(&login, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/mfa/enrol");
}

async fn password_change_and_sessions(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let (desk, phone) = (server.browser(), server.browser());
    sign_in(&phone, &nip, PASSWORD).await;
    let page = sign_in(&desk, &nip, PASSWORD).await;
    assert_eq!(
        page.matches("name=\"what\" value=\"session\"").count(),
        2,
        "two sessions, each with its way to the confirmation"
    );
    assert!(
        page.contains("name=\"what\" value=\"sessions\""),
        "and 'all others'"
    );

    let new_pw = "Kunci-Baru#2026x";
    let res = post(
        &server,
        &desk,
        "/account/password",
        &page,
        &[
            ("current_password", "Salah#Sandi2026"),
            ("otp", &server.otp(&nip)),
            ("password", new_pw),
            ("password_confirm", new_pw),
        ],
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = post(
        &server,
        &desk,
        "/account/password",
        &page,
        &[
            ("current_password", PASSWORD),
            ("otp", &server.otp(&nip)),
            ("password", "pendek"),
            ("password_confirm", "pendek"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Minimal 12 karakter"));
    let res = post(
        &server,
        &desk,
        "/account/password",
        &page,
        &[
            ("current_password", PASSWORD),
            ("otp", &server.otp(&nip)),
            ("password", new_pw),
            ("password_confirm", new_pw),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(smtp.wait_for(&format!("siti.{nip}@bkn.go.id"), 1).await[0].contains("telah diubah"));
    assert_eq!(
        desk.http()
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "this browser stays in"
    );
    assert_eq!(
        phone
            .http()
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other session ended"
    );

    // Recovery codes: new ones need a current OTP.
    let page = desk.get("/account").await.body;
    let res = post(
        &server,
        &desk,
        "/account/recovery",
        &page,
        &[("otp", "000000"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = post(
        &server,
        &desk,
        "/account/recovery",
        &page,
        &[("otp", &server.otp(&nip)), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with("/account/recovery/codes?t="), "{to}");
    let shown = desk.get(&to).await;
    assert_eq!(shown.body.matches("<li><code>").count(), 10);

    // Sign out all other sessions.
    let other = server.browser();
    sign_in(&other, &nip, new_pw).await;
    let page = desk.get("/account").await.body;
    let res = post(
        &server,
        &desk,
        "/account/sessions/end",
        &page,
        &[("sid", "*"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        other
            .http()
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        desk.http()
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Forms need CSRF.
    let res = desk
        .post(server.url("/account/sessions/end"))
        .form(&[("sid", "*")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// Someone holding only a session cookie tries passwords at `/account/password` and
/// last-device removal: a few tries, then the session ends, and nothing changed.
async fn a_stolen_session_cannot_guess_the_password(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let thief = server.browser();
    let page = sign_in(&thief, &nip, PASSWORD).await;
    let hp = device_id(&page, "HP Pribadi");
    let mut tries = 0;
    for i in 0..20 {
        let guess = format!("Tebakan#{i:04}xx");
        let res = if i % 2 == 0 {
            post(
                &server,
                &thief,
                "/account/password",
                &page,
                &[
                    ("current_password", guess.as_str()),
                    ("otp", "000000"),
                    ("password", "Baru#Sandi2026x"),
                    ("password_confirm", "Baru#Sandi2026x"),
                ],
            )
            .await
        } else {
            post(
                &server,
                &thief,
                &format!("/account/devices/{hp}/remove"),
                &page,
                &[
                    ("password", guess.as_str()),
                    ("otp", "000000"),
                    ("confirm", "yes"),
                ],
            )
            .await
        };
        if res.status() == StatusCode::SEE_OTHER {
            assert_eq!(location(&res), "/login", "the session ends");
            break;
        }
        assert_eq!(res.status(), 401);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Kata sandi saat ini atau kode OTP salah"),
            "one answer: which of the two was wrong is not told"
        );
        tries += 1;
    }
    assert_eq!(tries, 5, "five wrong proofs per session, then it ends");
    let res = thief
        .http()
        .get(server.url("/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed out");
    assert_eq!(
        server.state.store.list_totp(&user_id).await.unwrap().len(),
        1
    );
    // The owner's password still works.
    server.clock().advance(30);
    sign_in(&server.browser(), &nip, PASSWORD).await;
}

/// A device name with a bidi override or an invisible character would show as something
/// else in /account, the helpdesk view and e-mails: refused, and nothing is renamed.
async fn device_names_show_what_they_are(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let page = sign_in(&b, &nip, PASSWORD).await;
    let hp = device_id(&page, "HP Pribadi");
    for bad in ["HP\u{202E}gpj.exe", "HP\u{200B}Pribadi", "HP\u{2066}x"] {
        server.clock().advance(30);
        let code = server.otp(&nip);
        let res = post(
            &server,
            &b,
            &format!("/account/devices/{hp}/rename"),
            &page,
            &[("device_name", bad), ("otp", &code)],
        )
        .await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert!(res.text().await.unwrap().contains("Nama perangkat"));
    }
    let names: Vec<String> = server
        .state
        .store
        .list_totp(&user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.device_name)
        .collect();
    assert_eq!(names, vec!["HP Pribadi".to_string()]);
}

/// A session thief tries a candidate password with wrong codes on the account page: if wrong
/// codes beside a right password were charged to the account, its lock would tell the
/// candidate was right. Nothing is charged either way; the session's own budget bounds it.
async fn the_account_lock_tells_a_session_thief_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let thief = server.browser();
    let page = sign_in(&thief, &nip, PASSWORD).await;
    for _ in 0..5 {
        let res = post(
            &server,
            &thief,
            "/account/password",
            &page,
            &[
                ("current_password", PASSWORD),
                ("otp", "000000"),
                ("password", "Baru#Sandi2026x"),
                ("password_confirm", "Baru#Sandi2026x"),
            ],
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    let user = server.user(&nip).await;
    assert_eq!(user.failed_logins, 0, "nothing charged to the account");
    assert!(user.locked_until.is_none());
}
