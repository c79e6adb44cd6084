//! Issue 24 item 10: RP-initiated logout (RP-Initiated Logout 1.0 §2) ends this browser's
//! session at once only for an `id_token_hint` issued in that very session (its `sid`). An
//! ID token of the same person from another session — which every service they signed in
//! to there holds — and another person's only show the confirmation page, which carries
//! the service's `post_logout_redirect_uri` and `state` through, in both languages.

use crate::common::*;
use serde_json::Value;

scenarios!(
    logout_ends_at_once_only_for_a_hint_of_this_session,
    the_confirmation_names_the_service_and_cancel_signs_nobody_out,
    a_crafted_logout_link_names_no_service,
);

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A browser of `nip` signed in for `dms`, and the ID token `dms` got there.
async fn signed_in(server: &TestServer, secret: &str, nip: &str) -> (reqwest::Client, String) {
    let b = browser();
    let res = login_through(
        server,
        &b,
        &authorize_url(server, "dms", "openid"),
        nip,
        PASSWORD,
    )
    .await;
    assert_eq!(res.status(), 302);
    let code = query_param(&location(&res), "code").unwrap();
    let t: Value = exchange_code(server, "dms", secret, &code).await;
    (b, t["id_token"].as_str().unwrap().to_string())
}

/// Whether `b` still has an SSO session (a silent authorization gives a code).
async fn alive(server: &TestServer, b: &reqwest::Client) -> bool {
    let url = format!("{}&prompt=none", authorize_url(server, "dms", "openid"));
    let res = b.get(url).send().await.unwrap();
    query_param(&location(&res), "code").is_some()
}

fn logout_url(server: &TestServer, hint: &str, extra: &str) -> String {
    server.url(&format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri={}&state=st4te{extra}",
        enc(hint),
        enc(POST_LOGOUT)
    ))
}

