//! Interop: downstream services written with other languages' ordinary OIDC libraries —
//! Node's `openid-client`, Python's Authlib, and a Node service validating access tokens
//! and back-channel logout tokens with `jose` — against the real server.
//!
//! The scripts live in `tests/interop/`. Their dependencies are installed on first use
//! (`npm ci` there, a Python venv under the target folder); without Node or Python the
//! tests say so and skip, except in CI (`CI` set), where that is a failure.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::common::tools::{interop_dir, ready, script, venv};
use crate::common::*;
use reqwest::cookie::CookieStore;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A browser that has signed in with MFA; returns its `Cookie` header for the scripts.
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

/// A relying party script's sign-in, userinfo, refresh and end-session, checked.
async fn relying_party(program: &Path, file: &str, state: &str) {
    let server = TestServer::start(Backend::Sqlite).await;
    let secret = server
        .add_client_with("rp", |c| {
            c.grant_types = vec!["authorization_code".into(), "refresh_token".into()]
        })
        .await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let cookie = sso_cookie(&server, &nip).await;
    let got = script(
        program,
        file,
        &[
            ("ISSUER", &server.base),
            ("CLIENT_ID", "rp"),
            ("CLIENT_SECRET", &secret),
            ("REDIRECT_URI", REDIRECT),
            ("POST_LOGOUT_URI", POST_LOGOUT),
            ("SSO_COOKIE", &cookie),
        ],
    )
    .await;
    assert_eq!(got["sub"], user_id, "{got}");
    assert_eq!(got["nip"], nip.as_str());
    assert_eq!(got["userinfo_nip"], nip.as_str());
    assert_eq!(got["refresh_rotated"], true);
    if let Some(par) = got.get("par_sub") {
        assert_eq!(
            par, &got["sub"],
            "the pushed request signed in the same person"
        );
    }
    assert!(
        matches!(got["logout_status"].as_u64(), Some(302 | 303)),
        "{got}"
    );
    assert_eq!(
        got["logout_location"],
        format!("{POST_LOGOUT}?state={state}")
    );
    // The end-session really ended the SSO session the script used.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!(
            "{}&prompt=none",
            authorize_url(&server, "rp", "openid")
        ))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn node_openid_client_relying_party() {
    if ready("node") {
        relying_party(Path::new("node"), "rp.mjs", "node-bye").await;
    }
}

#[tokio::test]
async fn python_authlib_relying_party() {
    if ready("python") {
        relying_party(&venv().join("bin/python"), "rp.py", "py-bye").await;
    }
}

/// The Node service (`service.mjs`) listening on a free port.
struct Service {
    base: String,
    _child: tokio::process::Child,
}

async fn start_service(issuer: &str, client_id: &str) -> Service {
    let mut child = tokio::process::Command::new("node")
        .arg(interop_dir().join("service.mjs"))
        .env("ISSUER", issuer)
        .env("CLIENT_ID", client_id)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the service starts")
        .unwrap()
        .unwrap_or_default();
    let port = line.strip_prefix("listening ").expect("a port line");
    Service {
        base: format!("http://127.0.0.1:{port}"),
        _child: child,
    }
}

async fn api(service: &Service, token: &str) -> (u16, Value) {
    let res = rp_http()
        .get(format!("{}/api/me", service.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn jose_resource_server_and_backchannel_receiver() {
    if !ready("node") {
        return;
    }
    // The test rewrites the client's row between token requests (an expired lifetime for
    // one token); a replica's remembered copy would hide that for `client_cache_secs`.
    let server = TestServer::start_with(Backend::Sqlite, |c| c.client_cache_secs = 0).await;
    let service = start_service(&server.base, "ekinerja").await;
    let grants = |c: &mut gerbang::store::clients::Client| {
        c.grant_types = vec![
            "authorization_code".into(),
            "refresh_token".into(),
            "client_credentials".into(),
        ];
    };
    let bc = format!("{}/backchannel", service.base);
    let secret = server
        .add_client_with("ekinerja", |c| {
            grants(c);
            c.backchannel_logout_uri = Some(bc);
        })
        .await;
    let other = server.add_client_with("siasn", grants).await;

    // A good token is accepted offline; the service never calls Gerbang but for JWKS.
    let good = client_token(&server, "ekinerja", &secret).await;
    let (status, body) = api(&service, &good).await;
    assert_eq!(
        (status, body["sub"].as_str()),
        (200, Some("ekinerja")),
        "{body}"
    );
    // Another service's token: wrong audience.
    let (status, body) = api(&service, &client_token(&server, "siasn", &other).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("ERR_JWT_CLAIM_VALIDATION_FAILED"))
    );
    // A signature that is not Gerbang's (another token's signature on this payload).
    let donor = client_token(&server, "siasn", &other).await;
    let forged = format!(
        "{}.{}",
        good.rsplit_once('.').unwrap().0,
        donor.rsplit_once('.').unwrap().1
    );
    let (status, body) = api(&service, &forged).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"))
    );
    // An expired one. The service checks expiry against its own (real) clock, so the
    // client's lifetime is set below zero for one token (the registry would refuse that).
    let store = &server.state.store;
    let mut c = store.find_client("ekinerja").await.unwrap().unwrap();
    c.access_token_ttl_secs = Some(-120);
    store.upsert_client(&c, 0, true).await.unwrap();
    let old = client_token(&server, "ekinerja", &secret).await;
    c.access_token_ttl_secs = None;
    store.upsert_client(&c, 0, true).await.unwrap();
    let (status, body) = api(&service, &old).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("ERR_JWT_EXPIRED"))
    );

    // A person signs in to the service; their ID token is no access token.
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let cookie = sso_cookie(&server, &nip).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .get(authorize_url(&server, "ekinerja", "openid"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let code = query_param(&location(&res), "code").expect("a code");
    let tokens = exchange_code(&server, "ekinerja", &secret, &code).await;
    let (status, body) = api(&service, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["sub"].as_str()),
        (200, Some(user_id.as_str()))
    );
    let (status, _) = api(&service, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(status, 401, "typ JWT is refused where at+jwt is expected");

    // Signing out at Gerbang reaches the service, which validates the logout token.
    let mut logout = url::Url::parse(&server.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap());
    let res = http
        .get(logout.as_str())
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "signed out page");
    let mut received = Value::Null;
    for _ in 0..100 {
        received = get_json(&rp_http(), format!("{}/received", service.base)).await;
        if received.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = &received[0];
    assert_eq!(got["sub"], user_id.as_str(), "{received}");
    assert_eq!(got["aud"], "ekinerja");
    assert!(got["sid"].is_string());
}
