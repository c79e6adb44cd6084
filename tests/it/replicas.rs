//! Two Gerbang replicas on different ports sharing PostgreSQL and Redis, as behind a load
//! balancer: nothing a user did on one may be unknown to the other.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sessions_codes_locks_and_otp_marks() {
    if Backend::PostgresRedis.skipped() {
        return;
    }
    let a = TestServer::start(Backend::PostgresRedis).await;
    let b = a.start_replica().await;
    assert_ne!(a.base, b.base);
    let secret = a
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let (nip, _) = a.add_user(Some(PASSWORD)).await;

    // Log in on A; the code is exchanged on B, then refreshed on B, then on A.
    let user_browser = browser();
    let res = login_through(
        &a,
        &user_browser,
        &authorize_url(&a, "dms", "openid"),
        &nip,
        PASSWORD,
    )
    .await;
    assert_eq!(res.status(), 302);
    let code = query_param(&location(&res), "code").unwrap();
    let tokens = exchange_code(&b, "dms", &secret, &code).await;
    let id_token = tokens["id_token"].as_str().expect("B exchanges A's code");
    let refresh = |server: &TestServer, token: String| {
        let url = server.url("/token");
        let secret = secret.clone();
        async move {
            rp_http()
                .post(url)
                .basic_auth("dms", Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&b, first.clone()).await;
    let second = second["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("B refreshes: {second}"))
        .to_string();
    let third = refresh(&a, second).await;
    assert!(third["access_token"].is_string(), "A refreshes B's token");
    // A replayed code is refused on the other replica, and revokes what it gave.
    assert_eq!(
        exchange_code(&a, "dms", &secret, &code).await["error"],
        "invalid_grant",
        "a code is single-use across replicas"
    );
    let after = refresh(&b, third["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(
        after["error"], "invalid_grant",
        "the replay revoked the family"
    );

    // The SSO session made on A is known to B: no login form.
    let res = user_browser
        .get(authorize_url(&b, "dms", "openid"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "B knows A's SSO session");
    assert!(query_param(&location(&res), "code").is_some());

    // Logout on A ends the session on B too.
    let mut logout = url::Url::parse(&a.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT);
    let res = user_browser.get(logout.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let res = user_browser
        .get(format!(
            "{}&prompt=none",
            authorize_url(&b, "dms", "openid")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required"),
        "the session ended on A is gone on B"
    );

    // An OTP code used on A is refused on B, even with the right password. Taken early in a
    // 30-s step: two sign-ins on a loaded machine must not carry the replay on B into a later
    // step, where it reads as a phone clock running behind instead of a code already used.
    while a.clock().now() % 30 >= 10 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let code = a.otp(&nip);
    let (st, _) = login_attempt(&a, &a.base, &browser(), &nip, PASSWORD, Some(&code)).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "the first use signs in");
    let (st, page) = login_attempt(&a, &b.base, &browser(), &nip, PASSWORD, Some(&code)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{page}");
    assert!(page.contains("sudah dipakai"), "replay named: {page}");

    // Five failures on A lock the account; B refuses the right password too.
    let (victim, _) = a.add_user(Some(PASSWORD)).await;
    let attacker = browser();
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        let otp = a.otp(&victim);
        last = login_attempt(
            &a,
            &a.base,
            &attacker,
            &victim,
            "Salah#Sandi2026",
            Some(&otp),
        )
        .await
        .0;
    }
    assert_eq!(last, StatusCode::FORBIDDEN, "the fifth failure locks");
    let otp = a.otp(&victim);
    let (st, page) = login_attempt(&a, &b.base, &browser(), &victim, PASSWORD, Some(&otp)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "B sees A's lock");
    assert!(page.contains("id=\"locked\""), "{page}");
}
