//! Issue 24 item 9: a public client never carries a staff scope. Anyone who knows a public
//! client's id can act as it, so `helpdesk` on one would hand any app a staff token while an
//! officer's sign-in is fresh. A record stored before registration refused the pair (an old
//! database) is refused the scope at /authorize and /par with `invalid_scope`, and gets no
//! staff-scoped token at /token.

use crate::common::*;
use gerbang::store::clients::{AuthMethod, Client};
use serde_json::Value;

scenarios!(a_stored_public_client_gets_no_staff_token);

async fn a_stored_public_client_gets_no_staff_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store.grant_role(&id, "helpdesk", "4011").await.unwrap();
    // As an old database has it: written without `registry::validate`.
    let mut c = Client::new("old-app", "Aplikasi Lama");
    c.auth_method = AuthMethod::None;
    c.secret_hash = String::new();
    c.redirect_uris = vec![REDIRECT.into()];
    c.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
    c.first_party = true;
    c.allowed_scopes = vec!["helpdesk".into()];
    store.insert_client(&c, server.clock().now()).await.unwrap();

    // The officer has just signed in with a code: the moment an app would strike.
    let officer = server.browser();
    assert_eq!(officer.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let res = officer
        .http()
        .get(authorize_url(&server, "old-app", "openid helpdesk"))
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    if let Some(code) = query_param(&loc, "code") {
        // What the old code did: the token says what it carries.
        let t = exchange_public(&server, &code).await;
        panic!("a code was issued; its token: {t}");
    }
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_scope"),
        "{loc}"
    );

    // Pushed (RFC 9126): refused alike, before any sign-in.
    let res = rp_http()
        .post(server.url("/par"))
        .form(&[
            ("client_id", "old-app"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid helpdesk"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["error"], "invalid_scope", "{e}");

    // Only the staff scope is refused: the app still signs people in.
    let res = officer
        .http()
        .get(authorize_url(&server, "old-app", "openid"))
        .send()
        .await
        .unwrap();
    let code = query_param(&location(&res), "code").expect("a code for openid");
    let t = exchange_public(&server, &code).await;
    assert_eq!(t["scope"], "openid", "{t}");
    // Nor does a refresh widen it.
    let res = rp_http()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "old-app"),
            ("refresh_token", t["refresh_token"].as_str().unwrap_or("")),
            ("scope", "openid helpdesk"),
        ])
        .send()
        .await
        .unwrap();
    let r: Value = res.json().await.unwrap();
    assert!(r["access_token"].is_null(), "{r}");
}

async fn exchange_public(server: &TestServer, code: &str) -> Value {
    rp_http()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "old-app"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
