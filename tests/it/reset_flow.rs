//! Activation and password reset by e-mail, through real HTTP and a real SMTP server.

use crate::common::*;
use reqwest::StatusCode;

scenarios!(
    imported_user_activates_and_signs_in,
    reset_does_not_enumerate,
    every_password_rule_is_named,
    captcha_wrong_reused_or_expired,
    code_expired_reused_or_guessed,
    reset_ends_sessions_and_refresh_tokens,
    outbox_survives_a_restart,
    forms_need_csrf,
    embedded_default_writes_eml_files,
    one_code_sets_one_password_however_many_race,
    a_reset_does_not_lift_a_lock,
);

const NEW_PASSWORD: &str = "Kunci-Baru#2026x";

fn email_of(nip: &str) -> String {
    format!("siti.{nip}@bkn.go.id")
}

async fn imported_user_activates_and_signs_in(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.import_user().await;
    assert!(!server.user(&nip).await.email_verified);
    let b = browser();

    let (status, page) =
        reset_request_code(&server, &b, &nip, &email_of(&nip).to_uppercase()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Jika NIP dan e-mail cocok"), "{page}");
    let mail = smtp.wait_for(&email_of(&nip), 1).await.remove(0);
    assert!(mail.contains("Subject: Kode aktivasi"), "{mail}");
    let code = mailed_code(&mail);
    assert!(code.chars().all(|c| c.is_ascii_digit()));

    let res = reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/login?done=reset&nip={nip}"));
    let notice = smtp.wait_for(&email_of(&nip), 2).await.remove(1);
    assert!(
        notice.contains("Kata sandi Gerbang ASN Anda telah diubah"),
        "{notice}"
    );
    let user = server.user(&nip).await;
    assert!(user.email_verified, "the code proved the address");
    let audit = server
        .state
        .store
        .count_audit_events(gerbang::domain::audit::AuditKind::AccountActivated)
        .await
        .unwrap();
    assert_eq!(audit, 1);

    // The new password signs in at a downstream service.
    let login = get_text(&b, server.url("/login?done=reset")).await;
    assert!(login.contains("Kata sandi berhasil disimpan"));
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let res = login_through(&server, &b, &authorize(&server), &nip, NEW_PASSWORD).await;
    // No device yet: enrolment comes before any token.
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/mfa/enrol");
    let (res, _) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), 200, "recovery codes are shown once");
    let res = b.get(server.url("/mfa/continue")).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert!(
        query_param(&location(&res), "code").is_some(),
        "on to the service"
    );
}

fn authorize(server: &TestServer) -> String {
    authorize_url(server, "myasn", "openid")
}

async fn reset_does_not_enumerate(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let (s_wrong_mail, wrong_mail) =
        reset_request_code(&server, &b, &nip, "orang.lain@bkn.go.id").await;
    let (s_unknown, unknown) =
        reset_request_code(&server, &b, "199001012015011001", "x@bkn.go.id").await;
    let (s_match, matched) = reset_request_code(&server, &b, &nip, &email_of(&nip)).await;
    assert_eq!((s_wrong_mail, s_unknown), (s_match, s_match));
    assert_eq!(
        wrong_mail, matched,
        "same page, byte for byte, for a wrong e-mail"
    );
    let sent = |p: &str| {
        p[p.find("id=\"reset-sent\"").unwrap()..]
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        sent(&unknown),
        sent(&matched),
        "same words for an unknown NIP"
    );
    smtp.wait_for(&email_of(&nip), 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.all().len(), 1, "only the matching request sends mail");
    // A second request within a minute does not send again (mail bombing), same answer.
    let (s_again, again) = reset_request_code(&server, &b, &nip, &email_of(&nip)).await;
    assert_eq!((s_again, again), (s_match, matched));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.all().len(), 1);
}

