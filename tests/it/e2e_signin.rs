//! Issue 18's sign-in journeys in Chromium (`tests/interop/signin-journeys.mjs`): a pasted
//! NIP, a phone with a wrong clock in a browser that signed in before (explained, not
//! locked), a browser lock the helpdesk sees and lifts, an office behind one NAT, and "new
//! image" keeping what was typed. Screenshots: `target/e2e/signin-<lang>-<size>/`.

use std::sync::Arc;

use crate::common::tools::ready;
use crate::common::*;
use crate::e2e::{
    Shared, World, add_officer, helper_routes, run_script, script_env, serve_helper, shots,
};
use axum::extract::{Path as UrlPath, State};

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

/// The common helper routes, and phones with wrong clocks.
async fn start_helper(world: Shared) -> String {
    let routes = helper_routes()
        .route("/otp-off/{minutes}", axum::routing::get(otp_off))
        .route("/wrong-code", axum::routing::get(wrong_code));
    serve_helper(routes, world).await
}

async fn signin_journeys(lang: &str, viewport: &str) {
    if !ready("node") || !ready("chromium") {
        return;
    }
    // The locked page shows the deployment's helpdesk (issue 25).
    let (server, mail) = TestServer::start_with_mail_and(Backend::Sqlite, |c| {
        c.helpdesk_contact = gerbang::config::HelpdeskContact {
            text: "Helpdesk BKPSDM Kab. Contoh, Senin–Jumat 08.00–16.00 WIB".into(),
            text_en: "Helpdesk BKPSDM Kab. Contoh, Monday–Friday 08.00–16.00 WIB".into(),
            url: "https://helpdesk.contoh.go.id/tiket".into(),
            phone: "(021) 1234-5678".into(),
            whatsapp: "0812 3456 7890".into(),
        };
    })
    .await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    let (nip, nip_id) = server.add_user(Some(PASSWORD)).await;
    let (office, _) = server.add_user(Some(PASSWORD)).await;
    let staff = add_officer(server).await;
    let run = format!("signin-{lang}-{viewport}");
    let dir = shots(&run);
    let mut env = script_env(server, &helper, lang, viewport, &dir);
    env.extend([
        ("NIP".into(), nip),
        ("OFFICE_NIP".into(), office),
        ("STAFF_NIP".into(), staff),
    ]);
    let got = run_script("signin-journeys.mjs", &run, &env).await;
    let steps = got["steps"].as_array().unwrap();
    for step in [
        "clock-behind",
        "browser-locked",
        "browser-locked-switched",
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

/// Issue 25 item 4 on a 360-px phone: a wrong password without an authenticator, "start
/// over" on the code step: the form still names the service, keeps the NIP and shows the
/// captcha at once; one submit goes on to the enrolment.
async fn start_over_keeps_the_service(lang: &str) {
    if !ready("node") || !ready("chromium") {
        return;
    }
    let (server, mail) =
        TestServer::start_with_mail_and(Backend::Sqlite, |c| c.lockout.captcha_after = 1).await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (newbie, _) = server.add_user_without_device(PASSWORD).await;
    let run = format!("start-over-{lang}-phone");
    let dir = shots(&run);
    let mut env = script_env(server, &helper, lang, "phone", &dir);
    env.extend([
        ("ONLY".into(), "start-over".into()),
        ("NEWBIE_NIP".into(), newbie),
        ("SERVICE_NAME".into(), "Layanan myasn".into()),
        (
            "AUTHORIZE".into(),
            format!(
                "{}&ui_locales={lang}",
                authorize_url(server, "myasn", "openid")
            ),
        ),
    ]);
    let got = run_script("signin-journeys.mjs", &run, &env).await;
    let steps = got["steps"].as_array().unwrap();
    for step in ["start-over-step", "start-over-form", "start-over-enrol"] {
        assert!(steps.iter().any(|s| s == step), "{step} in {steps:?}");
    }
}

#[tokio::test]
async fn start_over_keeps_the_service_id_phone() {
    start_over_keeps_the_service("id").await;
}

#[tokio::test]
async fn start_over_keeps_the_service_en_phone() {
    start_over_keeps_the_service("en").await;
}

#[tokio::test]
async fn signin_journeys_id_desktop() {
    signin_journeys("id", "desktop").await;
}

#[tokio::test]
async fn signin_journeys_en_phone() {
    signin_journeys("en", "phone").await;
}
