//! Journeys that keep their way, in headless Chromium (`tests/interop/activation-journeys.mjs`):
//! a first access started at a demo service ends at that service (reset, e-mailed code, new
//! password with a mismatch caught on the first submit, enrolment), and the language switch
//! keeps the page mid-sign-in (`req`), mid-reset (NIP and code), on the first recovery codes
//! (the same codes, continue still to the service) and in the helpdesk console (`?nip=`). Screenshots: `target/e2e/activation-<journey>-<lang>-<size>/`.

use std::sync::Arc;

use crate::common::tools::ready;
use crate::common::*;
use crate::e2e::{World, add_officer, run_script, script_env, shots, start_demo, start_helper};

async fn journey(kind: &str, lang: &str, viewport: &str) {
    if !ready("node") || !ready("chromium") {
        eprintln!("SKIPPED: the activation journeys need node and chromium");
        return;
    }
    let (server, mail) = TestServer::start_with_mail(Backend::Sqlite).await;
    let world = Arc::new(World { server, mail });
    let helper = start_helper(world.clone()).await;
    let server = &world.server;
    let run = format!("activation-{kind}-{lang}-{viewport}");
    let dir = shots(&run);
    let mut env = script_env(server, &helper, lang, viewport, &dir);
    env.push(("JOURNEY".into(), kind.into()));
    let _demo;
    let person;
    if kind == "service" {
        let (child, bases) = start_demo(server).await;
        _demo = Some(child);
        let (nip, id) = server.import_user().await;
        let email = server.user(&nip).await.email;
        env.extend([
            ("NIP".into(), nip),
            ("EMAIL".into(), email),
            ("DEMO1".into(), bases[0].clone()),
        ]);
        person = id;
    } else {
        _demo = None;
        let staff = add_officer(server).await;
        let (nip, id) = server.add_user(Some(PASSWORD)).await;
        env.extend([("STAFF_NIP".into(), staff), ("NIP".into(), nip)]);
        person = id;
    }
    let got = run_script("activation-journeys.mjs", &run, &env).await;
    let steps = got["steps"].as_array().unwrap();
    if kind == "service" {
        assert!(steps.iter().any(|s| s == "service"), "{got}");
        assert!(steps.iter().any(|s| s == "enrol-error"), "{got}");
        let devices = server.state.store.list_totp(&person).await.unwrap();
        assert_eq!(devices.len(), 1, "the person enrolled on the way");
    } else {
        assert!(
            steps.iter().any(|s| s == "person-en" || s == "person-id"),
            "{got}"
        );
    }
}

#[tokio::test]
async fn activation_from_a_service_id_desktop() {
    journey("service", "id", "desktop").await;
}

#[tokio::test]
async fn activation_from_a_service_en_phone() {
    journey("service", "en", "phone").await;
}

/// At 360 px in Indonesian too: the switch on the first recovery codes keeps them (issue 25).
#[tokio::test]
async fn activation_from_a_service_id_phone() {
    journey("service", "id", "phone").await;
}

#[tokio::test]
async fn helpdesk_keeps_the_person_across_the_switch_id_desktop() {
    journey("helpdesk", "id", "desktop").await;
}
