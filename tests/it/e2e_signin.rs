//! Issue 18's sign-in journeys in Chromium (`tests/interop/signin-journeys.mjs`): a pasted
//! NIP, a phone with a wrong clock in a browser that signed in before (explained, not
//! locked), a browser lock the helpdesk sees and lifts, an office behind one NAT, and "new
//! image" keeping what was typed. Screenshots: `target/e2e/signin-<lang>-<size>/`.

use std::path::Path;
use std::sync::Arc;

use crate::common::tools::ready;
use crate::common::*;
use crate::e2e::{Shared, World, script_env, shots};
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;

async fn captcha(State(w): State<Shared>, UrlPath(id): UrlPath<String>) -> (StatusCode, String) {
    match captcha_answer_for(&w.server, &id).await {
        Some(answer) => (StatusCode::OK, answer),
        None => (StatusCode::NOT_FOUND, String::new()),
    }
}

async fn otp(State(w): State<Shared>, UrlPath(nip): UrlPath<String>) -> String {
    w.server.otp(&nip)
}

/// The code of the test authenticator `minutes` away from the server's clock: a phone whose
/// clock is that far off.
async fn otp_off(State(w): State<Shared>, UrlPath(minutes): UrlPath<i64>) -> String {
    let at = w.server.clock().now() + minutes * 60;
    gerbang::domain::totp::code_at(TOTP_SECRET, at as u64)
}

/// A code right at no time near now.
async fn wrong_code(State(w): State<Shared>) -> String {
    let now = w.server.clock().now() as u64;
    (0..1_000_000)
        .map(|i| format!("{:06}", (i * 7_919 + 123_457) % 1_000_000))
        .find(|c| {
            gerbang::domain::totp::verify(TOTP_SECRET, c, now, |_| false)
                == gerbang::domain::totp::Verdict::Invalid
        })
        .unwrap()
}

async fn start_helper(world: Shared) -> String {
    let app = axum::Router::new()
        .route("/captcha/{id}", axum::routing::get(captcha))
        .route("/otp/{nip}", axum::routing::get(otp))
        .route("/otp-off/{minutes}", axum::routing::get(otp_off))
        .route("/wrong-code", axum::routing::get(wrong_code))
        .with_state(world);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    base
}

async fn signin_journeys(lang: &str, viewport: &str) {
    if !ready("node") || !ready("chromium") {
        return;
    }
    let (server, mail) = TestServer::start_with_mail(Backend::Sqlite).await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    let (nip, nip_id) = server.add_user(Some(PASSWORD)).await;
    let (office, _) = server.add_user(Some(PASSWORD)).await;
    let (staff, staff_id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    let run = format!("signin-{lang}-{viewport}");
    let dir = shots(&run);
    let mut env = script_env(server, &helper, lang, viewport, &dir);
    env.extend([
        ("NIP".into(), nip),
        ("OFFICE_NIP".into(), office),
        ("STAFF_NIP".into(), staff),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let got = crate::common::tools::script(Path::new("node"), "signin-journeys.mjs", &env).await;
    eprintln!("{run}: {got}");
    let steps = got["steps"].as_array().unwrap();
    for step in [
        "clock-behind",
        "browser-locked",
        "unlocked-signed-in",
        "done",
    ] {
        assert!(steps.iter().any(|s| s == step), "{step} in {steps:?}");
    }
    let locks = gerbang::auth::guard::browser_locks(&server.state, &nip_id)
        .await
        .unwrap();
    assert!(locks.is_empty(), "no lock left: {locks:?}");
}

#[tokio::test]
async fn signin_journeys_id_desktop() {
    signin_journeys("id", "desktop").await;
}

#[tokio::test]
async fn signin_journeys_en_phone() {
    signin_journeys("en", "phone").await;
}
