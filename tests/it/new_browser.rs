//! Issue 26 item 4: a full sign-in from a browser Gerbang has not seen for this person is
//! e-mailed to them (browser, IP, time in WIB) with a "this was not me" link that ends
//! exactly that session; a browser they signed in with before sends nothing.

use crate::common::*;
use gerbang::domain::audit::AuditKind;
use serde_json::Value;

scenarios!(
    a_new_browser_is_mailed_once_per_person,
    the_not_me_link_ends_only_that_session,
    a_used_forged_or_expired_link_is_refused,
);

/// The session's life, and a little more.
const PAST_SESSION: i64 = 10 * 3600 + 60;

/// Signs `nip` in for `dms` in browser `b`; returns the refresh token `dms` got.
async fn sign_in(server: &TestServer, b: &reqwest::Client, secret: &str, nip: &str) -> String {
    let res = login_through(
        server,
        b,
        &authorize_url(server, "dms", "openid"),
        nip,
        PASSWORD,
    )
    .await;
    assert_eq!(res.status(), 302, "signed in");
    let code = query_param(&location(&res), "code").unwrap();
    let t: Value = exchange_code(server, "dms", secret, &code).await;
    t["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string()
}

/// Whether `b` still has an SSO session (a silent authorization gives a code).
async fn alive(server: &TestServer, b: &reqwest::Client) -> bool {
    let url = format!("{}&prompt=none", authorize_url(server, "dms", "openid"));
    let res = b.get(url).send().await.unwrap();
    query_param(&location(&res), "code").is_some()
}

async fn refresh(server: &TestServer, secret: &str, token: &str) -> u16 {
    rp_http()
        .post(server.url("/token"))
        .basic_auth("dms", Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A quoted-printable body as the reader sees it (soft line breaks joined, `=XX` decoded).
fn unfold(msg: &str) -> String {
    let joined = msg.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.map(|h| u8::from_str_radix(h, 16)) {
            Some(Ok(b)) if bytes[i] == b'=' => {
                out.push(b);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of the "not me" link in a mail.
fn link_token(msg: &str) -> String {
    let msg = unfold(msg);
    let at = msg.find("/not-me?t=").expect("a not-me link") + "/not-me?t=".len();
    msg[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn post_link(server: &TestServer, token: &str) -> reqwest::Response {
    rp_http()
        .post(server.url("/not-me"))
        .form(&[("t", token)])
        .send()
        .await
        .unwrap()
}

async fn mailed(server: &TestServer, sink: &SmtpSink, nip: &str, n: usize) -> Vec<String> {
    let email = server.user(nip).await.email;
    sink.new_browser_notices(&email, n).await
}

async fn a_new_browser_is_mailed_once_per_person(backend: Backend) {
    let (server, sink) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let (other, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let b = browser();
    sign_in(&server, &b, &secret, &nip).await;
    let first = mailed(&server, &sink, &nip, 1).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    let m = &unfold(&first[0]);
    for words in [
        "Peramban: Peramban tidak dikenal",
        "Browser: Unknown browser",
        "127.0.0.1",
        " WIB",
        "/not-me?t=",
    ] {
        assert!(m.contains(words), "{words} in {m}");
    }
    assert_eq!(link_token(&first[0]).len(), 43, "an unguessable token: {m}");

    // The same browser the next morning: its mark is known, nothing is mailed.
    server.clock().advance(PAST_SESSION);
    assert!(!alive(&server, &b).await, "the session ended by itself");
    sign_in(&server, &b, &secret, &nip).await;
    // Another person on the same browser: known is per person, so they are mailed. Their
    // mail arriving shows the outbox got past the first person's second sign-in.
    sign_in_after_logout(&server, &b, &secret, &other).await;
    assert_eq!(mailed(&server, &sink, &other, 1).await.len(), 1);
    let email = server.user(&nip).await.email;
    let to_first = sink
        .all()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains("/not-me?t="))
        .count();
    assert_eq!(to_first, 1, "a known browser mails nothing");
}

/// Ends `b`'s session (its cookie goes, the known-browser mark stays), then signs `nip` in.
async fn sign_in_after_logout(server: &TestServer, b: &reqwest::Client, secret: &str, nip: &str) {
    server.clock().advance(PAST_SESSION);
    sign_in(server, b, secret, nip).await;
}

async fn the_not_me_link_ends_only_that_session(backend: Backend) {
    let (server, sink) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (b1, b2) = (browser(), browser());
    let r1 = sign_in(&server, &b1, &secret, &nip).await;
    let token1 = link_token(&mailed(&server, &sink, &nip, 1).await[0]);
    let r2 = sign_in(&server, &b2, &secret, &nip).await;
    let mails = mailed(&server, &sink, &nip, 2).await;
    let token2 = link_token(&mails[1]);
    assert_ne!(token1, token2);

    // Opening the link (as a mail scanner does) asks and changes nothing.
    for lang in ["id", "en"] {
        let page = get_text(
            &rp_http(),
            server.url(&format!("/not-me?t={token1}&lang={lang}")),
        )
        .await;
        assert!(page.contains("id=\"not-me-submit\""), "{page}");
    }
    assert!(alive(&server, &b1).await, "GET ended nothing");

    // Posting it, from a browser that is not signed in, ends that session only.
    let res = post_link(&server, &token1).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/not-me?ended=1");
    assert!(
        !alive(&server, &b1).await,
        "that session's cookie no longer works"
    );
    assert_eq!(
        refresh(&server, &secret, &r1).await,
        400,
        "its refresh token is refused"
    );
    assert!(alive(&server, &b2).await, "the other session lives");
    assert_eq!(refresh(&server, &secret, &r2).await, 200);
    let n = server
        .state
        .store
        .count_audit_events(AuditKind::SessionReported)
        .await
        .unwrap();
    assert_eq!(n, 1, "audited");
    let done = get_text(&rp_http(), server.url("/not-me?ended=1")).await;
    assert!(done.contains("id=\"not-me-done\""), "{done}");
}

async fn a_used_forged_or_expired_link_is_refused(backend: Backend) {
    let (server, sink) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (b1, b2) = (browser(), browser());
    sign_in(&server, &b1, &secret, &nip).await;
    let used = link_token(&mailed(&server, &sink, &nip, 1).await[0]);
    assert_eq!(post_link(&server, &used).await.status(), 303);
    let r2 = sign_in(&server, &b2, &secret, &nip).await;
    let live = link_token(&mailed(&server, &sink, &nip, 2).await[1]);
    let mut bent = live.clone();
    bent.pop();
    bent.push(if live.ends_with('A') { 'B' } else { 'A' });
    for (what, token) in [("used", used.as_str()), ("bent", &bent), ("empty", "")] {
        let res = post_link(&server, token).await;
        assert_eq!(res.status(), 400, "{what}");
        let page = res.text().await.unwrap();
        assert!(page.contains("id=\"not-me-invalid\""), "{what}: {page}");
        let shown = get_text(
            &rp_http(),
            server.url(&format!("/not-me?t={token}&lang=en")),
        )
        .await;
        assert!(
            shown.contains("This link no longer works"),
            "{what}: {shown}"
        );
    }
    assert!(alive(&server, &b2).await, "no refused link ended anything");
    assert_eq!(refresh(&server, &secret, &r2).await, 200);
    // Past its session's end the link is refused too (the session has ended by itself).
    server.clock().advance(PAST_SESSION);
    let res = post_link(&server, &live).await;
    assert_eq!(res.status(), 400, "expired");
    let n = server
        .state
        .store
        .count_audit_events(AuditKind::SessionReported)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the one real use is audited");
}
