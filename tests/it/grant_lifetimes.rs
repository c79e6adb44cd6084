//! Issue 24 item 8: a refresh grant without `offline_access` ends with the sign-in session
//! it came from, even when that session simply runs out (no logout); an `offline_access`
//! grant outlives it. "End all other sessions" (and ending one other session) on the
//! account page ends the grants those sessions obtained, `offline_access` ones included.

use crate::common::*;
use gerbang::store::clients::{AuthMethod, Client};
use reqwest::StatusCode;
use serde_json::Value;

scenarios!(
    grants_without_offline_access_end_with_their_session,
    ending_other_sessions_ends_their_offline_grants,
    a_code_redeemed_after_its_sign_in_ended_gives_nothing,
);

/// A short session, so the test reaches its end (the refresh lifetimes stay the defaults:
/// 24 h public, 30 days confidential).
const SESSION: i64 = 600;
const SPA_REDIRECT: &str = "http://127.0.0.1:40100/cb";
const OFFLINE: &str = "openid profile offline_access";

async fn add_spa(server: &TestServer) {
    server
        .add_client_with("spa", |c: &mut Client| {
            c.auth_method = AuthMethod::None;
            c.secret_hash = String::new();
            c.redirect_uris = vec!["http://127.0.0.1/cb".into()];
            c.allow_offline_access = true;
        })
        .await;
}

