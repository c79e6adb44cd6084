//! A Redis outage is an outage, not a bad token: every endpoint that checks an access token
//! against the revocation list (kept in Redis) answers 503 `temporarily_unavailable` while
//! Redis is away, so a service retries instead of signing the person out; the same token
//! works again once Redis is back. Each backend runs its own redis-server to stop.

use std::time::Duration;

use crate::common::*;
use crate::ops::wait_ready;
use reqwest::StatusCode;

db_scenarios!(bearer_endpoints_answer_an_outage_not_invalid_token);

/// The status and JSON body (if any) of a response.
async fn answer(res: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = res.status();
    let body = res.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or_default())
}

async fn bearer_endpoints_answer_an_outage_not_invalid_token(backend: Backend) {
    if skip(&[Need::RedisServer]) {
        return;
    }
    let mut redis = OwnRedis::start_free();
    let port = redis.port;
    let server = TestServer::start_with(backend, |c| {
        c.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    wait_ready(&server, &http, 200).await;
    // A helpdesk officer of 4011 and an agency tool allowed the helpdesk scope.
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .upsert_instansi("4011", "BKN")
        .await
        .unwrap();
    server
        .state
        .store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    let secret = server
        .add_client_with("bkpsdm-tool", |c| {
            c.allowed_scopes = vec!["helpdesk".into()];
        })
        .await;
    let b = browser();
    let url = authorize_url(&server, "bkpsdm-tool", "openid profile helpdesk");
    let res = login_through(&server, &b, &url, &staff_nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t = exchange_code(&server, "bkpsdm-tool", &secret, &code).await;
    let at = t["access_token"].as_str().unwrap().to_string();
    let rt = t["refresh_token"].as_str().unwrap().to_string();

    let userinfo_get = || http.get(server.url("/userinfo")).bearer_auth(&at).send();
    let userinfo_post = || http.post(server.url("/userinfo")).bearer_auth(&at).send();
    let introspect = || {
        http.post(server.url("/introspect"))
            .basic_auth("bkpsdm-tool", Some(&secret))
            .form(&[("token", at.as_str())])
            .send()
    };
    let api = || {
        http.get(server.url(&format!("/api/helpdesk/users/{nip}")))
            .bearer_auth(&at)
            .send()
    };
    let tokens_work = || async {
        assert_eq!(userinfo_get().await.unwrap().status(), 200);
        assert_eq!(userinfo_post().await.unwrap().status(), 200);
        let (s, body) = answer(introspect().await.unwrap()).await;
        assert_eq!((s, &body["active"]), (StatusCode::OK, &true.into()));
    };
    tokens_work().await;
    let (s, body) = answer(api().await.unwrap()).await;
    assert_eq!(s, 200, "helpdesk API: {body}");

    redis.stop();
    wait_ready(&server, &http, 503).await;
    let unavailable = |what: &str, status: StatusCode, body: &serde_json::Value| {
        assert_eq!(
            status, 503,
            "{what}: an outage, not a verdict on the token: {body}"
        );
        assert_eq!(body["error"], "temporarily_unavailable", "{what}: {body}");
    };
    for (what, res) in [
        ("GET /userinfo", userinfo_get().await.unwrap()),
        ("POST /userinfo", userinfo_post().await.unwrap()),
        ("/introspect", introspect().await.unwrap()),
        ("helpdesk API", api().await.unwrap()),
    ] {
        assert!(
            !res.headers().contains_key("www-authenticate"),
            "{what}: no invalid_token challenge"
        );
        let (s, body) = answer(res).await;
        unavailable(what, s, &body);
    }
    // Revoking an access token needs the revocation list: an RP must learn it did not
    // happen (not a 200 that revoked nothing, nor a 4xx that makes it drop its tokens).
    let res = http
        .post(server.url("/revoke"))
        .basic_auth("bkpsdm-tool", Some(&secret))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    let (s, body) = answer(res).await;
    unavailable("/revoke", s, &body);
    // A refresh needs no cache: it works, or at worst is an outage, never invalid_grant.
    let res = http
        .post(server.url("/token"))
        .basic_auth("bkpsdm-tool", Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
        .send()
        .await
        .unwrap();
    let (s, body) = answer(res).await;
    assert!(
        s == 200 || (s == 503 && body["error"] == "temporarily_unavailable"),
        "refresh during an outage: {s} {body}"
    );

    // Redis back on the same port: the same access token works again. (This Redis kept
    // nothing, so the staff API now rightly finds the officer's sign-in gone.)
    let _redis = OwnRedis::restart(port);
    wait_ready(&server, &http, 200).await;
    tokens_work().await;
    let (s, body) = answer(api().await.unwrap()).await;
    assert_eq!(s, 401, "a verdict again, not an outage: {body}");
}
