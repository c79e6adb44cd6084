//! Guessing is stopped without letting anyone lock a colleague out.

use crate::common::*;
use reqwest::StatusCode;

scenarios!(
    locks_escalate_with_a_moved_clock,
    owners_known_browser_survives_an_attack,
    unknown_nips_lock_like_real_ones,
    captcha_after_three_failures,
    helpdesk_lock_has_no_end_time,
    rate_limiter_answers_429,
    parallel_guesses_are_counted_before_they_are_compared,
    a_right_password_looks_like_a_wrong_one_until_the_code_is_right,
    known_browser_counter_is_atomic,
    parallel_codes_for_one_half_done_login_get_one_comparison,
    password_spraying_meets_the_captcha,
    a_completed_login_gives_back_only_what_it_was_charged,
);

/// One login attempt from browser `b`, answering a captcha when the form shows one.
async fn attempt(
    server: &TestServer,
    b: &reqwest::Client,
    nip: &str,
    pw: &str,
) -> (StatusCode, String) {
    login_attempt(server, &server.base, b, nip, pw, None).await
}

fn locked_until_text(page: &str) -> Option<String> {
    let i = page.find("id=\"locked\"")?;
    Some(
        page[i..]
            .split("<strong>")
            .nth(1)?
            .split('<')
            .next()?
            .to_string(),
    )
}

async fn locks_escalate_with_a_moved_clock(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    // Four failures and a success: the count starts over.
    for _ in 0..4 {
        assert_eq!(attempt(&server, &b, &nip, "Salah#Sandi2026").await.0, 401);
    }
    assert_eq!(attempt(&server, &b, &nip, PASSWORD).await.0, 303);
    assert_eq!(server.user(&nip).await.failed_logins, 0);

    let b = browser(); // a browser that never signed in as this person
    let mut lengths = Vec::new();
    for round in 0..3 {
        // The lock starts somewhere during the fifth request: bound it by the server clock
        // before and after (the OTP helper may move the clock; real seconds may pass).
        let (mut before, mut after) = (0, 0);
        for i in 0..5 {
            before = server.clock().now();
            let (st, page) = attempt(&server, &b, &nip, "Salah#Sandi2026").await;
            after = server.clock().now();
            if i < 4 {
                assert_eq!(st, 401, "round {round} try {i}");
            } else {
                assert_eq!(st, 403, "the fifth failure locks");
                assert!(
                    page.contains("dikunci hingga") && page.contains("WIB"),
                    "{page}"
                );
                assert!(page.contains("Helpdesk BKPSDM"));
                assert!(locked_until_text(&page).is_some());
            }
        }
        let until = server.user(&nip).await.locked_until.unwrap();
        lengths.push((until - after, until - before));
        // While locked, even the right password is refused.
        let (st, _) = attempt(&server, &b, &nip, PASSWORD).await;
        assert_eq!(st, 403);
        server.clock().advance(until - server.clock().now() + 1);
    }
    for ((low, high), want) in lengths.iter().zip([900, 1800, 3600]) {
        assert!(
            (*low..=*high).contains(&want),
            "15 min, doubling: {lengths:?}"
        );
    }
    // After the last lock ran out, the right password works and resets the escalation.
    assert_eq!(attempt(&server, &b, &nip, PASSWORD).await.0, 303);
    let u = server.user(&nip).await;
    assert_eq!((u.failed_logins, u.lock_level), (0, 0));
    assert!(
        server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::AccountLocked)
            .await
            .unwrap()
            >= 3
    );
}

async fn owners_known_browser_survives_an_attack(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let owner = browser();
    assert_eq!(
        attempt(&server, &owner, &nip, PASSWORD).await.0,
        303,
        "full login: the browser becomes known"
    );

    let attacker = browser();
    let mut locked = 0;
    for _ in 0..50 {
        let (st, _) = attempt(&server, &attacker, &nip, "Tebak#Sandi2026").await;
        assert!(st == 401 || st == 403, "{st}");
        if st == 403 {
            locked += 1;
        }
    }
    assert!(locked > 0, "the attacker's browser is locked out");
    assert!(
        server
            .user(&nip)
            .await
            .locked_at(server.clock().now())
            .is_some()
    );

    // The owner's known browser signs in regardless.
    let (st, _) = attempt(&server, &owner, &nip, PASSWORD).await;
    assert_eq!(st, 303, "50 failures elsewhere must not lock the owner out");

    // But the known browser has its own, stricter counter: three failures lock it.
    for i in 0..3 {
        let (st, _) = attempt(&server, &owner, &nip, "Salah#Sandi2026").await;
        assert_eq!(
            st,
            if i < 2 {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            }
        );
    }
    assert_eq!(attempt(&server, &owner, &nip, PASSWORD).await.0, 403);
}

