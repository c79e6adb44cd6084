//! Sign-in journeys that must not lose their way (issue 18): a phone with a wrong clock,
//! the locks the helpdesk sees and lifts, the captcha (case, look-alikes, a new image, an
//! office behind one NAT, a known browser), a never-enrolled person, a disabled person and a
//! NIP pasted as printed.

use crate::common::*;
use gerbang::domain::totp;
use reqwest::StatusCode;

scenarios!(
    a_wrong_clock_is_explained_not_locked,
    mistimed_codes_are_no_free_guesses,
    the_locked_page_says_which_lock,
    the_helpdesk_sees_and_lifts_every_lock,
    captcha_ignores_case_and_swaps_without_a_reload,
    new_image_without_script_keeps_the_nip_only,
    an_office_behind_one_nat_is_not_captchad_for_one_person,
    a_known_browser_is_not_shown_a_captcha,
    a_wrong_password_looks_alike_whoever_the_nip_is,
    a_disabled_person_learns_it_only_with_the_right_credentials,
    a_nip_pasted_as_printed_signs_in,
);

/// A six-digit code that is right for `TOTP_SECRET` at no time near `now` (not even ±3 h).
fn wrong_code(now: i64) -> String {
    (0..1_000_000)
        .map(|i| format!("{:06}", (i * 7_919 + 123_457) % 1_000_000))
        .find(|c| totp::verify(TOTP_SECRET, c, now as u64, |_| false) == totp::Verdict::Invalid)
        .unwrap()
}

/// The code `minutes` away from the server's now.
fn code_off(server: &TestServer, minutes: i64) -> String {
    totp::code_at(TOTP_SECRET, (server.clock().now() + minutes * 60) as u64)
}

async fn otp_step(b: &Browser, code: &str) -> reqwest::Response {
    let page = b.get("/login/otp").await;
    b.submit(&page, "/login/otp", &[("otp", code)]).await
}

