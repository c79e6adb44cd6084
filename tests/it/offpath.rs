//! Off the main path (issue 25): the language switch on the first recovery codes and the
//! locked page keeps what the page showed and the service the sign-in continues to; the
//! locked page says when the lock ends, what a reset does there, and whom to ask.

use crate::common::*;
use gerbang::config::HelpdeskContact;
use gerbang::web::i18n::Lang;
use gerbang::web::time::wib_clock;
use reqwest::StatusCode;

scenarios!(
    the_switch_on_the_first_recovery_codes_keeps_them_and_the_service,
    the_locked_page_says_when_it_ends_what_a_reset_does_and_whom_to_ask,
);

/// A service sends a person without a device to Gerbang; returns the login form's address.
async fn start_at_service(server: &TestServer, b: &Browser) -> String {
    let url = authorize_url(server, "myasn", "openid");
    let res = b.http().get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    location(&res)
}

/// The switch on the page that shows the first device's recovery codes shows the same codes
/// in English, "continue" still reaches the service with a code; the codes never travel in
/// an address, and the switch's link is worthless to another browser (or to this session
/// without its token).
async fn the_switch_on_the_first_recovery_codes_keeps_them_and_the_service(backend: Backend) {
    let server = TestServer::start(backend).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user_without_device(PASSWORD).await;
    let b = server.browser();
    let login = b.get(&start_at_service(&server, &b).await).await;
    let res = b
        .post_login(&login, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/mfa/enrol");
    let (res, _) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let codes = codes_of(&page);
    assert_eq!(codes.len(), 10, "{page}");
    assert!(page.contains("href=\"/mfa/continue\""), "{page}");

    let href = switch_href(&page);
    assert!(href.starts_with("/mfa/recovery?t="), "{href}");
    assert!(href.ends_with("&lang=en"), "{href}");
    for c in &codes {
        assert!(!href.contains(c.as_str()), "no code in the address: {href}");
    }
    // Another browser with the link gets no codes (no session), nor does this session
    // without the link's token.
    let stranger = server.browser().get(&href).await;
    assert!(codes_of(&stranger.body).is_empty(), "{}", stranger.body);
    let no_token = b
        .http()
        .get(server.url("/mfa/recovery?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&no_token), "/mfa/continue");

    let en = b.get(&href).await;
    assert_eq!(en.status, StatusCode::OK, "{}", en.body);
    assert_eq!(codes_of(&en.body), codes, "the same codes: {}", en.body);
    assert!(en.body.contains("<html lang=\"en\""), "{}", en.body);
    assert!(en.body.contains("href=\"/mfa/continue\""), "{}", en.body);
    // And back to Indonesian, still the same codes.
    let back = switch_href(&en.body);
    assert!(
        back.starts_with("?t=") && back.ends_with("&lang=id"),
        "{back}"
    );
    let id = b.get(&format!("/mfa/recovery{back}")).await;
    assert_eq!(codes_of(&id.body), codes);
    assert!(id.body.contains("<html lang=\"id\""), "{}", id.body);

    // "Continue" still reaches the service, with a code.
    let res = b
        .http()
        .get(server.url("/mfa/continue"))
        .send()
        .await
        .unwrap();
    let to = location(&res);
    assert!(to.starts_with(REDIRECT), "{to}");
    assert!(query_param(&to, "code").is_some(), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("s"));
}

/// Five wrong passwords for `nip` from browser `b`, started at the service; returns the
/// sign-in request's id, the locked page and when the attempts began and ended.
async fn lock_at_service(server: &TestServer, b: &Browser, nip: &str) -> (String, Page, i64, i64) {
    let login = start_at_service(server, b).await;
    let req = query_param(&server.url(&login), "req").expect("a request id");
    let t0 = server.clock().now();
    let mut last = None;
    for _ in 0..5 {
        let form = b.get(&login).await;
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
        last = Some(Page {
            status: res.status(),
            url: server.url("/login"),
            body: res.text().await.unwrap(),
        });
    }
    (req, last.unwrap(), t0, server.clock().now())
}

/// The lock's end as the page must name it, for a lock filled between `t0` and `t1`.
fn ends(t0: i64, t1: i64, lang: Lang) -> [String; 2] {
    [wib_clock(t0 + 900, lang), wib_clock(t1 + 900, lang)]
}

/// The locked page names when the lock ends in WIB, says a reset does not lift it, shows the
/// deployment's helpdesk contact and the way back to the service, in both languages; its
/// switch keeps all of it; a NIP without an account gets the very same page (no agency, no
/// tell); a switch link that is not Gerbang's, or whose lock ended, leads to the sign-in.
async fn the_locked_page_says_when_it_ends_what_a_reset_does_and_whom_to_ask(backend: Backend) {
    let server = TestServer::start_with(backend, |c| {
        c.lockout.captcha_after = 10_000;
        c.helpdesk_contact = HelpdeskContact {
            text: "Helpdesk BKPSDM Kab. Contoh, Senin–Jumat 08.00–16.00 WIB".into(),
            text_en: "Helpdesk BKPSDM Kab. Contoh, Monday–Friday 08.00–16.00 WIB".into(),
            url: "https://helpdesk.contoh.go.id/tiket".into(),
            phone: "(021) 1234-5678".into(),
            whatsapp: "0812 3456 7890".into(),
        };
    })
    .await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let (req, page, t0, t1) = lock_at_service(&server, &b, &nip).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("data-lock=\"account\""), "{body}");
    assert!(
        ends(t0, t1, Lang::Id)
            .iter()
            .any(|e| body.contains(e.as_str())),
        "the end in WIB: {body}"
    );
    assert!(body.contains("pukul "), "{body}");
    assert!(body.contains("tidak membuka kunci ini"), "{body}");
    assert!(
        body.contains("Helpdesk BKPSDM Kab. Contoh, Senin–Jumat"),
        "{body}"
    );
    assert!(
        body.contains("href=\"https://wa.me/6281234567890\""),
        "{body}"
    );
    assert!(body.contains("href=\"tel:02112345678\""), "{body}");
    assert!(
        body.contains("href=\"https://helpdesk.contoh.go.id/tiket\""),
        "{body}"
    );
    let back = format!("href=\"/login?req={req}\"");
    assert!(
        body.contains(&back),
        "the way back keeps the service: {body}"
    );
    assert!(body.contains("Layanan myasn"), "{body}");
    assert!(
        body.contains(&format!("href=\"/reset?req={req}\"")),
        "{body}"
    );

    // The switch: the same lock, contact and service, in English, from a GET.
    let href = switch_href(body);
    assert!(href.starts_with("/login/locked?s="), "{href}");
    assert!(!href.contains(&nip), "{href}");
    let en = b.get(&href).await;
    assert_eq!(en.status, StatusCode::OK, "{}", en.body);
    assert!(en.body.contains("<html lang=\"en\""), "{}", en.body);
    assert!(en.body.contains("data-lock=\"account\""), "{}", en.body);
    assert!(
        ends(t0, t1, Lang::En)
            .iter()
            .any(|e| en.body.contains(e.as_str())),
        "the end in WIB: {}",
        en.body
    );
    assert!(en.body.contains("does not lift this lock"), "{}", en.body);
    assert!(en.body.contains("Monday–Friday"), "{}", en.body);
    assert!(
        en.body.contains("href=\"https://wa.me/6281234567890\""),
        "{}",
        en.body
    );
    assert!(en.body.contains(&back), "{}", en.body);
    assert!(en.body.contains("Layanan myasn"), "{}", en.body);
    // And back to Indonesian: its own query, relative to /login/locked.
    let again = switch_href(&en.body);
    assert!(
        again.starts_with("?s=") && again.ends_with("&lang=id"),
        "{again}"
    );
    let id = b.get(&format!("/login/locked{again}")).await;
    assert!(
        id.body.contains("Senin–Jumat") && id.body.contains(&back),
        "{}",
        id.body
    );

    // A NIP without an account: the very same page, word for word (its own request).
    let ghost = "199001012015011001";
    let g = server.browser();
    let (greq, gpage, _, _) = lock_at_service(&server, &g, ghost).await;
    assert_eq!(gpage.status, StatusCode::FORBIDDEN);
    let same = |p: &str, r: &str| {
        let p = p.replace(r, "REQ");
        let cut = |p: &str, from: &str, to: char| {
            let i = p.find(from).unwrap() + from.len();
            format!("{}{}", &p[..i], &p[i + p[i..].find(to).unwrap()..])
        };
        cut(&cut(&p, "<strong>", '<'), "class=\"lang\" href=\"", '"')
    };
    assert_eq!(same(&gpage.body, &greq), same(body, &req));

    // A link Gerbang did not seal is nobody's locked page.
    let forged = b
        .http()
        .get(server.url("/login/locked?s=AAAA&lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&forged), "/login");
    // Once the lock has ended, the switch leads back to the sign-in for the service.
    server.clock().advance(901);
    let later = b.http().get(server.url(&href)).send().await.unwrap();
    assert_eq!(later.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&later), format!("/login?req={req}"));
}
