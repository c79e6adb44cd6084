//! Issue 25 item 6, what the account page says: each notice names what changed (escaped,
//! and never taken from the address), an error is shown inside the form it is about and
//! focused, a refused new password lists each broken rule on its own line, and adding a
//! device says which of its two codes was wrong.

use crate::common::*;
use gerbang::domain::password_policy::Rule;
use gerbang::domain::totp::code_at;
use gerbang::web::i18n::Lang;

scenarios!(
    every_account_notice_names_what_changed,
    a_notice_says_only_what_this_session_changed,
    a_refused_password_is_told_rule_by_rule_inside_its_form,
    a_device_form_error_is_shown_in_that_form,
    adding_a_device_says_which_code_was_wrong,
);

/// What askama writes for a text, undone (the few characters it escapes).
fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The notice of an account page, as the person reads it (`None`: none shown).
fn notice(page: &str) -> Option<String> {
    let at = page.split("id=\"account-notice\">").nth(1)?;
    Some(unescape(&at[..at.find("</p>").unwrap()]))
}

/// The page `res` redirects to, in `lang` (the language switch's `&lang=`).
async fn follow(b: &Browser, res: &reqwest::Response, lang: Lang) -> Page {
    let to = location(res);
    assert!(to.starts_with("/account?done="), "{to}");
    b.get(&format!("{to}&lang={}", lang.code())).await
}

/// Both languages' notices after the change `res` answered, checked against `id` and `en`.
async fn says(b: &Browser, res: &reqwest::Response, id: &str, en: &str) {
    assert_eq!(res.status(), 303, "the change was made");
    for (lang, want) in [(Lang::Id, id), (Lang::En, en)] {
        let page = follow(b, res, lang).await;
        assert_eq!(page.status, 200);
        assert_eq!(notice(&page.body).as_deref(), Some(want), "{}", page.url);
    }
    // Back to the default language for the next step.
    b.get("/account?lang=id").await;
}

/// The id of the device named `name` on the account page.
fn device_id(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("<strong>{name}</strong>"))
        .unwrap_or_else(|| panic!("{name} not listed"));
    let before = &page[..at];
    let start = before.rfind("id=\"device-").unwrap() + "id=\"device-".len();
    before[start..start + before[start..].find('"').unwrap()].to_string()
}

/// The new device's secret (base32) on an enrolment page.
fn enrol_secret(page: &str) -> Vec<u8> {
    let b32 = page
        .split("data-totp-secret=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    totp_rs::Secret::try_from_base32(b32).unwrap().to_vec()
}

/// The form of `page` posting to `action`, whole (`<form …>…</form>`).
fn form<'a>(page: &'a str, action: &str) -> &'a str {
    let start = page
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form {action}"));
    let start = page[..start].rfind("<form").unwrap();
    let end = start + page[start..].find("</form>").unwrap();
    &page[start..end]
}

/// The error block of `html` (`id="account-error"`), as text.
fn error_in(html: &str) -> Option<&str> {
    let at = html.find("id=\"account-error\"")?;
    let end = at + html[at..].find("</div>").unwrap();
    Some(&html[at..end])
}