async fn every_password_rule_is_named(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    reset_request_code(&server, &b, &nip, &email_of(&nip)).await;
    let code = mailed_code(&smtp.wait_for(&email_of(&nip), 1).await[0]);
    let cases: Vec<(String, &str)> = vec![
        ("Ab1!".into(), "Minimal 12 karakter"),
        ("kunci-baru#2026x".into(), "huruf besar"),
        ("KUNCI-BARU#2026X".into(), "huruf kecil"),
        ("Kunci-Baru#Sekali".into(), "memuat angka"),
        ("KunciBaru2026xyz".into(), "simbol"),
        (format!("Aa!{nip}"), "NIP Anda"),
        ("Rahayu#Kunci2026".into(), "nama Anda"),
        ("Password123!".into(), "Terlalu umum"),
    ];
    for (pw, named) in cases {
        let res = reset_confirm(&server, &b, &nip, &code, &pw, &pw).await;
        assert_eq!(res.status(), 400, "{pw}");
        let page = res.text().await.unwrap();
        let failed = failed_rules(&page);
        assert!(
            failed.iter().any(|f| f.contains(named)),
            "{pw}: expected {named:?} marked failed in {failed:?}"
        );
    }
    // Reusing the current password is refused in the error line.
    let res = reset_confirm(&server, &b, &nip, &code, PASSWORD, PASSWORD).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    let error = page.split("id=\"reset-error\">").nth(1).unwrap_or_default();
    assert!(
        error.starts_with("Tidak boleh sama dengan kata sandi saat ini"),
        "{page}"
    );
    let res = reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, "Kunci-Baru#2026y").await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Kedua kata sandi tidak sama")
    );
    // Several rules at once are all named.
    let res = reset_confirm(&server, &b, &nip, &code, "abc", "abc").await;
    let failed = failed_rules(&res.text().await.unwrap());
    for named in ["Minimal 12", "huruf besar", "angka", "simbol"] {
        assert!(failed.iter().any(|f| f.contains(named)), "{named}");
    }
    assert!(
        !failed.iter().any(|f| f.contains("huruf kecil")),
        "a rule that is met is not marked: {failed:?}"
    );
    // Rejected passwords did not use up the code, and nothing changed.
    assert!(state_verifies(&server, &nip, PASSWORD).await);
    let res = reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert!(state_verifies(&server, &nip, NEW_PASSWORD).await);
}

/// The checklist lines the server marked as broken.
fn failed_rules(page: &str) -> Vec<String> {
    page.split("class=\"fail\">")
        .skip(1)
        .map(|rest| rest.split("</li>").next().unwrap_or_default().to_string())
        .collect()
}

async fn state_verifies(server: &TestServer, nip: &str, pw: &str) -> bool {
    let u = server.user(nip).await;
    server.state.hasher.verify(pw.into(), u.password_hash).await
}