async fn unknown_nips_lock_like_real_ones(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (real, _) = server.add_user(Some(PASSWORD)).await;
    let ghost = "199001012015011001";
    let (b1, b2) = (browser(), browser());
    let mut real_statuses = Vec::new();
    let mut ghost_statuses = Vec::new();
    for _ in 0..5 {
        real_statuses.push(attempt(&server, &b1, &real, "Salah#Sandi2026").await.0);
        ghost_statuses.push(attempt(&server, &b2, ghost, "Salah#Sandi2026").await.0);
    }
    assert_eq!(
        real_statuses, ghost_statuses,
        "a lock does not reveal whether the NIP exists"
    );
    assert_eq!(ghost_statuses.last(), Some(&StatusCode::FORBIDDEN));
}

async fn captcha_after_three_failures(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let form = |page: &str, pw: &str| {
        vec![
            ("csrf_token", hidden(page, "csrf_token")),
            ("nip", nip.clone()),
            ("password", pw.to_string()),
            // A code is typed, so a wrong password fails on this page (no second step).
            ("otp", "000000".to_string()),
        ]
    };
    for _ in 0..3 {
        let page = get_text(&b, server.url("/login")).await;
        assert!(
            !page.contains("captcha_id"),
            "no captcha before three failures"
        );
        let res = b
            .post(server.url("/login"))
            .form(&form(&page, "Salah#Sandi2026"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let page = get_text(&b, server.url(&format!("/login?nip={nip}"))).await;
    assert!(page.contains("name=\"captcha_id\"") && page.contains("/captcha/"));
    // Without the captcha, even the right password is not checked.
    let res = b
        .post(server.url("/login"))
        .form(&form(&page, PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // None was sent: asked for it (a wrong answer says "captcha salah").
    assert!(res.text().await.unwrap().contains("kode pada gambar"));
    // The count is the NIP's: a fresh browser on the same IP (the next person in an office
    // behind one NAT) is not asked (`signin::an_office_behind_one_nat_…`).
    let other = get_text(&browser(), server.url("/login")).await;
    assert!(!other.contains("captcha_id"));
    assert_eq!(
        attempt(&server, &b, &nip, PASSWORD).await.0,
        303,
        "with the captcha answered, it works"
    );
}

async fn helpdesk_lock_has_no_end_time(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .set_user_status(
            &id,
            gerbang::domain::user_status::UserStatus::Locked,
            server.clock().now(),
        )
        .await
        .unwrap();
    let (st, page) = attempt(&server, &browser(), &nip, PASSWORD).await;
    assert_eq!(st, 403);
    assert!(page.contains("dikunci oleh helpdesk"), "{page}");
    assert!(locked_until_text(&page).is_none());
}

async fn rate_limiter_answers_429(backend: Backend) {
    let server = TestServer::start_with(backend, |c| {
        c.rate_limit.enabled = true;
        c.rate_limit.burst = 5;
        c.rate_limit.replenish_ms = 60_000;
        c.rate_limit.token_burst = 5;
        c.rate_limit.token_replenish_ms = 60_000;
    })
    .await;
    let b = browser();
    let page = get_text(&b, server.url("/login")).await;
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..8 {
        let res = b
            .post(server.url("/login"))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token").as_str()),
                ("nip", "1"),
                ("password", "x"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            limited = Some(res);
        }
    }
    assert_eq!(&statuses[..5], &[400; 5], "{statuses:?}");
    let res = limited.expect("429 after the burst");
    assert!(res.headers().get("retry-after").is_some());
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Terlalu banyak permintaan")
    );
    // GETs are not limited (every sign-in starts with one).
    assert_eq!(
        b.get(server.url("/login")).send().await.unwrap().status(),
        200
    );
    // /token has its own bucket and answers in OAuth JSON.
    let mut last = None;
    for _ in 0..7 {
        last = Some(
            rp_http()
                .post(server.url("/token"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap(),
        );
    }
    let res = last.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "temporarily_unavailable"
    );
}

/// How many audit rows of `kind` the person has.
async fn audited(server: &TestServer, user_id: &str, kind: &str) -> usize {
    server
        .state
        .store
        .recent_audit(user_id, 500)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.1.as_str() == kind)
        .count()
}

/// Many guesses at once (on any replica) get no more comparisons than the lock allows:
/// each is counted before its password or code is checked.
async fn parallel_guesses_are_counted_before_they_are_compared(backend: Backend) {
    // No captcha in the way: this is about the lock's arithmetic alone.
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let guesses = (0..13).map(|_| {
        let (server, nip) = (&server, nip.clone());
        async move {
            let b = browser();
            attempt(server, &b, &nip, "Salah#Sandi2026").await.0
        }
    });
    let answers = futures::future::join_all(guesses).await;
    assert!(
        answers.iter().all(|s| *s == 401 || *s == 403),
        "{answers:?}"
    );
    let compared = audited(&server, &user_id, "login_failure").await;
    assert!(
        compared <= 5,
        "13 parallel wrong passwords: {compared} were compared (threshold 5)"
    );
    assert!(server.user(&nip).await.locked_until.is_some(), "locked");

    // The right password and 25 parallel wrong codes: at most 5 codes are compared, and
    // the right code afterwards meets the lock.
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let guesses = (0..25).map(|i| {
        let (server, nip) = (&server, nip.clone());
        async move {
            let b = browser();
            let code = format!("{:06}", 100_000 + i);
            login_attempt(server, &server.base, &b, &nip, PASSWORD, Some(&code))
                .await
                .0
        }
    });
    futures::future::join_all(guesses).await;
    let compared = audited(&server, &user_id, "otp_failure").await;
    assert!(
        compared <= 5,
        "25 parallel wrong codes: {compared} were compared (threshold 5)"
    );
    let (status, _) = attempt(&server, &browser(), &nip, PASSWORD).await;
    assert_eq!(status, 403, "the right code meets the lock");
    assert_eq!(audited(&server, &user_id, "login_success").await, 0);
}

/// The answer's words, without what changes on every page (CSRF token, server time).
fn shape(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("csrf_token") && !l.contains("server-time"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Password + empty code, then a wrong code on the second step; and the one-form variant:
/// a right password answers exactly like a wrong one until the code is right too.
async fn a_right_password_looks_like_a_wrong_one_until_the_code_is_right(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let two_steps = |pw: &'static str| {
        let (server, nip) = (&server, nip.clone());
        async move {
            let b = browser();
            let (first, page1) = login_attempt(server, &server.base, &b, &nip, pw, Some("")).await;
            let res = b
                .post(server.url("/login/otp"))
                .form(&[
                    ("csrf_token", hidden(&page1, "csrf_token").as_str()),
                    ("otp", "000000"),
                ])
                .send()
                .await
                .unwrap();
            let second = res.status();
            let page2 = res.text().await.unwrap();
            (first, shape(&page1), second, shape(&page2))
        }
    };
    let right = two_steps(PASSWORD).await;
    let wrong = two_steps("Salah#Sandi2026").await;
    assert_eq!(
        (right.0, right.2),
        (StatusCode::OK, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        right, wrong,
        "the second step tells nothing about the password"
    );
    assert_eq!(
        server.user(&nip).await.failed_logins,
        2,
        "each login costs the same one guess, whichever password"
    );

    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let (s1, p1) = login_attempt(
        &server,
        &server.base,
        &browser(),
        &nip,
        PASSWORD,
        Some("000000"),
    )
    .await;
    let (s2, p2) = login_attempt(
        &server,
        &server.base,
        &browser(),
        &nip,
        "Salah#Sandi2026",
        Some("000000"),
    )
    .await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (s1, shape(&p1)),
        (s2, shape(&p2)),
        "one form: the same answer"
    );
}

/// A browser that signed in before has its own counter in the cache: parallel failures
/// from it are all counted (no lost updates on Redis), and at most its threshold compared.
async fn known_browser_counter_is_atomic(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let owner = browser();
    assert_eq!(attempt(&server, &owner, &nip, PASSWORD).await.0, 303);
    let before = audited(&server, &user_id, "login_failure").await;
    let guesses = (0..20).map(|_| {
        let (server, nip, owner) = (&server, nip.clone(), owner.clone());
        async move { attempt(server, &owner, &nip, "Salah#Sandi2026").await.0 }
    });
    futures::future::join_all(guesses).await;
    let compared = audited(&server, &user_id, "login_failure").await - before;
    let limit = server.state.settings.lockout.known_browser_threshold as usize;
    assert!(
        compared <= limit,
        "20 parallel failures from a known browser: {compared} compared (limit {limit})"
    );
    assert_eq!(
        attempt(&server, &owner, &nip, PASSWORD).await.0,
        403,
        "the known browser's own lock holds"
    );
    // The account itself was never charged: any other browser still signs in.
    server.clock().advance(30);
    assert_eq!(attempt(&server, &browser(), &nip, PASSWORD).await.0, 303);
}

/// The guess the password step counted is used by one code only: parallel codes posted
/// with the same pending cookie are each counted (and refused once the count is full).
async fn parallel_codes_for_one_half_done_login_get_one_comparison(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    for _ in 0..4 {
        assert_eq!(
            attempt(&server, &browser(), &nip, "Salah#Sandi2026")
                .await
                .0,
            401
        );
    }
    let b = browser();
    let (status, page) = login_attempt(&server, &server.base, &b, &nip, PASSWORD, Some("")).await;
    assert_eq!(status, 200, "the OTP step");
    let csrf = hidden(&page, "csrf_token");
    let codes = (0..30).map(|i| {
        let (b, url, csrf) = (b.clone(), server.url("/login/otp"), csrf.clone());
        async move {
            b.post(url)
                .form(&[("csrf_token", csrf), ("otp", format!("{:06}", 200_000 + i))])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    futures::future::join_all(codes).await;
    let compared = audited(&server, &user_id, "otp_failure").await;
    assert!(
        compared <= 1,
        "30 parallel codes on one pending login: {compared} compared"
    );
    let (status, _) = attempt(&server, &browser(), &nip, PASSWORD).await;
    assert_eq!(
        status, 403,
        "the count is full: even the right code meets the lock"
    );
}

/// Wrong passwords with the code left empty get the same OTP step as right ones, but they
/// still count for the captcha: one IP trying a password on many NIPs meets it.
async fn password_spraying_meets_the_captcha(backend: Backend) {
    // The per-IP flood guard at 3 (default 30): how many a sprayer gets is its setting.
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after_ip = 3).await;
    let b = browser();
    for _ in 0..3 {
        let (nip, _) = server.add_user(Some(PASSWORD)).await;
        let page = get_text(&b, server.url("/login")).await;
        assert!(!page.contains("name=\"captcha_id\""));
        let (status, _) = login_attempt(
            &server,
            &server.base,
            &browser(),
            &nip,
            "Musim#Hujan2026",
            Some(""),
        )
        .await;
        assert_eq!(status, 200, "the same OTP step as for a right password");
    }
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let page = get_text(&browser(), server.url("/login")).await;
    let _ = nip;
    assert!(
        page.contains("name=\"captcha_id\""),
        "three sprayed passwords from one IP bring the captcha"
    );
}

/// The captcha count a two-step login charged is given back where it was charged, and never
/// becomes a credit: finishing one's own logins from another address does not buy wrong
/// passwords without a captcha there.
async fn a_completed_login_gives_back_only_what_it_was_charged(backend: Backend) {
    let server = TestServer::start_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.lockout.captcha_after_ip = 3;
    })
    .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let from = |ip: &'static str| {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-forwarded-for", ip.parse().unwrap());
        reqwest::Client::builder()
            .default_headers(h)
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    // Own logins: the password from 10.1.1.1, the code from 10.2.2.2, twice.
    for _ in 0..2 {
        server.clock().advance(30);
        let a = from("10.1.1.1");
        let (status, page) =
            login_attempt(&server, &server.base, &a, &nip, PASSWORD, Some("")).await;
        assert_eq!(status, 200);
        // The code from the other address (the pending cookie travels with the person).
        let res = a
            .post(server.url("/login/otp"))
            .header("x-forwarded-for", "10.2.2.2")
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token").as_str()),
                ("otp", server.otp(&nip).as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "signed in");
    }
    // 10.2.2.2 has no credit: the captcha comes after three wrong passwords, as anywhere.
    let spray = from("10.2.2.2");
    for _ in 0..3 {
        let (other, _) = server.add_user(Some(PASSWORD)).await;
        login_attempt(
            &server,
            &server.base,
            &spray,
            &other,
            "Musim#Hujan2026",
            Some(""),
        )
        .await;
    }
    let page = get_text(&spray, server.url("/login")).await;
    assert!(
        page.contains("name=\"captcha_id\""),
        "no credit from a give-back"
    );
}
