//! What the house refactor had to keep: a forged post is refused before the session is read or a
//! guess counted, and the cache entries a session leaves keep the names and formats an
//! older replica reads and writes.

use crate::common::*;
use gerbang::auth::session;

const CSRF_TEXT: &str = "Formulir kedaluwarsa atau tidak sah";

/// Every state-changing POST a session cookie reaches, posted by a cross-site page (the
/// cookie rides along, the token cannot): 403 "error.csrf", and the session neither ends
/// nor has a guess counted, whatever the form says.
async fn forged_posts_are_refused_before_the_session_is_read(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let sid = session::list_for_user(&server.state, &user_id)
        .await
        .unwrap()
        .first()
        .expect("signed in")
        .sid
        .clone();

    let wrong = [
        ("current_password", "wrong-password-1A!"),
        ("otp", "000000"),
        ("current_otp", "000000"),
        ("password", "N3w-Passw0rd-2026!"),
        ("password_confirm", "N3w-Passw0rd-2026!"),
        ("device_name", "Forged"),
        ("sid", "*"),
        ("client_id", "x"),
        ("nip", nip.as_str()),
        ("action", "disable"),
        ("reason", "Tiket 1234"),
        ("confirm", "yes"),
        ("decision", "allow"),
        ("req", "x"),
    ];
    for path in [
        "/account/devices/any/rename",
        "/account/devices/any/remove",
        "/account/password",
        "/account/recovery",
        "/account/sessions/end",
        "/account/consents/revoke",
        "/mfa/enrol",
        "/consent",
        "/helpdesk/step-up",
        "/helpdesk/action",
        "/login",
        "/login/otp",
        "/reset",
        "/reset/confirm",
    ] {
        for token in [None, Some("forged")] {
            let mut form: Vec<(&str, &str)> = wrong.to_vec();
            if let Some(t) = token {
                form.push(("csrf_token", t));
            }
            let res = b.http().post(b.url(path)).form(&form).send().await.unwrap();
            assert_eq!(res.status(), 403, "{path} {token:?}");
            assert!(
                res.text().await.unwrap().contains(CSRF_TEXT),
                "{path} {token:?}: the CSRF answer, not another 403"
            );
        }
    }
    // Nothing was counted against the session, and it still stands.
    assert_eq!(
        server
            .state
            .cache
            .raw_get(&format!("sso_guess:{sid}"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(b.get("/account").await.status, 200);
}

/// A session as an older replica wrote it (before the typed cache, and before `mfa_at`
/// existed) is read by this one, and the index entries keep their names and formats.
async fn sessions_keep_their_wire_format(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, user_id) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let s = session::list_for_user(&server.state, &user_id)
        .await
        .unwrap()
        .remove(0);
    let cache = &server.state.cache;
    let hash = cache
        .raw_get(&format!("sso_sid:{}", s.sid))
        .await
        .unwrap()
        .expect("sso_sid:{sid} holds the cookie hash as bare text");
    assert_eq!(hash.len(), 64, "{hash}");
    let raw = cache
        .raw_get(&format!("sso:{hash}"))
        .await
        .unwrap()
        .expect("sso:{hash} holds the session");
    let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(json["sid"], s.sid.as_str());
    assert_eq!(json["user_id"], user_id.as_str());
    assert_eq!(json["acr"], "urn:gerbang:loa:2");
    assert_eq!(json["amr"], serde_json::json!(["pwd", "otp"]));

    // An older replica's record (no `mfa_at`) under the same key still signs the person in.
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("mfa_at");
    gerbang_put_raw(&server, &format!("sso:{hash}"), &old.to_string()).await;
    assert_eq!(b.get("/account").await.status, 200);
}

/// Writes a raw string under a full key, as an older replica would.
async fn gerbang_put_raw(server: &TestServer, key: &str, value: &str) {
    // The typed layer is the only writer; an older replica's bytes are what `Text` writes.
    struct Raw;
    impl gerbang::cache::Kind for Raw {
        const NS: &'static str = "sso";
        type Key<'k> = &'k str;
    }
    impl gerbang::cache::Entry for Raw {
        type Value = gerbang::cache::Text;
    }
    let k = key.strip_prefix("sso:").expect("a session key");
    server
        .state
        .cache
        .put::<Raw>(k, &value.to_string(), 3600)
        .await
        .unwrap();
}

scenarios!(
    forged_posts_are_refused_before_the_session_is_read,
    sessions_keep_their_wire_format
);
