//! Off the main path (issue 25): the language switch on the first recovery codes and the
//! locked page keeps what the page showed and the service the sign-in continues to; the
//! locked page says when the lock ends, what a reset does there, and whom to ask.

use crate::common::*;
use reqwest::StatusCode;

scenarios!(the_switch_on_the_first_recovery_codes_keeps_them_and_the_service,);

/// The codes a recovery-codes page lists, in order.
fn codes_of(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

/// The `href` of the page's language switch, unescaped.
fn switch_href(page: &str) -> String {
    let marker = "<a class=\"lang\" href=\"";
    let start = page.find(marker).expect("a language switch") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
}

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