async fn every_account_notice_names_what_changed(backend: Backend) {
    let server = TestServer::start(backend).await;
    server
        .add_client("sscasn", "ES256", &["authorization_code"])
        .await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let other = server.browser();
    assert_eq!(other.sign_in(&nip, PASSWORD, None).await.status(), 303);

    // A device added from the account, its name typed with markup: escaped, not obeyed.
    let enrol = b.get("/mfa/enrol").await;
    let tablet_secret = enrol_secret(&enrol.body);
    let new_code = code_at(&tablet_secret, server.clock().now() as u64);
    let current = server.otp(&nip);
    let fields = [
        ("otp", new_code.as_str()),
        ("device_name", "<b>Tablet</b>"),
        ("current_otp", current.as_str()),
    ];
    let res = b.submit(&enrol, "/mfa/enrol", &fields).await;
    says(
        &b,
        &res,
        "Perangkat “<b>Tablet</b>” ditambahkan.",
        "Device “<b>Tablet</b>” added.",
    )
    .await;
    let page = b.get(&location(&res)).await.body;
    assert!(!page.contains("<b>Tablet</b>"), "the name is escaped");

    // Renamed: the old name and the new one.
    let hp = device_id(&page, "HP Pribadi");
    let account = b.get("/account").await;
    let otp = server.otp(&nip);
    let action = format!("/account/devices/{hp}/rename");
    let res = b
        .submit(
            &account,
            &action,
            &[("device_name", "Kantor"), ("otp", &otp)],
        )
        .await;
    says(
        &b,
        &res,
        "Perangkat “HP Pribadi” diganti namanya menjadi “Kantor”.",
        "Device “HP Pribadi” renamed to “Kantor”.",
    )
    .await;

    // Removed, vouched for by the other device.
    let account = b.get("/account").await;
    server.clock().advance(30);
    let code = code_at(&tablet_secret, server.clock().now() as u64);
    let action = format!("/account/devices/{hp}/remove");
    let res = b
        .submit(&account, &action, &[("otp", &code), ("confirm", "yes")])
        .await;
    says(
        &b,
        &res,
        "Perangkat “Kantor” dihapus.",
        "Device “Kantor” removed.",
    )
    .await;

    // A service's permission withdrawn: the service by name.
    let now = server.clock().now();
    let store = &server.state.store;
    store
        .save_consent(&user_id, "sscasn", "openid profile", now)
        .await
        .unwrap();
    let confirm = b
        .get("/account/confirm?what=consent&client_id=sscasn")
        .await;
    let res = b.submit(&confirm, "/account/consents/revoke", &[]).await;
    says(
        &b,
        &res,
        "Izin untuk Layanan sscasn dicabut.",
        "Permission for Layanan sscasn withdrawn.",
    )
    .await;

    // One other session ended: which one, in words.
    let confirm = b.get("/account/confirm?what=sessions").await;
    // The other session's sid, from the list (this one is marked "sesi ini").
    let account = b.get("/account").await.body;
    let sid = account
        .split("<span class=\"session-browser\">")
        .skip(1)
        .find(|li| !li[..li.find("</li>").unwrap()].contains("(sesi ini)"))
        .and_then(|li| li.split("name=\"sid\" value=\"").nth(1))
        .map(|v| v[..v.find('"').unwrap()].to_string())
        .expect("another session listed");
    let res = b
        .submit(&confirm, "/account/sessions/end", &[("sid", &sid)])
        .await;
    assert_eq!(res.status(), 303);
    for lang in [Lang::Id, Lang::En] {
        let page = follow(&b, &res, lang).await;
        let said = notice(&page.body).expect("a notice");
        let (start, end) = match lang {
            Lang::Id => ("Sesi ", " dikeluarkan."),
            Lang::En => ("Session ", " signed out."),
        };
        assert!(
            said.starts_with(start) && said.ends_with(end) && said.contains("127.0.0.1"),
            "{said}"
        );
    }
    b.get("/account?lang=id").await;

    // Every other session at once, then the password.
    let other2 = server.browser();
    server.clock().advance(30);
    let code = code_at(&tablet_secret, server.clock().now() as u64);
    let res = other2.sign_in(&nip, PASSWORD, Some(&code)).await;
    assert_eq!(res.status(), 303);
    let confirm = b.get("/account/confirm?what=sessions").await;
    let res = b.submit(&confirm, "/account/sessions/end", &[]).await;
    says(
        &b,
        &res,
        "Semua sesi lain dikeluarkan.",
        "All your other sessions were signed out.",
    )
    .await;
    let account = b.get("/account").await;
    server.clock().advance(30);
    let otp = code_at(&tablet_secret, server.clock().now() as u64);
    let new = "Kebun#Mangga2027";
    let fields = [
        ("current_password", PASSWORD),
        ("otp", otp.as_str()),
        ("password", new),
        ("password_confirm", new),
    ];
    let res = b.submit(&account, "/account/password", &fields).await;
    says(
        &b,
        &res,
        "Kata sandi diganti. Semua sesi lain telah dikeluarkan.",
        "Password changed. All your other sessions were signed out.",
    )
    .await;
}