async fn captcha_wrong_reused_or_expired(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let post = |page: String, id: String, answer: String| {
        let b = b.clone();
        let url = server.url("/reset");
        let nip = nip.clone();
        async move {
            let res = b
                .post(url)
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("nip", nip.clone()),
                    ("email", email_of(&nip)),
                    ("captcha_id", id),
                    ("captcha", answer),
                ])
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    // Wrong (case does not matter: the answer in the other case would pass).
    let page = get_text(&b, server.url("/reset")).await;
    let (id, answer) = captcha_answer(&server, &page).await.unwrap();
    let wrong = format!("{answer}x");
    let (st, body) = post(page.clone(), id.clone(), wrong).await;
    assert_eq!(st, 400);
    assert!(body.contains("captcha salah"), "{body}");
    // Reused: the image was consumed by the wrong try; its right answer no longer works.
    let (st, _) = post(page.clone(), id, answer).await;
    assert_eq!(st, 400);
    // Right once, then the same id and answer again.
    let page = get_text(&b, server.url("/reset")).await;
    let (id, answer) = captcha_answer(&server, &page).await.unwrap();
    let img = b
        .get(server.url(&format!("/captcha/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(img.headers().get("content-type").unwrap(), "image/png");
    assert!(img.headers().get("x-gerbang-test-captcha").is_none());
    let (st, _) = post(page.clone(), id.clone(), answer.clone()).await;
    assert_eq!(st, 200);
    let (st, _) = post(page, id, answer).await;
    assert_eq!(st, 400, "single use");
    // Expired after five minutes.
    let page = get_text(&b, server.url("/reset")).await;
    let (id, answer) = captcha_answer(&server, &page).await.unwrap();
    server.clock().advance(301);
    let (st, _) = post(page, id, answer).await;
    assert_eq!(st, 400);
    smtp.wait_for(&email_of(&nip), 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(smtp.all().len(), 1, "only the one good captcha sent mail");
}

async fn code_expired_reused_or_guessed(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let to = email_of(&nip);

    // Expired after 15 minutes.
    reset_request_code(&server, &b, &nip, &to).await;
    let code = mailed_code(&smtp.wait_for(&to, 1).await[0]);
    server.clock().advance(15 * 60 + 1);
    let res = reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Kode salah atau sudah kedaluwarsa")
    );

    // Guessed too often: five wrong tries burn the code, the right one then fails.
    reset_request_code(&server, &b, &nip, &to).await;
    let code = mailed_code(&smtp.wait_for(&to, 2).await[1]);
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..5 {
        let res = reset_confirm(&server, &b, &nip, wrong, NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status(), 400);
    }
    let res = reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        res.status(),
        400,
        "the code is gone after five wrong guesses"
    );
    assert!(state_verifies(&server, &nip, PASSWORD).await);

    // Reused: a code works once. A new code replaces any older one.
    server.clock().advance(61);
    reset_request_code(&server, &b, &nip, &to).await;
    let old = mailed_code(&smtp.wait_for(&to, 3).await[2]);
    server.clock().advance(61);
    reset_request_code(&server, &b, &nip, &to).await;
    let code = mailed_code(&smtp.wait_for(&to, 4).await[3]);
    if old != code {
        assert_eq!(
            reset_confirm(&server, &b, &nip, &old, NEW_PASSWORD, NEW_PASSWORD)
                .await
                .status(),
            400,
            "older code replaced"
        );
    }
    assert_eq!(
        reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .status(),
        303
    );
    let other = "Lain-Lagi#2026zz";
    assert_eq!(
        reset_confirm(&server, &b, &nip, &code, other, other)
            .await
            .status(),
        400,
        "single use"
    );
    assert!(state_verifies(&server, &nip, NEW_PASSWORD).await);
}

async fn reset_ends_sessions_and_refresh_tokens(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("myasn", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let b = browser();
    let res = login_through(&server, &b, &authorize(&server), &nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let tokens: serde_json::Value = exchange_code(&server, "myasn", &secret, &code).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    // The reset happens from another browser (the usual case: a phone).
    let phone = browser();
    reset_request_code(&server, &phone, &nip, &email_of(&nip)).await;
    let mailed = mailed_code(&smtp.wait_for(&email_of(&nip), 1).await[0]);
    assert_eq!(
        reset_confirm(&server, &phone, &nip, &mailed, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .status(),
        303
    );

    let res = b
        .get(format!("{}&prompt=none", authorize(&server)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required"),
        "the desktop session ended"
    );
    let res = rp_http()
        .post(server.url("/token"))
        .basic_auth("myasn", Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "refresh tokens die with the old password"
    );
}

async fn outbox_survives_a_restart(backend: Backend) {
    // First life: the SMTP server is down (nothing listens on the port).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("smtp://127.0.0.1:{}", dead.local_addr().unwrap().port());
    drop(dead);
    let mut first = TestServer::start_with(backend, move |c| c.smtp_url = Some(dead_url)).await;
    let (nip, _) = first.add_user(Some(PASSWORD)).await;
    reset_request_code(&first, &browser(), &nip, &email_of(&nip)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        first.state.store.unsent_mail_count().await.unwrap(),
        1,
        "queued, not lost"
    );
    first.stop();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Second life on the same database, with a working SMTP server; the retry is due.
    let smtp = SmtpSink::start();
    let (db, keys, url) = (
        first.state.settings.database_url.clone(),
        first.state.settings.keys_dir.clone(),
        smtp.url(),
    );
    let second = TestServer::start_with(backend, move |c| {
        c.database_url = db;
        c.keys_dir = keys;
        c.smtp_url = Some(url);
    })
    .await;
    second.clock().advance(3600);
    let mail = smtp.wait_for(&email_of(&nip), 1).await;
    assert_eq!(mail.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.all().len(), 1, "delivered once");
    assert_eq!(second.state.store.unsent_mail_count().await.unwrap(), 0);
}

async fn forms_need_csrf(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let page = get_text(&b, server.url("/reset")).await;
    let (id, answer) = captcha_answer(&server, &page).await.unwrap();
    let res = b
        .post(server.url("/reset"))
        .form(&[
            ("nip", nip.clone()),
            ("email", email_of(&nip)),
            ("captcha_id", id),
            ("captcha", answer),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = b
        .post(server.url("/reset/confirm"))
        .form(&[
            ("nip", nip.as_str()),
            ("code", "12345678"),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(smtp.all().is_empty());
}

async fn embedded_default_writes_eml_files(backend: Backend) {
    let server = TestServer::start(backend).await; // no smtp_url: the file outbox
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    reset_request_code(&server, &browser(), &nip, &email_of(&nip)).await;
    let dir = server.state.settings.data_dir.join("outbox");
    for _ in 0..100 {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .collect();
        if let Some(f) = files
            .iter()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"))
        {
            let text = std::fs::read_to_string(f.path()).unwrap();
            assert!(
                text.contains(&email_of(&nip)) && text.contains("Kode Anda: "),
                "{text}"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no .eml file appeared in {}", dir.display());
}

/// Several requests racing with the one right code: the code is spent once, so exactly one
/// of them sets its password (a mailbox thief racing the owner gets no second go).
async fn one_code_sets_one_password_however_many_race(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let to = email_of(&nip);
    reset_request_code(&server, &browser(), &nip, &to).await;
    let code = mailed_code(&smtp.wait_for(&to, 1).await[0]);
    // As many racers as the code allows guesses: one more would be over the limit, and its
    // (counted, refused) try would rightly end the code before anyone spent it.
    let racers = server.state.settings.reset_code_attempts;
    let passwords: Vec<String> = (0..racers).map(|i| format!("Balapan#{i}Sandi26")).collect();
    let races = passwords.iter().map(|pw| {
        let (server, nip, code) = (&server, nip.clone(), code.clone());
        async move {
            reset_confirm(server, &browser(), &nip, &code, pw, pw)
                .await
                .status()
        }
    });
    let answers = futures::future::join_all(races).await;
    let won: Vec<&String> = answers
        .iter()
        .zip(&passwords)
        .filter(|(s, _)| **s == StatusCode::SEE_OTHER)
        .map(|(_, pw)| pw)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(state_verifies(&server, &nip, won[0]).await);
}

/// A reset proves the mailbox, not the phone: someone who holds the mailbox must not get a
/// fresh set of code guesses by resetting the password of a locked account.
async fn a_reset_does_not_lift_a_lock(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    for _ in 0..5 {
        login_attempt(
            &server,
            &server.base,
            &browser(),
            &nip,
            PASSWORD,
            Some("000000"),
        )
        .await;
    }
    let locked = server.user(&nip).await;
    assert!(locked.locked_until.is_some(), "five wrong codes lock");
    let b = browser();
    let to = email_of(&nip);
    reset_request_code(&server, &b, &nip, &to).await;
    let code = mailed_code(&smtp.wait_for(&to, 1).await[0]);
    let res = reset_confirm(&server, &b, &nip, &code, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303, "the password is reset");
    let after = server.user(&nip).await;
    assert_eq!(after.locked_until, locked.locked_until, "the lock stays");
    assert_eq!(after.lock_level, locked.lock_level, "and so does its level");
    let (status, _) =
        login_attempt(&server, &server.base, &browser(), &nip, NEW_PASSWORD, None).await;
    assert_eq!(status, 403, "locked until the lock ends");
    server.clock().advance(15 * 60 + 1);
    let (status, _) =
        login_attempt(&server, &server.base, &browser(), &nip, NEW_PASSWORD, None).await;
    assert_eq!(status, 303);
}