fn authorize(server: &TestServer, client: &str, redirect: &str, scope: &str) -> String {
    let mut u = url::Url::parse(&server.url("/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", client)
        .append_pair("redirect_uri", redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "s")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    u.to_string()
}

/// A code for `client` from the browser's live session (signed in beforehand).
async fn sso_code(server: &TestServer, b: &Browser, client: &str, scope: &str) -> String {
    let redirect = if client == "spa" {
        SPA_REDIRECT
    } else {
        REDIRECT
    };
    let res = b
        .http()
        .get(authorize(server, client, redirect, scope))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "a silent code from the session");
    let loc = location(&res);
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// A grant for `client` (`dms`: confidential, `spa`: public) with `scope`; its refresh token.
async fn grant(
    server: &TestServer,
    b: &Browser,
    secret: &str,
    client: &str,
    scope: &str,
) -> String {
    let code = sso_code(server, b, client, scope).await;
    let t: Value = if client == "spa" {
        rp_http()
            .post(server.url("/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "spa"),
                ("code", &code),
                ("redirect_uri", SPA_REDIRECT),
                ("code_verifier", VERIFIER),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    } else {
        exchange_code(server, client, secret, &code).await
    };
    assert_eq!(t["scope"], scope, "{t}");
    t["refresh_token"].as_str().unwrap().to_string()
}

/// Refreshes `rt` as `client` does (`scope`: a narrower one, which takes the checked
/// path); the status, the error word and the successor.
async fn refresh_with(
    server: &TestServer,
    secret: &str,
    client: &str,
    rt: &str,
    scope: Option<&str>,
) -> (StatusCode, String, Option<String>) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    form.extend(scope.map(|s| ("scope", s)));
    let req = rp_http().post(server.url("/token"));
    let req = if client == "spa" {
        form.push(("client_id", "spa"));
        req.form(&form)
    } else {
        req.basic_auth(client, Some(secret)).form(&form)
    };
    let res = req.send().await.unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    (
        status,
        v["error"].as_str().unwrap_or("").to_string(),
        v["refresh_token"].as_str().map(str::to_string),
    )
}

async fn refresh(
    server: &TestServer,
    secret: &str,
    client: &str,
    rt: &str,
) -> (StatusCode, String, Option<String>) {
    refresh_with(server, secret, client, rt, None).await
}

/// Refreshes and keeps the successor; panics unless it worked.
async fn refresh_ok(server: &TestServer, secret: &str, client: &str, rt: &mut String, what: &str) {
    let (st, err, next) = refresh(server, secret, client, rt).await;
    assert_eq!(st, 200, "{what}: {err}");
    *rt = next.unwrap();
}

async fn refused(server: &TestServer, secret: &str, client: &str, rt: &str, what: &str) {
    let (st, err, _) = refresh(server, secret, client, rt).await;
    assert_eq!(
        (st, err.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "{what}"
    );
}

async fn grants_without_offline_access_end_with_their_session(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.sso_session_ttl_secs = SESSION).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    add_spa(&server).await;
    let b = server.browser();
    let signed_in_at = server.clock().now();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);

    let mut conf = grant(&server, &b, &secret, "dms", "openid profile").await;
    let mut public = grant(&server, &b, &secret, "spa", "openid profile").await;
    let mut conf_offline = grant(&server, &b, &secret, "dms", OFFLINE).await;
    let mut public_offline = grant(&server, &b, &secret, "spa", OFFLINE).await;

    // Before the session's end, every grant refreshes (and rotates).
    server.clock().advance(SESSION / 2);
    refresh_ok(&server, &secret, "dms", &mut conf, "confidential").await;
    refresh_ok(&server, &secret, "spa", &mut public, "public").await;
    refresh_ok(&server, &secret, "dms", &mut conf_offline, "offline").await;
    refresh_ok(&server, &secret, "spa", &mut public_offline, "offline").await;

    // Nobody signs out: the session simply runs out. The grants that hang on it end with
    // it, on the one-statement path and the checked one (a narrower scope) alike.
    let now = server.clock().now();
    server.clock().advance(signed_in_at + SESSION + 1 - now);
    refused(
        &server,
        &secret,
        "dms",
        &conf,
        "confidential after the session",
    )
    .await;
    refused(&server, &secret, "spa", &public, "public after the session").await;
    let (st, err, _) = refresh_with(&server, &secret, "spa", &public, Some("openid")).await;
    assert_eq!(
        (st, err.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // offline_access grants outlive it, for their own lifetimes.
    refresh_ok(
        &server,
        &secret,
        "dms",
        &mut conf_offline,
        "confidential offline",
    )
    .await;
    refresh_ok(
        &server,
        &secret,
        "spa",
        &mut public_offline,
        "public offline",
    )
    .await;
    // Introspection agrees: the bounded grant is inactive, the offline one active.
    let active = |rt: String| {
        let secret = secret.clone();
        let url = server.url("/introspect");
        async move {
            let v: Value = rp_http()
                .post(url)
                .basic_auth("dms", Some(secret))
                .form(&[("token", rt.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["active"].as_bool().unwrap()
        }
    };
    assert!(!active(conf.clone()).await);
    assert!(active(conf_offline.clone()).await);
}

/// Ends sessions from `desk`'s account page: `sid` one of the person's sessions, or `*`.
async fn end_from_account(server: &TestServer, desk: &Browser, sid: &str) {
    let page = desk.get("/account").await.body;
    let res = desk
        .post(server.url("/account/sessions/end"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("sid", sid),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{sid}");
}

/// The `sid` of the session a browser is signed in with, from an ID token issued there.
async fn sid_of(server: &TestServer, b: &Browser, secret: &str) -> String {
    let code = sso_code(server, b, "dms", "openid").await;
    let t = exchange_code(server, "dms", secret, &code).await;
    jwt_part(t["id_token"].as_str().unwrap(), 1)["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

/// After a suspected takeover the person ends every other session from the account page:
/// the intruder's `offline_access` grants end too, whether their session is still live or
/// already over (signed out, its offline grant kept by design); the person's own offline
/// grant from this session stays.
async fn ending_other_sessions_ends_their_offline_grants(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    add_spa(&server).await;
    let signed_in = |b: Browser| {
        let nip = nip.clone();
        async move {
            assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
            b
        }
    };
    let mine = signed_in(server.browser()).await;
    let live = signed_in(server.browser()).await;
    let gone = signed_in(server.browser()).await;
    let single = signed_in(server.browser()).await;
    let mut my_offline = grant(&server, &mine, &secret, "dms", OFFLINE).await;
    let mut live_offline = grant(&server, &live, &secret, "spa", OFFLINE).await;
    let mut gone_offline = grant(&server, &gone, &secret, "dms", OFFLINE).await;
    let single_offline = grant(&server, &single, &secret, "dms", OFFLINE).await;
    let single_sid = sid_of(&server, &single, &secret).await;

    // A sign-out keeps an offline grant (that is what offline_access is for).
    let page = gone.get("/logout").await;
    let res = gone.submit(&page, "/logout", &[]).await;
    assert_eq!(res.status(), 200);
    refresh_ok(
        &server,
        &secret,
        "dms",
        &mut gone_offline,
        "kept after sign-out",
    )
    .await;

    // One other session ended by its owner: what it obtained ends, offline included.
    end_from_account(&server, &mine, &single_sid).await;
    refused(
        &server,
        &secret,
        "dms",
        &single_offline,
        "one session ended",
    )
    .await;
    refresh_ok(
        &server,
        &secret,
        "spa",
        &mut live_offline,
        "another session",
    )
    .await;
    refresh_ok(
        &server,
        &secret,
        "dms",
        &mut gone_offline,
        "another session",
    )
    .await;

    // Every other session: their offline grants end, this session's stays.
    end_from_account(&server, &mine, "*").await;
    refused(
        &server,
        &secret,
        "spa",
        &live_offline,
        "a live other session",
    )
    .await;
    refused(
        &server,
        &secret,
        "dms",
        &gone_offline,
        "an ended other session",
    )
    .await;
    refresh_ok(
        &server,
        &secret,
        "dms",
        &mut my_offline,
        "this session's own",
    )
    .await;
    // A later grant of this session is not touched either.
    let mut again = grant(&server, &mine, &secret, "spa", OFFLINE).await;
    refresh_ok(&server, &secret, "spa", &mut again, "new grant").await;
}

/// A logout while a code is still unredeemed: the revocation at logout could not see the grant
/// the code would make, so the exchange itself refuses it (for `offline_access` too).
async fn a_code_redeemed_after_its_sign_in_ended_gives_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let code = sso_code(&server, &b, "dms", OFFLINE).await;
    let page = b.get("/logout").await;
    assert_eq!(b.submit(&page, "/logout", &[]).await.status(), 200);

    let res = exchange_code_response(&server, "dms", &secret, &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], "invalid_grant", "{v}");
}

// Reproducible on PostgreSQL only: a lock on `roles` holds the exchange between its session
// check and its write there, while SQLite never blocks a reader.
mod postgres_race {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_code_exchange_racing_end_everything_keeps_nothing() {
        if crate::common::Backend::Postgres.skipped() {
            return;
        }
        super::a_code_exchange_racing_end_everything_keeps_nothing(crate::common::Backend::Postgres)
            .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_code_exchange_racing_end_everything_keeps_nothing_redis() {
        if crate::common::Backend::PostgresRedis.skipped() {
            return;
        }
        super::a_code_exchange_racing_end_everything_keeps_nothing(
            crate::common::Backend::PostgresRedis,
        )
        .await
    }
}

/// An intruder's code exchange found its session live, and stores its grant only after the
/// person ended every other session from the account page (their revocation saw no grant
/// yet): the grant must not survive, `offline_access` included. The exchange is held
/// between its check and its write by a lock on `roles` (the client admits one role, so the
/// exchange reads them).
async fn a_code_exchange_racing_end_everything_keeps_nothing(backend: Backend) {
    use sqlx::Connection;
    let server = TestServer::start(backend).await;
    let (nip, id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store.grant_role(&id, "helpdesk", "4011").await.unwrap();
    let secret = server
        .add_client_with("dms", |c: &mut Client| {
            c.allowed_roles = vec!["helpdesk".into()]
        })
        .await;
    let mine = server.browser();
    assert_eq!(mine.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let intruder = server.browser();
    assert_eq!(intruder.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let code = sso_code(&server, &intruder, "dms", OFFLINE).await;
    let page = mine.get("/account").await.body;
    let csrf = hidden(&page, "csrf_token");

    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&server.state.settings.database_url)
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("LOCK TABLE roles IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let exchange = async {
        let res = exchange_code_response(&server, "dms", &secret, &code).await;
        let status = res.status();
        (status, res.json::<Value>().await.unwrap())
    };
    let end_everything = async {
        // The exchange has passed its session check and waits for `roles` by now.
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        let res = mine
            .post(server.url("/account/sessions/end"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("sid", "*"),
                ("confirm", "yes"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        tx.commit().await.unwrap();
    };
    let ((status, body), ()) = tokio::join!(exchange, end_everything);
    if status == StatusCode::OK {
        let rt = body["refresh_token"].as_str().unwrap();
        let (st, err, _) = refresh_with(&server, &secret, "dms", rt, None).await;
        assert_eq!(
            (st, err.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "the intruder's grant outlived 'end all other sessions'"
        );
    } else {
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
}