async fn a_notice_says_only_what_this_session_changed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let account = b.get("/account").await;
    let hp = device_id(&account.body, "HP Pribadi");
    let otp = server.otp(&nip);
    let action = format!("/account/devices/{hp}/rename");
    let res = b
        .submit(
            &account,
            &action,
            &[("device_name", "Rahasia"), ("otp", &otp)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert_eq!(to, "/account?done=device_renamed");
    assert!(b.get(&to).await.body.contains("Rahasia”."), "named here");

    // Another session of the same person, on the same link: the sentence, no names.
    let other = server.browser();
    assert_eq!(other.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let page = other.get(&to).await;
    assert_eq!(
        notice(&page.body).as_deref(),
        Some("Nama perangkat diganti.")
    );
    // Nothing the address says is shown as such: no name, no free text, no unknown code.
    for forged in [
        "/account?done=device_renamed&name=Hadiah+Rp+10+juta&names=x",
        "/account?done=Hadiah%20Rp%2010%20juta",
        "/account?done=%3Cscript%3Ealert(1)%3C/script%3E",
        "/account?done=saved",
    ] {
        let page = other.get(forged).await;
        assert_eq!(page.status, 200, "{forged}");
        let said = notice(&page.body);
        assert!(
            said.is_none() || said.as_deref() == Some("Nama perangkat diganti."),
            "{forged}: {said:?}"
        );
        assert!(!page.body.contains("<script>alert"));
    }
}

async fn a_refused_password_is_told_rule_by_rule_inside_its_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    for lang in [Lang::Id, Lang::En] {
        let account = b.get(&format!("/account?lang={}", lang.code())).await;
        // The live checklist is on the form, as on the reset page, with its script.
        let pw_form = form(&account.body, "/account/password");
        for rule in ["length", "upper", "lower", "digit", "symbol", "match"] {
            assert!(pw_form.contains(&format!("data-rule=\"{rule}\"")), "{rule}");
        }
        assert!(account.body.contains("src=\"/static/password.js\""));
        assert!(
            error_in(&account.body).is_none(),
            "no error before a submit"
        );

        let otp = server.otp(&nip);
        let fields = [
            ("current_password", PASSWORD),
            ("otp", otp.as_str()),
            ("password", "pendek"),
            ("password_confirm", "pendek!"),
        ];
        let res = b.submit(&account, "/account/password", &fields).await;
        assert_eq!(res.status(), 400);
        let page = res.text().await.unwrap();
        // Inside the password form, focused; nowhere else.
        let pw_form = form(&page, "/account/password");
        let error = error_in(pw_form).expect("the error is inside the password form");
        assert!(error.contains("autofocus"), "focused on arrival: {error}");
        assert_eq!(page.matches("id=\"account-error\"").count(), 1);
        // Each broken rule on its own line, and the mismatch too.
        for rule in [Rule::MinLength, Rule::Upper, Rule::Digit, Rule::Symbol] {
            let line = format!("<li>{}</li>", lang.t(rule.key()));
            assert!(
                unescape(error).contains(&line),
                "{rule:?} on its own line: {error}"
            );
        }
        assert!(!unescape(error).contains(&format!("<li>{}</li>", lang.t(Rule::Lower.key()))));
        assert!(
            unescape(error).contains(lang.t("reset.mismatch")),
            "{error}"
        );
        // The checklist marks them too.
        assert!(pw_form.contains("data-rule=\"length\" class=\"fail\""));
        assert!(pw_form.contains("data-rule=\"match\" class=\"fail\""));
        assert!(pw_form.contains("data-rule=\"lower\">"));
    }
}

async fn a_device_form_error_is_shown_in_that_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    server
        .add_device(&user_id, "Tablet", b"another-secret-0123")
        .await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let account = b.get("/account").await;
    let tablet = device_id(&account.body, "Tablet");
    let hp = device_id(&account.body, "HP Pribadi");
    let action = format!("/account/devices/{tablet}/rename");
    let res = b
        .submit(
            &account,
            &action,
            &[("device_name", "X"), ("otp", "000000")],
        )
        .await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.unwrap();
    let there = form(&page, &action);
    let error = error_in(there).expect("the error is inside the Tablet's rename form");
    assert!(unescape(error).contains("Kode OTP salah."), "{error}");
    assert!(error.contains("autofocus"));
    assert_eq!(page.matches("id=\"account-error\"").count(), 1);
    // Its <details> is open; the other device's are not.
    let li = &page[page.find(&format!("id=\"device-{tablet}\"")).unwrap()..];
    assert!(li[..li.find(&action).unwrap()].contains("<details open>"));
    let hp_li = &page[page.find(&format!("id=\"device-{hp}\"")).unwrap()..];
    let hp_li = &hp_li[..hp_li.find("</li>").unwrap()];
    assert!(!hp_li.contains("<details open>"), "{hp_li}");
    assert!(error_in(form(&page, "/account/password")).is_none());
}

async fn adding_a_device_says_which_code_was_wrong(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    for lang in [Lang::Id, Lang::En] {
        let enrol = b.get(&format!("/mfa/enrol?lang={}", lang.code())).await;
        let secret = enrol_secret(&enrol.body);
        let new_code = code_at(&secret, server.clock().now() as u64);
        let wrong_new = format!("{:06}", (new_code.parse::<u32>().unwrap() + 1) % 1_000_000);
        // The new device's code wrong, the current one right.
        let current = server.otp(&nip);
        let fields = [
            ("otp", wrong_new.as_str()),
            ("device_name", "Tablet"),
            ("current_otp", current.as_str()),
        ];
        let res = b.submit(&enrol, "/mfa/enrol", &fields).await;
        assert_eq!(res.status(), 400);
        let page = unescape(&res.text().await.unwrap());
        assert!(page.contains(lang.t("enrol.bad_new_code")), "{page}");
        assert!(!page.contains(lang.t("enrol.bad_current_code")));
        assert!(
            page.contains("id=\"otp\"")
                && page.contains("otp-hint enrol-error\" aria-invalid=\"true\"")
        );
        // The new device's code right, the current one wrong.
        let fields = [
            ("otp", new_code.as_str()),
            ("device_name", "Tablet"),
            ("current_otp", "000000"),
        ];
        let res = b.submit(&enrol, "/mfa/enrol", &fields).await;
        assert_eq!(res.status(), 401);
        let page = unescape(&res.text().await.unwrap());
        assert!(page.contains(lang.t("enrol.bad_current_code")), "{page}");
        assert!(!page.contains(lang.t("enrol.bad_new_code")));
        assert!(page.contains("current-otp-hint enrol-error\" aria-invalid=\"true\""));
        assert_ne!(
            lang.t("enrol.bad_new_code"),
            lang.t("enrol.bad_current_code")
        );
        server.clock().advance(30);
    }
    assert_eq!(
        server.state.store.list_totp(&user_id).await.unwrap().len(),
        1,
        "nothing added"
    );
}
