//! Issue 19's browser and native apps, for real: a single-page app built on `oidc-client-ts`
//! in headless Chromium (`tests/interop/public-spa.mjs`), served from a loopback origin of
//! its own, and a native app played by Node's `openid-client` as a public client on an
//! ephemeral loopback port (`tests/interop/public-native.mjs`). SQLite only: the protocol
//! rules under them run on every backend in `public_clients`.

use std::path::Path;
use std::sync::Arc;

use crate::common::tools::{interop_dir, ready, script};
use crate::common::*;
use crate::e2e::{World, run_script, script_env, shots, start_helper};
use axum::http::header::CONTENT_TYPE;
use gerbang::store::clients::AuthMethod;
use reqwest::cookie::CookieStore;

/// The app's pages: the oidc-client-ts browser bundle, the app, and Gerbang's address.
const PAGE: &str = "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
    <title>Aplikasi SPA</title></head><body><h1>Aplikasi SPA</h1>\
    <script src=\"/oidc-client-ts.js\"></script><script src=\"/config.js\"></script>\
    <script src=\"/app.js\"></script></body></html>";

/// A tiny static server on a loopback port of its own: a second browser origin.
async fn spa_server(gerbang: &str) -> String {
    let read = |p: &str| std::fs::read(interop_dir().join(p)).expect("npm ci has run");
    let bundle = read("node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js");
    let app = read("public-spa-app.js");
    let config = format!("window.GERBANG = {gerbang:?}; window.CLIENT_ID = \"spa\";").into_bytes();
    let js = |body: Vec<u8>| move || async move { ([(CONTENT_TYPE, "text/javascript")], body) };
    let html = || async { ([(CONTENT_TYPE, "text/html; charset=utf-8")], PAGE) };
    let router = axum::Router::new()
        .route("/index.html", axum::routing::get(html))
        .route("/callback.html", axum::routing::get(html))
        .route("/oidc-client-ts.js", axum::routing::get(js(bundle)))
        .route("/app.js", axum::routing::get(js(app)))
        .route("/config.js", axum::routing::get(js(config)));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    base
}

#[tokio::test]
async fn a_single_page_app_signs_in_renews_and_signs_out_in_chromium() {
    if !ready("node") || !ready("chromium") {
        return;
    }
    let (server, mail) = TestServer::start_with_mail_and(Backend::Sqlite, |_| {}).await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    let spa = spa_server(&server.base).await;
    // The same app on an origin nobody registered.
    let elsewhere = spa_server(&server.base).await;
    let s = spa.clone();
    server
        .add_client_with("spa", |c| {
            c.auth_method = AuthMethod::None;
            c.secret_hash = String::new();
            c.redirect_uris = vec![format!("{s}/callback.html")];
            c.post_logout_redirect_uris = vec![format!("{s}/index.html")];
            c.web_origins = vec![s.clone()];
        })
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let dir = shots("public-spa");
    let mut env = script_env(server, &helper, "id", "desktop", &dir);
    env.extend([
        ("SPA".into(), spa.clone()),
        ("ELSEWHERE".into(), elsewhere),
        ("NIP".into(), nip),
        ("CLIENT_ID".into(), "spa".into()),
    ]);
    let got = run_script("public-spa.mjs", "public-spa", &env).await;
    let steps = got["steps"].as_array().unwrap();
    for step in [
        "spa-signed-in",
        "elsewhere-blocked",
        "spa-renewed",
        "spa-login-again",
    ] {
        assert!(steps.iter().any(|s| s == step), "{step}: {got}");
    }
}

/// A browser that has signed in with MFA; returns its `Cookie` header for the script.
async fn sso_cookie(server: &TestServer, nip: &str) -> String {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let b = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (status, body) = login_attempt(server, &server.base, &b, nip, PASSWORD, None).await;
    assert!(status.is_redirection(), "login failed: {status} {body}");
    jar.cookies(&server.base.parse().unwrap())
        .expect("session cookie")
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_native_app_signs_in_on_an_ephemeral_loopback_port() {
    if !ready("node") {
        return;
    }
    let server = TestServer::start(Backend::Sqlite).await;
    server
        .add_client_with("mobile", |c| {
            c.auth_method = AuthMethod::None;
            c.secret_hash = String::new();
            // No port: the app opens whichever is free (RFC 8252 §7.3).
            c.redirect_uris = vec!["http://127.0.0.1/oauth2redirect".into()];
            c.post_logout_redirect_uris = Vec::new();
            c.allow_offline_access = true;
        })
        .await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let cookie = sso_cookie(&server, &nip).await;
    let got = script(
        Path::new("node"),
        "public-native.mjs",
        &[
            ("ISSUER", &server.base),
            ("CLIENT_ID", "mobile"),
            ("SSO_COOKIE", &cookie),
        ],
    )
    .await;
    eprintln!("public-native: {got}");
    let redirect = got["redirect_uri"].as_str().unwrap();
    assert!(
        redirect.starts_with("http://127.0.0.1:") && !redirect.starts_with("http://127.0.0.1/"),
        "an ephemeral port: {redirect}"
    );
    assert_eq!(got["code_on_the_port"], true);
    assert_eq!(got["sub"], user_id.as_str());
    assert_eq!(got["nip"], nip.as_str());
    assert_eq!(got["userinfo_nip"], nip.as_str());
    assert_eq!(
        got["scope"], "openid profile offline_access",
        "allowed for this app"
    );
    assert_eq!(got["refreshed_sub"], user_id.as_str());
    assert_eq!(got["refresh_rotated"], true);
    assert_eq!(got["replay"], "invalid_grant");
    assert_eq!(
        got["successor"], "invalid_grant",
        "the replay revoked the grant"
    );
}