/// The answer's words, without what changes on every page (CSRF token, server time).
fn shape(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("csrf_token") && !l.contains("server-time"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn browser_failures(server: &TestServer, user_id: &str) -> Vec<(i64, bool)> {
    gerbang::auth::guard::browser_locks(&server.state, user_id)
        .await
        .unwrap()
        .iter()
        .map(|l| (l.failures, l.locked_until.is_some()))
        .collect()
}

/// Issue 18, journey 1: in a browser that signed in before (its own counter locks at 3), a
/// wrong code, then a code 20 minutes ahead, then one 25 minutes behind: the clock is
/// explained each time and nothing locks; with the clock fixed, the person signs in.
async fn a_wrong_clock_is_explained_not_locked(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    server.clock().advance(60);

    let wrong = wrong_code(server.clock().now());
    let res = b.sign_in(&nip, PASSWORD, Some(&wrong)).await;
    assert_eq!(res.status(), 401);

    let res = b
        .sign_in(&nip, PASSWORD, Some(&code_off(&server, 20)))
        .await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.unwrap();
    assert!(page.contains("lebih cepat sekitar 2"), "{page}");

    let res = otp_step(&b, &code_off(&server, -25)).await;
    assert_eq!(res.status(), 401, "the clock is explained, not a lock");
    let page = res.text().await.unwrap();
    assert!(page.contains("lebih lambat sekitar 2"), "{page}");
    assert!(!page.contains("dikunci"), "{page}");
    assert_eq!(
        browser_failures(&server, &user_id).await,
        vec![(2, false)],
        "the wrong code and one mistimed code are counted, the second mistimed one is not"
    );

    // The clock fixed: the right code signs in.
    let res = otp_step(&b, &server.otp(&nip)).await;
    assert_eq!(res.status(), 303);
}

/// Mistimed codes cost only their first guess, and only what the secret's holder can type
/// is mistimed: wrong codes around them are all counted and lock as before, and a mistimed
/// code says the same whether the password beside it was right.
async fn mistimed_codes_are_no_free_guesses(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    // One code seen on the owner's phone (its clock 30 minutes ahead), replayed again and
    // again with guessed passwords from fresh browsers: one guess in all.
    let seen = code_off(&server, 30);
    let mut answers = Vec::new();
    for pw in [PASSWORD, "Tebak#Sandi2026", "Tebak#Sandi2027", PASSWORD] {
        let (status, page) =
            login_attempt(&server, &server.base, &browser(), &nip, pw, Some(&seen)).await;
        assert_eq!(status, 401);
        assert!(page.contains("lebih cepat sekitar"), "{page}");
        // Real seconds pass between the attempts: "about 29" or "about 30" minutes.
        answers.push(shape(&page).replace(char::is_numeric, ""));
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "a mistimed code tells nothing about the password"
    );
    assert_eq!(server.user(&nip).await.failed_logins, 1);
    // Wrong codes still count, each: four more fill the five and lock.
    for i in 0..4 {
        let wrong = wrong_code(server.clock().now());
        let (status, _) = login_attempt(
            &server,
            &server.base,
            &browser(),
            &nip,
            PASSWORD,
            Some(&wrong),
        )
        .await;
        assert_eq!(status, if i < 3 { 401 } else { 403 }, "wrong code {i}");
    }
    // Locked: a mistimed code is not even compared.
    let (status, page) = login_attempt(
        &server,
        &server.base,
        &browser(),
        &nip,
        PASSWORD,
        Some(&seen),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        !page.contains("lebih cepat"),
        "nothing compared while locked"
    );
}

/// The locked page says which lock it is and what to do; when a mistimed code filled the
/// count, it also says what was wrong with the clock.
async fn the_locked_page_says_which_lock(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let owner = server.browser();
    assert_eq!(owner.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let mut last = String::new();
    for _ in 0..3 {
        let wrong = wrong_code(server.clock().now());
        last = owner
            .sign_in(&nip, PASSWORD, Some(&wrong))
            .await
            .text()
            .await
            .unwrap();
    }
    assert!(last.contains("data-lock=\"browser\""), "{last}");
    assert!(last.contains("Hanya browser ini yang dikunci"), "{last}");

    // From a browser that never signed in: the account's lock, and the clock message from
    // the mistimed code that filled the count.
    let other = browser();
    for _ in 0..4 {
        let wrong = wrong_code(server.clock().now());
        let (st, _) =
            login_attempt(&server, &server.base, &other, &nip, PASSWORD, Some(&wrong)).await;
        assert_eq!(st, 401);
    }
    let (st, page) = login_attempt(
        &server,
        &server.base,
        &other,
        &nip,
        PASSWORD,
        Some(&code_off(&server, -40)),
    )
    .await;
    assert_eq!(st, 403);
    assert!(page.contains("data-lock=\"account\""), "{page}");
    assert!(page.contains("id=\"locked-note\""), "{page}");
    assert!(page.contains("lebih lambat sekitar"), "{page}");
    // A NIP without an account locks with the same page as a real one.
    let ghost = "199001012015011001";
    let mut ghost_page = String::new();
    for _ in 0..5 {
        ghost_page = login_attempt(
            &server,
            &server.base,
            &browser(),
            ghost,
            "Salah#Sandi2026",
            Some("123456"),
        )
        .await
        .1;
    }
    assert!(ghost_page.contains("data-lock=\"account\""), "{ghost_page}");
}

/// The console lists every lock that can stop the person (the account's and each known
/// browser's, with their failure counts and end times) and Unlock lifts them all.
async fn the_helpdesk_sees_and_lifts_every_lock(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
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
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let owner = server.browser();
    assert_eq!(owner.sign_in(&nip, PASSWORD, None).await.status(), 303);
    // The owner's browser locks on its own counter (three codes), the account from elsewhere.
    for _ in 0..3 {
        let wrong = wrong_code(server.clock().now());
        owner.sign_in(&nip, PASSWORD, Some(&wrong)).await;
    }
    for _ in 0..5 {
        let wrong = wrong_code(server.clock().now());
        login_attempt(
            &server,
            &server.base,
            &browser(),
            &nip,
            PASSWORD,
            Some(&wrong),
        )
        .await;
    }
    assert_eq!(owner.sign_in(&nip, PASSWORD, None).await.status(), 403);

    let staff = server.browser();
    assert_eq!(
        staff.sign_in(&staff_nip, PASSWORD, None).await.status(),
        303
    );
    let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"browser-locks\""), "{}", page.body);
    let table = page.body.split("id=\"browser-locks\"").nth(1).unwrap();
    let table = table.split("</table>").next().unwrap();
    assert!(
        table.contains("WIB"),
        "the browser's lock has its end: {table}"
    );
    let locked = page.body.split("id=\"locked\">").nth(1).unwrap();
    assert!(
        locked.starts_with(|c: char| c.is_ascii_digit()),
        "the account's end: {locked}"
    );

    // The agency tools' API lists the same browser lock.
    let secret = server
        .add_client_with("bkpsdm-tool", |c| {
            c.allowed_scopes = vec!["helpdesk".into()]
        })
        .await;
    let url = authorize_url(&server, "bkpsdm-tool", "openid helpdesk");
    let res = login_through(&server, &browser(), &url, &staff_nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t: serde_json::Value = exchange_code(&server, "bkpsdm-tool", &secret, &code).await;
    let person: serde_json::Value = rp_http()
        .get(server.url(&format!("/api/helpdesk/users/{nip}")))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let locks = person["browser_locks"].as_array().unwrap();
    assert_eq!(locks.len(), 1, "{person}");
    assert!(locks[0]["locked_until"].is_i64(), "{person}");

    let res = staff
        .submit(
            &page,
            "/helpdesk/action",
            &[
                ("action", "unlock"),
                ("reason", "ditelepon, jam ponsel salah"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
    assert!(!page.body.contains("id=\"browser-locks\""), "{}", page.body);
    assert!(page.body.contains("id=\"locked\">-<"), "{}", page.body);
    server.clock().advance(30);
    assert_eq!(
        owner.sign_in(&nip, PASSWORD, None).await.status(),
        303,
        "the owner's browser is open again"
    );
    assert_eq!(
        server
            .browser()
            .sign_in(&nip, PASSWORD, None)
            .await
            .status(),
        303
    );
}

/// Three failures for a NIP bring its captcha: answered in any case it passes, and
/// `/captcha/new` swaps it for a fresh one (the old one is spent) without a page load.
async fn captcha_ignores_case_and_swaps_without_a_reload(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    for _ in 0..3 {
        b.sign_in(
            &nip,
            "Salah#Sandi2026",
            Some(&wrong_code(server.clock().now())),
        )
        .await;
    }
    let page = b.get(&format!("/login?nip={nip}")).await;
    assert!(page.body.contains("name=\"captcha_id\""), "{}", page.body);
    assert!(page.body.contains("/static/captcha.js"));
    let old = hidden(&page.body, "captcha_id");
    let fresh: serde_json::Value = get_json(&b, b.url(&format!("/captcha/new?old={old}"))).await;
    let id = fresh["id"].as_str().unwrap().to_string();
    assert_eq!(fresh["src"], format!("/captcha/{id}"));
    assert!(
        captcha_answer_for(&server, &old).await.is_none(),
        "the old one is spent"
    );
    let img = b
        .http()
        .get(b.url(&format!("/captcha/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), 200);
    let js = b
        .http()
        .get(b.url("/static/captcha.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);

    let answer = captcha_answer_for(&server, &id).await.unwrap();
    assert!(
        answer
            .chars()
            .all(|c| gerbang::web::captcha::ALPHABET.contains(c))
    );
    let flipped: String = answer
        .chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    let otp = server.otp(&nip);
    let res = b
        .submit(
            &page,
            "/login",
            &[
                ("captcha_id", id.as_str()),
                ("captcha", flipped.as_str()),
                ("nip", nip.as_str()),
                ("password", PASSWORD),
                ("otp", otp.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "the answer in the other case passes");
}

/// "New image" without script posts the form: it comes back by a GET that carries the NIP
/// (never the password) with a new captcha, and nothing is counted.
async fn new_image_without_script_keeps_the_nip_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    for _ in 0..3 {
        b.sign_in(
            &nip,
            "Salah#Sandi2026",
            Some(&wrong_code(server.clock().now())),
        )
        .await;
    }
    let before = server.user(&nip).await.failed_logins;
    let page = b.get(&format!("/login?nip={nip}")).await;
    let pasted = format!(
        "{} {} {} {}",
        &nip[..8],
        &nip[8..14],
        &nip[14..15],
        &nip[15..]
    );
    let res = b
        .submit(
            &page,
            "/login",
            &[
                ("nip", pasted.as_str()),
                ("password", "Rahasia#Sekali2026"),
                ("new_captcha", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert_eq!(to, format!("/login?nip={nip}"));
    assert!(!to.contains("Rahasia"));
    let again = b.get(&to).await;
    assert!(
        again.body.contains(&format!("value=\"{nip}\"")),
        "{}",
        again.body
    );
    assert!(again.body.contains("name=\"captcha_id\""));
    assert_ne!(
        hidden(&again.body, "captcha_id"),
        hidden(&page.body, "captcha_id")
    );
    assert_eq!(
        server.user(&nip).await.failed_logins,
        before,
        "nothing counted"
    );
    assert!(
        captcha_answer_for(&server, &hidden(&page.body, "captcha_id"))
            .await
            .is_none(),
        "the old image is spent"
    );
}

/// A BKPSDM office behind one NAT: one person's failures ask that person (that NIP) for a
/// captcha, not the next person at the same address; a flood from the address still meets
/// it (`captcha_after_ip`).
async fn an_office_behind_one_nat_is_not_captchad_for_one_person(backend: Backend) {
    // A long window, so no window boundary falls inside the test.
    let server = TestServer::start_with(backend, |c| {
        c.lockout.captcha_after_ip = 8;
        c.lockout.base_lock_secs = 12 * 3600;
    })
    .await;
    let (siti, _) = server.add_user(Some(PASSWORD)).await;
    let (budi, _) = server.add_user(Some(PASSWORD)).await;
    let first = server.browser();
    for _ in 0..3 {
        let wrong = wrong_code(server.clock().now());
        first.sign_in(&siti, "Salah#Sandi2026", Some(&wrong)).await;
    }
    let page = first.get(&format!("/login?nip={siti}")).await;
    assert!(
        page.body.contains("name=\"captcha_id\""),
        "Siti's NIP asks for one"
    );
    // The next person at the same address: no captcha, signs in.
    let next = server.browser();
    let page = next.get("/login").await;
    assert!(!page.body.contains("name=\"captcha_id\""), "{}", page.body);
    let otp = server.otp(&budi);
    let res = next
        .submit(
            &page,
            "/login",
            &[
                ("nip", budi.as_str()),
                ("password", PASSWORD),
                ("otp", otp.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "no captcha asked of Budi");
    // A flood: failures on many NIPs from the address bring the captcha for everyone there.
    for _ in 0..8 {
        let (other, _) = server.add_user(Some(PASSWORD)).await;
        let wrong = wrong_code(server.clock().now());
        login_attempt(
            &server,
            &server.base,
            &browser(),
            &other,
            "Musim#Hujan2026",
            Some(&wrong),
        )
        .await;
    }
    let page = server.browser().get("/login").await;
    assert!(page.body.contains("name=\"captcha_id\""), "the flood guard");
}

/// A browser that signed in as the person before has its own counter and is never asked
/// for the captcha others' failures brought to the NIP, so it is not shown one either.
async fn a_known_browser_is_not_shown_a_captcha(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let owner = server.browser();
    assert_eq!(owner.sign_in(&nip, PASSWORD, None).await.status(), 303);
    for _ in 0..3 {
        let wrong = wrong_code(server.clock().now());
        login_attempt(
            &server,
            &server.base,
            &browser(),
            &nip,
            "Tebak#Sandi2026",
            Some(&wrong),
        )
        .await;
    }
    let stranger = server.browser().get(&format!("/login?nip={nip}")).await;
    assert!(stranger.body.contains("name=\"captcha_id\""));
    let page = owner.get(&format!("/login?nip={nip}")).await;
    assert!(!page.body.contains("name=\"captcha_id\""), "{}", page.body);
    let page = owner.get("/login").await;
    assert!(!page.body.contains("name=\"captcha_id\""));
    let otp = server.otp(&nip);
    let res = owner
        .submit(
            &page,
            "/login",
            &[
                ("nip", nip.as_str()),
                ("password", PASSWORD),
                ("otp", otp.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
}

/// With the code left empty, a wrong password gets the same second step whether the NIP is
/// unknown, never enrolled or enrolled (and a right password of an enrolled person gets it
/// too): nobody learns who has enrolled. That step tells a first-time user the NIP or
/// password did not match and offers a way back; a wrong code there says "wrong OTP code".
async fn a_wrong_password_looks_alike_whoever_the_nip_is(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (enrolled, _) = server.add_user(Some(PASSWORD)).await;
    let (fresh, _) = server.add_user_without_device(PASSWORD).await;
    let unknown = "199001012015011001".to_string();
    let mut pages = Vec::new();
    for (nip, pw) in [
        (&unknown, "Salah#Sandi2026"),
        (&fresh, "Salah#Sandi2026"),
        (&enrolled, "Salah#Sandi2026"),
        (&enrolled, PASSWORD),
    ] {
        let (status, page) =
            login_attempt(&server, &server.base, &browser(), nip, pw, Some("")).await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"first-time\""), "{page}");
        // "Start over" brings the NIP typed back to the form: the NIP is all that differs.
        assert!(
            page.contains(&format!("href=\"/login?nip={nip}\"")),
            "{page}"
        );
        pages.push(shape(&page.replace(nip.as_str(), "NIP")));
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "{pages:#?}");
    // The first-page hint tells first-time users to leave the code empty.
    let login = get_text(&browser(), server.url("/login")).await;
    assert!(login.contains("Biarkan kosong"), "{login}");
    // The never-enrolled person with the right password enrols.
    let b = server.browser();
    let res = b.sign_in(&fresh, PASSWORD, Some("")).await;
    assert_eq!(location(&res), "/mfa/enrol");
    // On the second step, a wrong code is a wrong code.
    let b = server.browser();
    b.sign_in(&enrolled, PASSWORD, Some("")).await;
    let res = otp_step(&b, &wrong_code(server.clock().now())).await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.unwrap();
    assert!(page.contains("Kode OTP salah."), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        !page.contains("NIP, kata sandi, atau kode OTP salah"),
        "{page}"
    );
}

/// A disabled person with the right password and code is told the account is disabled and
/// whom to contact; wrong credentials on a disabled account look like any wrong ones.
async fn a_disabled_person_learns_it_only_with_the_right_credentials(backend: Backend) {
    use gerbang::domain::user_status::UserStatus;
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (active, _) = server.add_user(Some(PASSWORD)).await;
    let (gone, gone_id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .set_user_status(&gone_id, UserStatus::Disabled, server.clock().now())
        .await
        .unwrap();
    // The NIP is echoed in the form: compared with it blanked out.
    let same = |a: (StatusCode, String), b: (StatusCode, String)| {
        let blank = |p: &str| shape(&p.replace(&active, "NIP").replace(&gone, "NIP"));
        assert_eq!((a.0, blank(&a.1)), (b.0, blank(&b.1)));
    };
    let try_ = |nip: String, pw: &'static str, otp: Option<String>| {
        let server = &server;
        async move { login_attempt(server, &server.base, &browser(), &nip, pw, otp.as_deref()).await }
    };
    let wrong = wrong_code(server.clock().now());
    // Wrong password (code typed), right password with a wrong code, right password alone.
    same(
        try_(active.clone(), "Salah#Sandi2026", Some(wrong.clone())).await,
        try_(gone.clone(), "Salah#Sandi2026", Some(wrong.clone())).await,
    );
    same(
        try_(active.clone(), PASSWORD, Some(wrong.clone())).await,
        try_(gone.clone(), PASSWORD, Some(wrong.clone())).await,
    );
    same(
        try_(active.clone(), PASSWORD, Some(String::new())).await,
        try_(gone.clone(), PASSWORD, Some(String::new())).await,
    );
    let (status, page) = try_(gone.clone(), PASSWORD, None).await;
    assert_eq!(status, 403);
    assert!(page.contains("id=\"disabled\""), "{page}");
    assert!(page.contains("helpdesk BKPSDM"), "{page}");
}

/// A NIP pasted as printed (groups with spaces, dots or dashes) signs in; the field takes the
/// printed length and brings the numeric keyboard.
async fn a_nip_pasted_as_printed_signs_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let page = get_text(&browser(), server.url("/login")).await;
    let field = page
        .split("id=\"nip\"")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    assert!(field.contains("maxlength=\"24\""), "{field}");
    assert!(field.contains("inputmode=\"numeric\""), "{field}");
    for sep in [" ", ".", "-"] {
        let printed = [&nip[..8], &nip[8..14], &nip[14..15], &nip[15..]].join(sep);
        let b = server.browser();
        let res = b.sign_in(&printed, PASSWORD, None).await;
        assert_eq!(res.status(), 303, "{printed}");
        server.clock().advance(60);
    }
    let reset = get_text(&browser(), server.url("/reset")).await;
    assert!(reset.contains("maxlength=\"24\""));
}
