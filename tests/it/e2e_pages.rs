//! Every page in a real browser (`tests/interop/pages-tour.mjs`), at 360 px and 1280 px, in
//! Bahasa Indonesia and English: screenshots of each under `target/e2e/pages-<lang>-<size>/`
//! (CI artifacts), and on each page the common checks, headings in order, a focus ring of at
//! least 3:1, no axe-core violations, and what issue 18 finished on it (account sections,
//! confirmation, recovery-code download, otpauth link, applicable helpdesk actions, the
//! request id on the error page, the console link for staff, the step-up keeping the person),
//! and issue 25's: a plain-text title on every page (the reset page's included), the language
//! switch after a password error on `/account` leading to `/account` in the other language,
//! the logout confirmation naming the service with a Cancel that keeps the session, the
//! enrolment's QR before the app button, which only a phone is offered, the show-password
//! toggle (login, account) showing and hiding in the page's language, the account's live
//! password checklist, and its error focused and in view inside its form.

use std::sync::Arc;

use crate::common::tools::ready;
use crate::common::*;
use crate::e2e::{Shared, World, helper_routes, run_script, script_env, serve_helper, shots};
use axum::extract::{Path as UrlPath, State};

/// The code an authenticator holding `secret` (base32) shows at the server's time: the
/// test's clock moves ahead of the browser's when fresh codes are drawn.
async fn totp(State(w): State<Shared>, UrlPath(secret): UrlPath<String>) -> String {
    let bytes = totp_rs::Secret::try_from_base32(&secret).unwrap().to_vec();
    gerbang::domain::totp::code_at(&bytes, w.server.clock().now() as u64)
}

/// Moves the server's clock (the console's step-up after 15 minutes).
async fn advance(State(w): State<Shared>, UrlPath(secs): UrlPath<i64>) -> &'static str {
    w.server.clock().advance(secs);
    "ok"
}

/// This tour's helper endpoint: the common routes, a new device's code and the clock.
async fn start_tour_helper(world: Shared) -> String {
    let routes = helper_routes()
        .route("/totp/{secret}", axum::routing::get(totp))
        .route("/advance/{secs}", axum::routing::get(advance));
    serve_helper(routes, world).await
}

async fn tour(lang: &str, viewport: &str) {
    if !ready("node") || !ready("chromium") {
        return;
    }
    let (server, mail) = TestServer::start_with_mail(Backend::Sqlite).await;
    let world = Arc::new(World { server, mail });
    let helper = start_tour_helper(world.clone()).await;
    let server = &world.server;
    let store = &server.state.store;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code"])
        .await;
    // The ID token `dms` holds for this person from another sign-in: with it, `dms` asks
    // for the sign-out (a bare `client_id` names no service).
    let logout_hint = {
        let b = browser();
        let url = authorize_url(server, "dms", "openid");
        let res = login_through(server, &b, &url, &nip, PASSWORD).await;
        let code = query_param(&location(&res), "code").unwrap();
        let t: serde_json::Value = exchange_code(server, "dms", &secret, &code).await;
        t["id_token"].as_str().unwrap().to_string()
    };
    let (newbie, _) = server.add_user_without_device(PASSWORD).await;
    let (staff, staff_id) = server.add_user(Some(PASSWORD)).await;
    store
        .upsert_instansi("4011", "BKPSDM Kota Contoh")
        .await
        .unwrap();
    store.grant_role(&staff_id, "admin", "").await.unwrap();
    // Locked by five wrong passwords (from elsewhere), and disabled by the helpdesk.
    let (locked, _) = server.add_user(Some(PASSWORD)).await;
    for _ in 0..5 {
        server
            .browser()
            .sign_in(&locked, "Salah#Sandi2026", None)
            .await;
    }
    let (disabled, disabled_id) = server.add_user(Some(PASSWORD)).await;
    store
        .set_user_status(
            &disabled_id,
            gerbang::domain::user_status::UserStatus::Disabled,
            server.clock().now(),
        )
        .await
        .unwrap();

    let run = format!("pages-{lang}-{viewport}");
    let dir = shots(&run);
    let mut env = script_env(server, &helper, lang, viewport, &dir);
    env.extend([
        ("NIP".into(), nip),
        ("NEWBIE_NIP".into(), newbie),
        ("STAFF_NIP".into(), staff),
        ("LOCKED_NIP".into(), locked),
        ("DISABLED_NIP".into(), disabled),
        ("CLIENT_ID".into(), "dms".into()),
        ("SERVICE_NAME".into(), "Layanan dms".into()),
        ("LOGOUT_HINT".into(), logout_hint),
    ]);
    let got = run_script("pages-tour.mjs", &run, &env).await;
    let steps: Vec<&str> = got["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for page in [
        "login",
        "password-shown",
        "otp",
        "launcher",
        "account",
        "current_password-shown",
        "account-checklist-live",
        "account-password-error-in-view",
        "account-password-error",
        "confirm-end-session",
        "recovery-codes-account",
        "recovery-codes-print",
        "add-device",
        "logout-confirm",
        "logout",
        "enrol",
        "recovery-codes-first",
        "reset",
        "locked",
        "disabled",
        "error",
        "launcher-staff",
        "helpdesk",
        "helpdesk-person",
        "helpdesk-person-locked",
        "helpdesk-audit",
        "helpdesk-step-up",
    ] {
        assert!(steps.contains(&page), "{page} visited and shot: {steps:?}");
    }
    assert!(dir.join("01-login.png").exists());
}

#[tokio::test]
async fn every_page_id_phone() {
    tour("id", "phone").await;
}

#[tokio::test]
async fn every_page_id_desktop() {
    tour("id", "desktop").await;
}

#[tokio::test]
async fn every_page_en_phone() {
    tour("en", "phone").await;
}

#[tokio::test]
async fn every_page_en_desktop() {
    tour("en", "desktop").await;
}