async fn logout_ends_at_once_only_for_a_hint_of_this_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let (other_nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (here, here_token) = signed_in(&server, &secret, &nip).await;
    let (there, there_token) = signed_in(&server, &secret, &nip).await;
    let (_, other_token) = signed_in(&server, &secret, &other_nip).await;
    let sid = |t: &str| jwt_part(t, 1)["sid"].as_str().unwrap().to_string();
    assert_ne!(sid(&here_token), sid(&there_token));
    assert_eq!(
        jwt_part(&here_token, 1)["sub"],
        jwt_part(&there_token, 1)["sub"]
    );
    let then = format!("{POST_LOGOUT}?state=st4te");

    // The same person's ID token from another session, and another person's: asked first,
    // in either language, the service's return address and state kept in the form.
    for (what, hint) in [
        ("same person, another session", &there_token),
        ("another person", &other_token),
    ] {
        for (extra, button) in [("", "Ya, keluar"), ("&ui_locales=en", "Yes, sign out")] {
            let res = here
                .get(logout_url(&server, hint, extra))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                200,
                "{what}: the confirmation page, no redirect"
            );
            let page = res.text().await.unwrap();
            assert!(page.contains(button), "{what} {extra}: {page}");
            assert_eq!(hidden(&page, "post_logout_redirect_uri"), POST_LOGOUT);
            assert_eq!(hidden(&page, "state"), "st4te");
            assert_eq!(hidden(&page, "client_id"), "dms");
            assert!(
                alive(&server, &here).await,
                "{what} ended the session unasked"
            );
        }
    }
    // Confirmed: this session ends, and the browser goes back to the service with its state.
    let page = here
        .get(logout_url(&server, &there_token, ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = here
        .post(server.url("/logout"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("post_logout_redirect_uri", POST_LOGOUT.to_string()),
            ("state", "st4te".to_string()),
            ("client_id", "dms".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), then);
    assert!(!alive(&server, &here).await, "confirmed: signed out");
    assert!(
        alive(&server, &there).await,
        "the other session is not touched"
    );

    // The hint of this very session: signed out at once, back to the service.
    let res = there
        .get(logout_url(&server, &there_token, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), then);
    assert!(!alive(&server, &there).await);
}

/// The `href` of the confirmation's "Cancel" (HTML entities as a browser reads them).
fn cancel_href(page: &str) -> String {
    let at = page
        .find("id=\"logout-cancel\"")
        .expect("a Cancel on the confirmation");
    let tag = &page[page[..at].rfind('<').unwrap()..];
    let href = tag.split("href=\"").nth(1).unwrap();
    href[..href.find('"').unwrap()].replace("&amp;", "&")
}

/// Issue 25 item 6: the confirmation says which service asks (from the hint or `client_id`,
/// when registered), and its "Cancel" leaves the session alone, leading back to the
/// service's checked post-logout address (with its state) or else to the launcher.
async fn the_confirmation_names_the_service_and_cancel_signs_nobody_out(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (here, _) = signed_in(&server, &secret, &nip).await;
    let (_, there_token) = signed_in(&server, &secret, &nip).await;
    let get = |url: String| {
        let b = here.clone();
        async move {
            let res = b.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    for (lang, asked, cancel) in [
        (
            "",
            "Permintaan keluar ini datang dari layanan Layanan dms.",
            ">Batal<",
        ),
        (
            "&lang=en",
            "This sign-out was asked for by the service Layanan dms.",
            ">Cancel<",
        ),
    ] {
        // Named from the hint's audience; Cancel goes back to the registered address.
        let (st, page) = get(logout_url(&server, &there_token, lang)).await;
        assert_eq!(st, 200);
        assert!(
            page.contains(asked) && page.contains(cancel),
            "{lang}: {page}"
        );
        assert_eq!(cancel_href(&page), format!("{POST_LOGOUT}?state=st4te"));
        // A bare `client_id` proves no service asked (see
        // `a_crafted_logout_link_names_no_service`); without a return address Cancel leads
        // to the launcher.
        let (_, page) = get(server.url(&format!("/logout?client_id=dms{lang}"))).await;
        assert!(!page.contains("id=\"logout-service\"") && page.contains(cancel));
        assert_eq!(cancel_href(&page), "/");
        // A `client_id` nobody registered names no service.
        let (_, page) = get(server.url(&format!("/logout?client_id=nobody{lang}"))).await;
        assert!(!page.contains("id=\"logout-service\"") && page.contains(cancel));
        assert_eq!(cancel_href(&page), "/");
        // An address the service did not register is refused as before: no Cancel to it.
        let bent = format!(
            "/logout?client_id=dms&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F{lang}"
        );
        let (st, page) = get(server.url(&bent)).await;
        assert_eq!(st, 400);
        assert!(!page.contains("logout-cancel"));
    }
    // Following Cancel: the launcher, still signed in; the session lives on.
    let (st, launcher) = get(server.url("/")).await;
    assert_eq!(st, 200);
    assert!(
        launcher.contains("id=\"to-account\""),
        "still signed in: {launcher}"
    );
    assert!(alive(&server, &here).await, "Cancel signed nobody out");
}

/// Anyone can make a `/logout` link: with a bare `client_id`, or with an ID token of their
/// own for that service (every user of it holds one). Such a link must not make Gerbang
/// tell the person that the service asked them to sign out; only an ID token of the person
/// signed in here (which a service they signed in to holds) names the service.
async fn a_crafted_logout_link_names_no_service(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let (attacker_nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (victim, _) = signed_in(&server, &secret, &nip).await;
    let (_, victim_elsewhere) = signed_in(&server, &secret, &nip).await;
    let (_, attackers_own) = signed_in(&server, &secret, &attacker_nip).await;
    for lang in ["", "&lang=en"] {
        for (what, url) in [
            (
                "a bare client_id",
                server.url(&format!("/logout?client_id=dms{lang}")),
            ),
            (
                "a bare client_id with its registered return address",
                server.url(&format!(
                    "/logout?client_id=dms&post_logout_redirect_uri={}&state=x{lang}",
                    enc(POST_LOGOUT)
                )),
            ),
            (
                "the attacker's own ID token for the service",
                logout_url(&server, &attackers_own, lang),
            ),
        ] {
            let res = victim.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200, "{what}");
            let page = res.text().await.unwrap();
            assert!(
                !page.contains("id=\"logout-service\"") && !page.contains("Layanan dms"),
                "{what} {lang}: a service named as asking: {page}"
            );
            assert!(alive(&server, &victim).await, "{what}: asked first");
        }
        // The person's own ID token (another session of theirs): the service is named.
        let res = victim
            .get(logout_url(&server, &victim_elsewhere, lang))
            .send()
            .await
            .unwrap();
        let page = res.text().await.unwrap();
        assert!(
            page.contains("id=\"logout-service\"") && page.contains("Layanan dms"),
            "{lang}: {page}"
        );
    }
}
