//! Outsiders at the pages issue 25 added: the first recovery codes shown again
//! (`/mfa/recovery?t=…`) and the locked page's switch (`/login/locked?s=…`) with the
//! deployment's helpdesk contact.

use crate::common::*;
use gerbang::config::HelpdeskContact;
use reqwest::StatusCode;

scenarios!(
    a_recovery_link_is_worth_nothing_outside_its_session_and_its_ten_minutes,
    a_locked_link_shows_only_what_gerbang_sealed_and_tells_no_nip,
);

/// A page holding secrets is kept by no cache and names itself to no other site.
fn assert_private(res: &reqwest::Response) {
    let h = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h("cache-control"), "no-store", "{}", res.url());
    assert_eq!(h("referrer-policy"), "no-referrer", "{}", res.url());
}

/// The switch link of the first recovery codes (`/mfa/recovery?t=…`) reads them only in the
/// session that made them, for 10 minutes: not in another session of the same person (a
/// second sign-in, e.g. the thief's own with a phished password and code), not in a browser
/// without the session, not after 10 minutes. Every answer that holds codes is `no-store`
/// and sends no Referer.
async fn a_recovery_link_is_worth_nothing_outside_its_session_and_its_ten_minutes(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user_without_device(PASSWORD).await;
    let b = server.browser();
    let login = b.get("/login").await;
    let res = b
        .post_login(&login, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/mfa/enrol");
    let (res, secret) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_private(&res);
    let page = res.text().await.unwrap();
    let codes = codes_of(&page);
    assert_eq!(codes.len(), 10, "{page}");
    let href = switch_href(&page);
    assert!(href.starts_with("/mfa/recovery?t="), "{href}");

    // The session that made them, through the link: the codes, privately.
    let res = b.http().get(server.url(&href)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_private(&res);
    assert_eq!(codes_of(&res.text().await.unwrap()), codes);

    // Another session of the same person, with the link: nothing.
    server.clock().advance(30);
    let other = server.browser();
    let code = gerbang::domain::totp::code_at(&secret, server.clock().now() as u64);
    let res = other.sign_in(&nip, PASSWORD, Some(&code)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_ne!(location(&res), "/login", "signed in");
    assert_eq!(other.get("/account").await.status, StatusCode::OK);
    let res = other.http().get(server.url(&href)).send().await.unwrap();
    assert_private(&res);
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(codes_of(&res.text().await.unwrap()).is_empty());
    // Nor its download, which the session that made them gets privately.
    let token = query_param(&server.url(&href), "t").unwrap();
    let mine = b
        .http()
        .get(server.url(&format!("/account/recovery/download?t={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    assert_private(&mine);
    let dl = other
        .http()
        .get(server.url(&format!("/account/recovery/download?t={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(dl.status(), StatusCode::NOT_FOUND);

    // A browser with no session: the sign-in, nothing else.
    let res = server
        .browser()
        .http()
        .get(server.url(&href))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");

    // A token one character off, in the right session: nothing.
    let mut bent = token.clone();
    let last = bent.pop().unwrap();
    bent.push(if last == 'A' { 'B' } else { 'A' });
    let res = b
        .http()
        .get(server.url(&format!("/mfa/recovery?t={bent}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/mfa/continue");

    // After its 10 minutes, the right session with the right link reads nothing either.
    server.clock().advance(10 * 60 + 1);
    let res = b.http().get(server.url(&href)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/mfa/continue");
}

/// Six wrong passwords for `nip` from a fresh browser (the fifth fills the count, the sixth
/// meets the lock); returns the sixth's page.
async fn lock(server: &TestServer, nip: &str) -> String {
    let b = server.browser();
    let mut last = String::new();
    for _ in 0..6 {
        let form = b.get("/login").await;
        let res = b
            .post_login(
                &form,
                &[
                    ("nip", nip),
                    ("password", "Salah#Sandi2026"),
                    ("otp", "123456"),
                ],
            )
            .await;
        last = res.text().await.unwrap();
    }
    assert!(last.contains("data-lock=\"account\""), "{last}");
    last
}

/// The locked page's switch shows what Gerbang sealed and nothing else: a bent, another
/// deployment's or an ended lock's `s` leads to the sign-in; the page for a real NIP and for
/// one without an account is the same page byte for byte (the same status, switch aside);
/// the helpdesk contact as configured never becomes script or markup; `no-store`, no Referer.
async fn a_locked_link_shows_only_what_gerbang_sealed_and_tells_no_nip(backend: Backend) {
    let contact = HelpdeskContact {
        text: "<script>alert(1)</script> Helpdesk".into(),
        text_en: String::new(),
        url: "https://helpdesk.contoh.go.id/\"onmouseover=\"alert(1)".into(),
        phone: "<b>021</b>".into(),
        whatsapp: "0812 3456 7890".into(),
    };
    let server = TestServer::start_with(backend, move |c| {
        c.lockout.captcha_after = 10_000;
        c.helpdesk_contact = contact;
    })
    .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let real = lock(&server, &nip).await;
    let ghost = lock(&server, "199001012015011001").await;
    // The page answering the attempt: the same for both, but for the lock's end.
    let strip = |p: &str| {
        let mut p = p.to_string();
        for (m, end) in [("<strong>", '<'), ("class=\"lang\" href=\"", '"')] {
            let i = p.find(m).unwrap() + m.len();
            p = format!("{}{}", &p[..i], &p[i + p[i..].find(end).unwrap()..]);
        }
        p
    };
    assert_eq!(strip(&real), strip(&ghost));
    for body in [&real, &ghost] {
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(body.contains("&#60;script&#62;alert(1)&#60;/script&#62; Helpdesk"));
        assert!(!body.contains("onmouseover=\"") && !body.contains("id=\"contact-url\""));
        assert!(!body.contains("<b>021") && !body.contains("id=\"contact-phone\""));
        assert!(
            body.contains("href=\"https://wa.me/6281234567890\""),
            "{body}"
        );
    }

    // The switch, opened by a stranger: the same page for both NIPs, switch aside.
    let stranger = server.browser();
    let open = |href: String| {
        let stranger = stranger.clone();
        let server = &server;
        async move {
            let res = stranger.http().get(server.url(&href)).send().await.unwrap();
            assert_private(&res);
            (res.status(), res.text().await.unwrap())
        }
    };
    let cut = |p: &str| {
        let m = "class=\"lang\" href=\"";
        let i = p.find(m).unwrap() + m.len();
        format!("{}{}", &p[..i], &p[i + p[i..].find('"').unwrap()..])
    };
    let (rs, rb) = open(switch_href(&real)).await;
    let (gs, gb) = open(switch_href(&ghost)).await;
    assert_eq!(rs, StatusCode::OK);
    assert_eq!(gs, rs);
    assert_eq!(cut(&rb), cut(&gb));
    assert!(!rb.contains(&nip));
    // Nor does the sealed link's length tell them apart.
    let s_of = |p: &str| query_param(&server.url(&switch_href(p)), "s").unwrap();
    assert_eq!(s_of(&real).len(), s_of(&ghost).len());

    // One character of the seal changed: nobody's page.
    let href = switch_href(&real);
    let s = query_param(&server.url(&href), "s").unwrap();
    let mut chars: Vec<char> = s.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    let bent: String = chars.into_iter().collect();
    let res = stranger
        .http()
        .get(server.url(&format!("/login/locked?s={bent}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");

    // Another deployment's link (its own secret): nobody's page here.
    let elsewhere = TestServer::start_with(backend, |c| {
        c.lockout.captcha_after = 10_000;
    })
    .await;
    let theirs = lock(&elsewhere, "199001012015011002").await;
    let res = stranger
        .http()
        .get(server.url(&switch_href(&theirs)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");

    // The lock has ended: the link is the sign-in, not a page saying it still holds.
    server
        .clock()
        .advance(server.state.settings.lockout.base_lock_secs + 1);
    let res = stranger.http().get(server.url(&href)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
}
