//! A legacy-style server-side service in a real browser: `tests/interop/legacy.mjs` (Express
//! with Auth0's `express-openid-connect`, a relying-party library nothing else in the suite
//! uses) asks for `response_mode=form_post` and registers a front-channel logout URI.
//! Chromium (`tests/interop/modes-legacy.mjs`) signs a person in through Gerbang's pages
//! (password + TOTP from the test's helper endpoint), then signs out on Gerbang's launcher;
//! the portal's front-channel endpoint must have been loaded with Gerbang's `iss` and the
//! session's `sid`, and the portal's own session must be over.

use std::sync::Arc;
use std::time::Duration;

use crate::common::tools::{interop_dir, ready};
use crate::common::*;
use crate::e2e::{World, run_script, script_env, shots, start_helper};
use tokio::io::{AsyncBufReadExt, BufReader};

const SECRET: &str = "legacy-portal-secret-that-is-long-enough-0123";

/// Starts `legacy.mjs` and registers it as the `legacy` client; returns its base URL.
async fn start_legacy(server: &TestServer) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new("node")
        .arg(interop_dir().join("legacy.mjs"))
        .current_dir(interop_dir())
        .env("ISSUER", &server.base)
        .env("SECRET", SECRET)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the legacy portal starts")
        .unwrap()
        .expect("a port line");
    let port = line.split(' ').nth(1).unwrap().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let b = base.clone();
    server
        .add_client_with("legacy", |c| {
            c.name = "Portal Lama".into();
            c.secret_hash = gerbang::secrets::sha256_hex(SECRET);
            c.redirect_uris = vec![format!("{b}/callback")];
            c.post_logout_redirect_uris = vec![format!("{b}/signed-out")];
            c.frontchannel_logout_uri = Some(format!("{b}/frontchannel-logout"));
            c.launcher_url = Some(format!("{b}/"));
        })
        .await;
    (child, base)
}

#[tokio::test]
async fn legacy_portal_form_post_and_frontchannel_logout() {
    if !ready("node") || !ready("chromium") {
        eprintln!("skipped: the legacy portal test needs node and chromium");
        return;
    }
    let (server, mail) = TestServer::start_with_mail(Backend::Sqlite).await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    let (_legacy, legacy) = start_legacy(server).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let dir = shots("legacy-portal-id-desktop");
    let mut env = script_env(server, &helper, "id", "desktop", &dir);
    env.extend([
        ("LEGACY".into(), legacy.clone()),
        ("NIP".into(), nip.clone()),
    ]);
    let got = run_script("modes-legacy.mjs", "legacy portal", &env).await;

    // What the portal saw: the code in a POST, one sign-in, and a front-channel call with
    // Gerbang's issuer and that sign-in's `sid`.
    let seen: serde_json::Value = get_json(&rp_http(), format!("{legacy}/_test")).await;
    assert_eq!(
        seen["callbacks"],
        serde_json::json!(["POST", "POST"]),
        "{seen}"
    );
    let login = &seen["logins"][0];
    assert_eq!(login["nip"], nip.as_str());
    let sid = login["sid"].as_str().expect("the ID token carries sid");
    let fc = seen["frontchannel"].as_array().unwrap();
    assert_eq!(fc.len(), 2, "both logouts framed the portal: {seen}");
    assert_eq!(fc[0]["iss"], server.base.as_str());
    assert_eq!(fc[0]["sid"], sid);
    assert_eq!(fc[0]["ok"], true);
    // The second sign-in is a new session: its own sid reached the portal.
    assert_eq!(fc[1]["sid"], seen["logins"][1]["sid"]);
    assert_ne!(fc[1]["sid"], sid);
    assert_eq!(got["steps"].as_array().unwrap().len(), 5);
    assert!(dir.join("04-legacy-signed-out.png").exists());
    assert!(dir.join("05-legacy-rp-logout-returned.png").exists());
}
