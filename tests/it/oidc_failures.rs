//! The attacks and mistakes: what must be refused, and how.

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

scenarios!(
    bad_client_or_redirect_uri_is_a_page_never_a_redirect,
    malformed_authorization_requests_go_back_with_errors,
    wrong_verifier_burns_the_code,
    replayed_code_revokes_what_it_issued,
    expired_code_is_refused,
    client_authentication_failures,
    garbage_and_misused_tokens,
    refresh_reuse_revokes_the_family,
    refresh_storage_is_one_row_per_grant,
    replay_of_any_earlier_refresh_token_revokes_the_family,
    forged_refresh_tokens_are_refused_without_revoking,
    refresh_token_from_before_the_upgrade_refreshes_once,
    client_credentials_grant,
    revocation,
    remembered_tokens_and_clients_follow_changes,
    login_form_failures_do_not_enumerate,
    logout_without_hint_needs_confirmation,
    logout_hint_must_be_this_persons_id_token,
    private_key_jwt_lifetime_and_jwks_fetches_are_bounded,
    introspection_is_for_the_tokens_own_client,
);

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_url(server: &TestServer, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&server.url("/authorize")).unwrap();
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid profile")
            .append_pair("state", "st4te")
            .append_pair("code_challenge", &challenge(VERIFIER))
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    u.to_string()
}

/// Drops default parameters named in `without` (to test their absence).
fn authorize_without(
    server: &TestServer,
    client_id: &str,
    without: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let full = url::Url::parse(&authorize_url(server, client_id, extra)).unwrap();
    let mut u = full.clone();
    u.set_query(None);
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in full.query_pairs() {
            if !without.contains(&k.as_ref()) {
                q.append_pair(&k, &v);
            }
        }
    }
    u.to_string()
}

struct Setup {
    server: TestServer,
    nip: String,
    secret: String,
    browser: reqwest::Client,
}

async fn setup(backend: Backend) -> Setup {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    Setup {
        server,
        nip,
        secret,
        browser: browser(),
    }
}

/// A fresh code: through the login form the first time, from the SSO session afterwards.
async fn code(s: &Setup) -> String {
    let url = authorize_url(&s.server, "dms", &[]);
    let res = s.browser.get(&url).send().await.unwrap();
    let res = if res.status() == 302 {
        res
    } else {
        login_through(&s.server, &s.browser, &url, &s.nip, PASSWORD).await
    };
    assert_eq!(res.status(), 302);
    query_param(&location(&res), "code").unwrap()
}

async fn token(
    s: &Setup,
    form: &[(&str, &str)],
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let res = rp_http()
        .post(s.server.url("/token"))
        .basic_auth("dms", Some(&s.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, res.json().await.unwrap(), headers)
}

async fn exchange(s: &Setup, code: &str, verifier: &str) -> (StatusCode, Value) {
    let (st, body, h) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(
        h.get("cache-control").unwrap(),
        "no-store",
        "token responses are never cached"
    );
    (st, body)
}

async fn introspect(s: &Setup, tok: &str) -> Value {
    rp_http()
        .post(s.server.url("/introspect"))
        .basic_auth("dms", Some(&s.secret))
        .form(&[("token", tok)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn userinfo_status(s: &Setup, tok: &str) -> StatusCode {
    rp_http()
        .get(s.server.url("/userinfo"))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
        .status()
}

async fn bad_client_or_redirect_uri_is_a_page_never_a_redirect(backend: Backend) {
    let s = setup(backend).await;
    let b = &s.browser;
    let res = b
        .get(authorize_url(&s.server, "unknown", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("tidak terdaftar"));

    let mut u = url::Url::parse(&authorize_url(&s.server, "dms", &[])).unwrap();
    let q: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "redirect_uri" {
                "https://evil.example/cb".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(q);
    let res = b
        .get(u.as_str())
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.headers().get("location").is_none(),
        "never redirect to an unregistered URI"
    );
    let body = res.text().await.unwrap();
    assert!(
        body.contains("redirect_uri") && body.contains("not registered"),
        "English on request: {body}"
    );

    // A prefix of a registered URI is not the registered URI: matching is exact.
    let res = b
        .get(authorize_url(&s.server, "dms", &[]).replace("%2Fcallback", "%2Fcallback%2Fx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn malformed_authorization_requests_go_back_with_errors(backend: Backend) {
    let s = setup(backend).await;
    let b = &s.browser;
    let cases: Vec<(String, &str)> = vec![
        (
            authorize_without(&s.server, "dms", &["code_challenge"], &[]),
            "invalid_request",
        ),
        (
            authorize_without(&s.server, "dms", &["code_challenge_method"], &[]),
            "invalid_request",
        ),
        (
            authorize_url(&s.server, "dms", &[])
                .replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
        ),
        (
            authorize_url(&s.server, "dms", &[])
                .replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            authorize_url(&s.server, "dms", &[]).replace("scope=openid+profile", "scope=profile"),
            "invalid_scope",
        ),
        (
            authorize_url(&s.server, "dms", &[("state", "again")]),
            "invalid_request",
        ),
        (
            authorize_url(&s.server, "dms", &[("max_age", "-1")]),
            "invalid_request",
        ),
        (
            authorize_url(&s.server, "dms", &[("prompt", "none login")]),
            "invalid_request",
        ),
        (
            authorize_url(&s.server, "dms", &[("request", "eyJ...")]),
            "request_not_supported",
        ),
        (
            authorize_url(&s.server, "dms", &[("prompt", "none")]),
            "login_required",
        ),
    ];
    for (url, expected) in cases {
        let res = b.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 302, "{url}");
        let loc = location(&res);
        assert!(loc.starts_with(REDIRECT), "{loc}");
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some(expected),
            "{url}"
        );
        assert_eq!(
            query_param(&loc, "iss").as_deref(),
            Some(s.server.base.as_str())
        );
        assert!(query_param(&loc, "code").is_none());
        assert!(
            query_param(&loc, "state").is_some(),
            "state echoed on errors"
        );
    }
    // Oversize values are refused outright.
    let res = b
        .get(authorize_url(
            &s.server,
            "dms",
            &[("nonce", &"n".repeat(5000))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn wrong_verifier_burns_the_code(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    let (st, body) = exchange(&s, &c, "wrong-verifier-wrong-verifier-wrong-verifier-1").await;
    assert_eq!(st, 400);
    assert_eq!(body["error"], "invalid_grant");
    let (st, body) = exchange(&s, &c, VERIFIER).await;
    assert_eq!(
        st, 400,
        "a code is single-use even when the first try failed: {body}"
    );
    // Missing verifier.
    let c = code(&s).await;
    let (st, body, _) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

async fn replayed_code_revokes_what_it_issued(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    let (st, first) = exchange(&s, &c, VERIFIER).await;
    assert_eq!(st, 200, "{first}");
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&s, access).await["active"], true);
    assert_eq!(userinfo_status(&s, access).await, 200);

    let (st, body) = exchange(&s, &c, VERIFIER).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        introspect(&s, access).await["active"],
        false,
        "access token revoked"
    );
    assert_eq!(userinfo_status(&s, access).await, 401);
    let (st, body, _) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "refresh revoked"
    );
}

async fn expired_code_is_refused(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    s.server.clock().advance(61);
    let (st, body) = exchange(&s, &c, VERIFIER).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

async fn client_authentication_failures(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    let http = rp_http();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", c.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let res = http
        .post(s.server.url("/token"))
        .basic_auth("dms", Some("not-the-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_some());
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    // No credentials at all.
    let res = http
        .post(s.server.url("/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Two methods at once.
    let mut both = form.to_vec();
    both.push(("client_id", "dms"));
    both.push(("client_secret", &s.secret));
    let res = http
        .post(s.server.url("/token"))
        .basic_auth("dms", Some(&s.secret))
        .form(&both)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    // client_secret_post works, and the code was not burned by the failed authentications.
    let mut post = form.to_vec();
    post.push(("client_id", "dms"));
    post.push(("client_secret", &s.secret));
    let res = http
        .post(s.server.url("/token"))
        .form(&post)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Unknown grant type.
    let (st, body, _) = token(&s, &[("grant_type", "password"), ("username", "x")]).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
}

async fn garbage_and_misused_tokens(backend: Backend) {
    let s = setup(backend).await;
    let http = rp_http();
    let res = http.get(s.server.url("/userinfo")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"gerbang\""
    );
    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let res = http
            .get(s.server.url("/userinfo"))
            .bearer_auth(garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert!(
            res.headers()
                .get("www-authenticate")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
        assert_eq!(
            introspect(&s, garbage).await,
            serde_json::json!({"active": false})
        );
    }
    let (st, body, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "garbage"),
        ],
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let access = t["access_token"].as_str().unwrap();
    let id_token = t["id_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&s, id_token).await,
        401,
        "an ID token is not an access token"
    );
    // A flipped signature byte.
    let mut tampered = access.to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(userinfo_status(&s, &tampered).await, 401);
    // A forged payload under the real signature.
    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = "someone-else".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_eq!(userinfo_status(&s, &forged).await, 401);
    // Expiry follows the server clock.
    assert_eq!(userinfo_status(&s, access).await, 200);
    s.server.clock().advance(301);
    assert_eq!(userinfo_status(&s, access).await, 401);
}

async fn refresh_reuse_revokes_the_family(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let r1 = t["refresh_token"].as_str().unwrap().to_string();
    let (st, t2, _) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    )
    .await;
    assert_eq!(st, 200);
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(introspect(&s, &r2).await["active"], true);
    // A thief replays r1: refused, and the legitimate r2 dies with it.
    let (st, body, _) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (st, _, _) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(introspect(&s, &r2).await["active"], false);
    // Scope can narrow on refresh, never widen.
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let r = t["refresh_token"].as_str().unwrap();
    let (st, body, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", r),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    // The refused request changed nothing: the token still refreshes, once.
    let (st, t, _) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", r)]).await;
    assert_eq!(st, 200, "{t}");
    // A narrower scope narrows that access token only: the new refresh token keeps the
    // grant's scope (RFC 6749 §6), so the next refresh without `scope` has it all again.
    let r = new_grant(&s).await;
    let (st, t, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!((st, t["scope"].as_str()), (StatusCode::OK, Some("openid")));
    let (st, t) = refresh_with(&s, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (st, t["scope"].as_str()),
        (StatusCode::OK, Some("openid profile"))
    );
    // The same token sent four times at once: one wins, the others are replays, and the
    // family (the winner's new token too) ends.
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let r = t["refresh_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", r.as_str()),
    ];
    let (a, b, c, d) = tokio::join!(
        token(&s, &form),
        token(&s, &form),
        token(&s, &form),
        token(&s, &form)
    );
    let answers = [a, b, c, d];
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(st, _, _)| *st == StatusCode::OK)
        .map(|(_, b, _)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for (st, body, _) in answers.iter().filter(|(st, _, _)| *st != StatusCode::OK) {
        assert_eq!(
            (*st, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
    let next = winners[0]["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&s, next).await["active"], false);
    // An account disabled with nothing else done (no revocation): its token refreshes no
    // more, and stays dead when the account comes back.
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let r = t["refresh_token"].as_str().unwrap();
    let sub = jwt_part(t["access_token"].as_str().unwrap(), 1)["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let store = &s.server.state.store;
    store
        .set_user_status(
            &sub,
            gerbang::domain::user_status::UserStatus::Disabled,
            s.server.clock().now(),
        )
        .await
        .unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", r)];
    let (st, body, _) = token(&s, &form).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    store
        .set_user_status(
            &sub,
            gerbang::domain::user_status::UserStatus::Active,
            s.server.clock().now(),
        )
        .await
        .unwrap();
    let (st, _, _) = token(&s, &form).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "its grant was revoked");
    assert_eq!(introspect(&s, r).await["active"], false);
    // Another client presenting dms's token: refused, and the token has leaked, so its
    // grant ends for dms too.
    let other = s
        .server
        .add_client("other", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let r = t["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", r)];
    let res = rp_http()
        .post(s.server.url("/token"))
        .basic_auth("other", Some(&other))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let (st, _, _) = token(&s, &form).await;
    assert_eq!(
        st,
        StatusCode::BAD_REQUEST,
        "revoked for its own client too"
    );
}

/// One refresh: status and body.
async fn refresh_with(s: &Setup, rt: &str) -> (StatusCode, Value) {
    let (st, body, _) = token(s, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
    (st, body)
}

/// A new grant's first refresh token.
async fn new_grant(s: &Setup) -> String {
    let c = code(s).await;
    let (_, t) = exchange(s, &c, VERIFIER).await;
    t["refresh_token"].as_str().unwrap().to_string()
}

/// Rotates `rt` `n` times; every token along the way, `rt` first.
async fn rotate(s: &Setup, rt: &str, n: usize) -> Vec<String> {
    let mut chain = vec![rt.to_string()];
    for _ in 0..n {
        let (st, body) = refresh_with(s, chain.last().unwrap()).await;
        assert_eq!(st, 200, "{body}");
        chain.push(body["refresh_token"].as_str().unwrap().to_string());
    }
    chain
}

/// `{family}.{generation}.{random}` of a refresh token.
fn token_parts(rt: &str) -> (String, u64, String) {
    let p: Vec<&str> = rt.split('.').collect();
    assert_eq!(p.len(), 3, "{rt}");
    (p[0].to_string(), p[1].parse().unwrap(), p[2].to_string())
}

/// Issue 16: rotation updates the grant's row; storage follows grants, not rotations.
async fn refresh_storage_is_one_row_per_grant(backend: Backend) {
    let s = setup(backend).await;
    let store = &s.server.state.store;
    let mut current = Vec::new();
    for _ in 0..3 {
        let chain = rotate(&s, &new_grant(&s).await, 6).await;
        current.push(chain.last().unwrap().clone());
    }
    assert_eq!(store.refresh_family_count().await.unwrap(), 3);
    // Every grant is still alive at its sixth generation, and its family id is nowhere in
    // what introspection tells (it would let a reader forge a replay and end the grant).
    for rt in &current {
        let (family, generation, _) = token_parts(rt);
        assert_eq!(generation, 6);
        let info = introspect(&s, rt).await;
        assert_eq!(info["active"], true, "{info}");
        assert!(!info.to_string().contains(&family), "{info}");
    }
    let (st, _) = refresh_with(&s, &current[0]).await;
    assert_eq!(st, 200);
    assert_eq!(store.refresh_family_count().await.unwrap(), 3);
}

/// RFC 9700 §4.14 with one row per grant: a token of ANY earlier generation is a replay.
async fn replay_of_any_earlier_refresh_token_revokes_the_family(backend: Backend) {
    let s = setup(backend).await;
    let invalid_grant = (StatusCode::BAD_REQUEST, Some("invalid_grant"));
    // The first token, five rotations later.
    let chain = rotate(&s, &new_grant(&s).await, 5).await;
    let (st, body) = refresh_with(&s, &chain[0]).await;
    assert_eq!((st, body["error"].as_str()), invalid_grant);
    assert_eq!(introspect(&s, &chain[5]).await["active"], false);
    let (st, body) = refresh_with(&s, &chain[5]).await;
    assert_eq!(
        (st, body["error"].as_str()),
        invalid_grant,
        "the family ended"
    );
    // The one before the current.
    let chain = rotate(&s, &new_grant(&s).await, 5).await;
    let (st, body) = refresh_with(&s, &chain[4]).await;
    assert_eq!((st, body["error"].as_str()), invalid_grant);
    let (st, body) = refresh_with(&s, &chain[5]).await;
    assert_eq!(
        (st, body["error"].as_str()),
        invalid_grant,
        "the family ended"
    );
    // Replayed with a narrower scope (the checked path), too.
    let chain = rotate(&s, &new_grant(&s).await, 2).await;
    let (st, body, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &chain[1]),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!((st, body["error"].as_str()), invalid_grant);
    assert_eq!(introspect(&s, &chain[2]).await["active"], false);
    // An earlier token is not live for introspection or revocation either.
    let chain = rotate(&s, &new_grant(&s).await, 1).await;
    assert_eq!(introspect(&s, &chain[0]).await["active"], false);
    assert_eq!(introspect(&s, &chain[1]).await["active"], true);
}

/// Made-up tokens of a real family (its current generation with another value, or a
/// generation it never reached) are refused and leave the family alone: they are not
/// replays, and the family's real current token keeps working.
async fn forged_refresh_tokens_are_refused_without_revoking(backend: Backend) {
    let s = setup(backend).await;
    let chain = rotate(&s, &new_grant(&s).await, 2).await;
    let current = chain[2].clone();
    let (family, generation, random) = token_parts(&current);
    let other = if random.starts_with('A') { "B" } else { "A" };
    let forged = [
        format!("{family}.{generation}.{other}{}", &random[1..]),
        format!("{family}.{}.{random}", generation + 1),
        format!("{family}.99.{random}"),
        format!("{family}.0{generation}.{random}"),
        format!("{family}.{generation}"),
        format!("{family}.{generation}.{random}.x"),
        format!("{family}..{random}"),
        "x.y.z".to_string(),
        family.clone(),
    ];
    for f in &forged {
        let (st, body) = refresh_with(&s, f).await;
        assert_eq!(
            (st, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{f}"
        );
        let (st, body, _) = token(
            &s,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", f),
                ("scope", "openid"),
            ],
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{f}: {body}");
        assert_eq!(introspect(&s, f).await["active"], false, "{f}");
        let res = rp_http()
            .post(s.server.url("/revoke"))
            .basic_auth("dms", Some(&s.secret))
            .form(&[("token", f.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(introspect(&s, &current).await["active"], true);
    let (st, body) = refresh_with(&s, &current).await;
    assert_eq!(st, 200, "the real token still works: {body}");
}

/// A token issued before refresh families existed was stored by the upgrade as a family of
/// its own (id and hash = the token's hash, generation 0): it refreshes once into the new
/// format, and using it again is a replay.
async fn refresh_token_from_before_the_upgrade_refreshes_once(backend: Backend) {
    let s = setup(backend).await;
    // A real grant, for its user and session.
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let id = jwt_part(t["id_token"].as_str().unwrap(), 1);
    let legacy = "bGVnYWN5LXRva2VuLWlzc3VlZC1iZWZvcmUtdGhlLXVwZ3JhZGU";
    let hash = gerbang::secrets::sha256_hex(legacy);
    let now = s.server.clock().now();
    let grant = gerbang::store::refresh::RefreshGrant {
        family_id: hash.clone(),
        generation: 0,
        current_hash: hash.clone(),
        user_id: id["sub"].as_str().unwrap().to_string(),
        client_id: "dms".into(),
        scope: "openid profile".into(),
        sid: id["sid"].as_str().unwrap().to_string(),
        auth_time: id["auth_time"].as_i64().unwrap(),
        amr: "pwd otp".into(),
        acr: id["acr"].as_str().unwrap_or("").to_string(),
        expires_at: now + 3600,
    };
    s.server
        .state
        .store
        .insert_refresh(&grant, now)
        .await
        .unwrap();
    assert_eq!(introspect(&s, legacy).await["active"], true);
    let (st, body) = refresh_with(&s, legacy).await;
    assert_eq!(st, 200, "{body}");
    let next = body["refresh_token"].as_str().unwrap().to_string();
    let (family, generation, _) = token_parts(&next);
    assert_eq!((family.as_str(), generation), (hash.as_str(), 1));
    let chain = rotate(&s, &next, 1).await;
    let (st, _) = refresh_with(&s, legacy).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "used once already");
    assert_eq!(introspect(&s, &chain[1]).await["active"], false, "a replay");
}

async fn client_credentials_grant(backend: Backend) {
    let s = setup(backend).await;
    let secret = s
        .server
        .add_client("sscasn-batch", "ES256", &["client_credentials"])
        .await;
    let http = rp_http();
    let res = http
        .post(s.server.url("/token"))
        .basic_auth("sscasn-batch", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "laporan")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert!(t.get("refresh_token").is_none() && t.get("id_token").is_none());
    let access = t["access_token"].as_str().unwrap();
    // Introspected by its own client (another client would be told `active: false`).
    let info: Value = http
        .post(s.server.url("/introspect"))
        .basic_auth("sscasn-batch", Some(&secret))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], "sscasn-batch");
    assert_eq!(info["scope"], "laporan");
    assert_eq!(
        userinfo_status(&s, access).await,
        401,
        "no user behind a client token"
    );
    // A user scope needs a user.
    let res = http
        .post(s.server.url("/token"))
        .basic_auth("sscasn-batch", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_scope");
    // A client not registered for the grant.
    let (st, body, _) = token(&s, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
}

async fn revocation(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let access = t["access_token"].as_str().unwrap();
    let refresh = t["refresh_token"].as_str().unwrap();
    let revoke = |tok: String| {
        let s = &s;
        async move {
            rp_http()
                .post(s.server.url("/revoke"))
                .basic_auth("dms", Some(&s.secret))
                .form(&[("token", tok.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Another client cannot revoke dms's tokens (and learns nothing: still 200).
    let other = s
        .server
        .add_client("other", "ES256", &["authorization_code"])
        .await;
    let res = rp_http()
        .post(s.server.url("/revoke"))
        .basic_auth("other", Some(&other))
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(introspect(&s, refresh).await["active"], true);

    // Used (so remembered as verified) before it is revoked: revocation still wins.
    assert_eq!(userinfo_status(&s, access).await, 200);
    assert_eq!(revoke(access.to_string()).await, 200);
    assert_eq!(introspect(&s, access).await["active"], false);
    assert_eq!(userinfo_status(&s, access).await, 401);
    assert_eq!(revoke(refresh.to_string()).await, 200);
    let (st, _, _) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(revoke("unknown-token".into()).await, 200);
}

/// The per-replica memos of verified access tokens, userinfo users and client records
/// (issue 9) must not outlive what they remember: a disabled user, a withdrawn signing key,
/// a rotated secret and a removed client stop at once.
async fn remembered_tokens_and_clients_follow_changes(backend: Backend) {
    let s = setup(backend).await;
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&s, access).await, 200);
    assert_eq!(userinfo_status(&s, access).await, 200, "now from the memo");
    // The user is disabled (the helpdesk, another replica): userinfo may serve the
    // remembered record for userinfo_cache_secs (2), never longer.
    let sub = jwt_part(access, 1)["sub"].as_str().unwrap().to_string();
    let store = &s.server.state.store;
    let now = s.server.clock().now();
    store
        .set_user_status(
            &sub,
            gerbang::domain::user_status::UserStatus::Disabled,
            now,
        )
        .await
        .unwrap();
    assert_eq!(userinfo_status(&s, access).await, 200, "within the bound");
    s.server.clock().advance(3);
    assert_eq!(userinfo_status(&s, access).await, 401, "past the bound");
    let now = s.server.clock().now();
    store
        .set_user_status(&sub, gerbang::domain::user_status::UserStatus::Active, now)
        .await
        .unwrap();
    s.server.clock().advance(3);
    assert_eq!(userinfo_status(&s, access).await, 200, "enabled again");
    // The operator withdraws the signing key (a new ring without it, as a reload would bring).
    let dir = tempfile::tempdir().unwrap();
    let other =
        gerbang::keys::KeyRing::load_or_generate(dir.path(), s.server.clock().now()).unwrap();
    s.server.state.replace_keys(other);
    assert_eq!(
        userinfo_status(&s, access).await,
        401,
        "a remembered token dies with its key"
    );

    let http = rp_http();
    let cc = |id: &'static str, secret: String| {
        let http = http.clone();
        let url = s.server.url("/token");
        async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let old = s
        .server
        .add_client("batch", "ES256", &["client_credentials"])
        .await;
    assert_eq!(cc("batch", old.clone()).await, 200);
    // The secret is rotated in the database (another replica, the CLI, the registry file).
    let mut client = store.find_client("batch").await.unwrap().unwrap();
    let new = gerbang::secrets::random_token();
    client.secret_hash = gerbang::secrets::sha256_hex(&new);
    store
        .upsert_client(&client, s.server.clock().now(), true)
        .await
        .unwrap();
    assert_eq!(
        cc("batch", new.clone()).await,
        200,
        "the new secret works at once"
    );
    assert_eq!(
        cc("batch", "wrong-secret-wrong-secret-wrong-secret".into()).await,
        401
    );
    // The attack: a leaked secret, rotated away, stops working: at once on a replica that
    // saw the new one, and within `client_cache_secs` (1 s) on any other (issue 23: it used
    // to live on for 5 s, or as long as the operator configured).
    assert_eq!(
        cc("batch", old).await,
        401,
        "the old secret is refused once the new one was seen"
    );
    let rotated = new.clone();
    let newer = gerbang::secrets::random_token();
    client.secret_hash = gerbang::secrets::sha256_hex(&newer);
    store
        .upsert_client(&client, s.server.clock().now(), true)
        .await
        .unwrap();
    s.server.clock().advance(2);
    assert_eq!(
        cc("batch", rotated).await,
        401,
        "a rotated secret is refused past client_cache_secs, though nobody used the new one"
    );
    let new = newer;
    // A removed client stops within the same bound.
    store.disable_client("batch").await.unwrap();
    s.server.clock().advance(2);
    assert_eq!(cc("batch", new).await, 401);
}

async fn post_login(
    s: &Setup,
    b: &reqwest::Client,
    nip: &str,
    password: &str,
    with_csrf: bool,
) -> (StatusCode, String) {
    let page = get_text(b, s.server.url("/login")).await;
    let mut form = vec![
        ("nip", nip.to_string()),
        ("password", password.to_string()),
        // A code is typed, so a wrong password fails right here.
        ("otp", "000000".to_string()),
    ];
    if with_csrf {
        form.push(("csrf_token", hidden(&page, "csrf_token")));
    }
    if let Some((id, answer)) = captcha_answer(&s.server, &page).await {
        form.push(("captcha_id", id));
        form.push(("captcha", answer));
    }
    let res = b
        .post(s.server.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn error_text(page: &str) -> String {
    let start = page
        .find("id=\"login-error\">")
        .map(|i| i + 17)
        .unwrap_or(0);
    page[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn login_form_failures_do_not_enumerate(backend: Backend) {
    let s = setup(backend).await;
    let b = s.server.browser();
    let (imported, _) = s.server.add_user(None).await;

    // Without a code, a right and a wrong password lead to the very same second step.
    let second_step = |pw: &'static str| {
        let (s, b) = (&s, &b);
        async move {
            let page = get_text(b, s.server.url("/login")).await;
            let res = b
                .post(s.server.url("/login"))
                .form(&[
                    ("nip", s.nip.as_str()),
                    ("password", pw),
                    ("otp", ""),
                    ("csrf_token", &hidden(&page, "csrf_token")),
                ])
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body = res.text().await.unwrap();
            // The page differs only by its CSRF token and the clock shown.
            let start = body.find("<form").unwrap();
            let end = body.find("</form>").unwrap();
            (
                status,
                body[start..end].replace(&hidden(&body, "csrf_token"), ""),
            )
        }
    };
    let right = second_step(PASSWORD).await;
    let wrong_pw = second_step("Salah#Sandi2026").await;
    assert_eq!(right.0, 200);
    assert_eq!(
        right, wrong_pw,
        "the OTP step does not reveal whether the password was right"
    );

    let (st_wrong, wrong) = post_login(&s, &b, &s.nip, "Salah#Sandi2026", true).await;
    let (st_unknown, unknown) =
        post_login(&s, &b, "199001012015011001", "Salah#Sandi2026", true).await;
    let (st_inactive, inactive) = post_login(&s, &b, &imported, "Salah#Sandi2026", true).await;
    assert_eq!(st_wrong, 401);
    assert_eq!((st_unknown, st_inactive), (st_wrong, st_wrong));
    assert_eq!(error_text(&wrong), "NIP, kata sandi, atau kode OTP salah.");
    assert_eq!(
        error_text(&unknown),
        error_text(&wrong),
        "same words for unknown NIP"
    );
    assert_eq!(
        error_text(&inactive),
        error_text(&wrong),
        "same words for a not-yet-activated account"
    );

    let (st, page) = post_login(&s, &b, "12345", PASSWORD, true).await;
    assert_eq!(st, 400);
    assert_eq!(error_text(&page), "NIP harus terdiri dari 18 digit angka.");
    let (st, page) = post_login(&s, &b, "198513122010011002", PASSWORD, true).await;
    assert_eq!(st, 400);
    assert!(error_text(&page).starts_with("NIP tidak valid"));
    // User input comes back escaped, never as markup.
    let (_, page) = post_login(&s, &b, "<script>x</script>", PASSWORD, true).await;
    assert!(!page.contains("<script>x"), "{page}");
    let (st, _) = post_login(&s, &b, &s.nip, &"A1!a".repeat(100), true).await;
    assert_eq!(st, 400);
    // No CSRF token: refused, even with the right password.
    let (st, page) = post_login(&s, &b, &s.nip, PASSWORD, false).await;
    assert_eq!(st, 403);
    assert!(page.contains("Formulir kedaluwarsa"));
    // Oversize body. From a client of its own: the server answers 413 without reading the
    // body and closes that connection, which a shared pool could otherwise pick up again
    // (a flaky `IncompleteMessage` on the next request, seen in CI).
    let res = browser()
        .post(s.server.url("/login"))
        .form(&[("nip", "x".repeat(70_000))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // Audit trail of the failures, none of them saying which part was wrong.
    let kinds = s
        .server
        .state
        .store
        .count_audit_events(gerbang::domain::audit::AuditKind::LoginFailure)
        .await
        .unwrap();
    assert!(kinds >= 3, "failures are audited: {kinds}");

    // The right password works, and the session cookie is new (no fixation).
    let before = b.http().get(s.server.url("/login")).send().await.unwrap();
    drop(before);
    let res = b.sign_in(&s.nip, PASSWORD, None).await;
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gerbang_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = get_text(&b, s.server.url("/")).await;
    assert!(home.contains("Siti Rahayu"));
}

async fn logout_without_hint_needs_confirmation(backend: Backend) {
    let s = setup(backend).await;
    let _ = code(&s).await; // signs the browser in
    let b = &s.browser;
    let res = b.get(s.server.url("/logout")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Ya, keluar"));
    // Still signed in: a GET alone signs nobody out.
    let res = b
        .get(authorize_url(&s.server, "dms", &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert!(query_param(&location(&res), "code").is_some());
    // Unregistered post-logout URI is refused.
    let res = b
        .get(
            s.server.url(
                "/logout?client_id=dms&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // POST without the CSRF token is refused; with it, the session ends.
    let res = b
        .post(s.server.url("/logout"))
        .form(&[("state", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = b
        .post(s.server.url("/logout"))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Anda telah keluar"));
    let res = b
        .get(authorize_url(&s.server, "dms", &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required")
    );
}

/// Whether `b` still has an SSO session (a silent authorization gives a code).
async fn signed_in(s: &Setup, b: &reqwest::Client) -> bool {
    let res = b
        .get(authorize_url(&s.server, "dms", &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    query_param(&location(&res), "code").is_some()
}

/// A browser signed in as a fresh person, and that person's tokens for `dms`.
async fn other_person(s: &Setup) -> (reqwest::Client, Value) {
    let (nip, _) = s.server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let url = authorize_url(&s.server, "dms", &[]);
    let res = login_through(&s.server, &b, &url, &nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let (st, tokens) = exchange(s, &code, VERIFIER).await;
    assert_eq!(st, 200);
    (b, tokens)
}

/// Logout CSRF: a link or `<img>` to `/logout?id_token_hint=…` with a token the attacker
/// holds must not end the victim's session. Only an ID token of the person signed in in
/// this browser ends it without asking (expired ones included); another person's ID token,
/// a logout token or an access token only shows the confirmation page; and a hint never
/// ends the session its `sid` names in some other browser.
async fn logout_hint_must_be_this_persons_id_token(backend: Backend) {
    let s = setup(backend).await;
    let victim = &s.browser;
    let c = code(&s).await;
    let (st, mine) = exchange(&s, &c, VERIFIER).await;
    assert_eq!(st, 200);
    let my_id_token = mine["id_token"].as_str().unwrap().to_string();
    let my_sid = jwt_part(&my_id_token, 1)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    let my_id = s.server.user(&s.nip).await.id;
    let (attacker, theirs) = other_person(&s).await;
    let logout_url = |hint: &str| {
        let enc: String = url::form_urlencoded::byte_serialize(hint.as_bytes()).collect();
        s.server.url(&format!(
            "/logout?client_id=dms&id_token_hint={enc}&post_logout_redirect_uri={}",
            url::form_urlencoded::byte_serialize(POST_LOGOUT.as_bytes()).collect::<String>()
        ))
    };
    // A genuine back-channel logout token for the victim's own session, as a service got it.
    let logout_token = gerbang::oidc::tokens::mint_logout(
        &s.server.state,
        &s.server.state.keys(),
        "dms",
        jsonwebtoken::Algorithm::ES256,
        &my_id,
        &my_sid,
    )
    .unwrap();
    for (what, hint) in [
        (
            "another person's ID token",
            theirs["id_token"].as_str().unwrap(),
        ),
        ("a logout token", logout_token.as_str()),
        ("an access token", mine["access_token"].as_str().unwrap()),
    ] {
        let res = victim.get(logout_url(hint)).send().await.unwrap();
        assert_eq!(
            res.status(),
            200,
            "{what}: the confirmation page, no redirect"
        );
        let page = res.text().await.unwrap();
        assert!(page.contains("Ya, keluar"), "{what}: {page}");
        assert!(
            signed_in(&s, victim).await,
            "{what} ended the victim's session"
        );
    }
    // The attacker's own browser, holding the victim's ID token (its `sid` names the
    // victim's session): only the attacker's session ends.
    let res = attacker.get(logout_url(&my_id_token)).send().await.unwrap();
    assert_eq!(res.status(), 200, "another person's ID token: confirmation");
    assert!(signed_in(&s, &attacker).await);
    let res = browser()
        .get(logout_url(&my_id_token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        POST_LOGOUT,
        "no session here: nothing to end"
    );
    assert!(
        signed_in(&s, victim).await,
        "a hint's sid ended a session in another browser"
    );
    // The person's own ID token, long expired: signed out at once, back to the service.
    s.server.clock().advance(3600);
    let res = victim.get(logout_url(&my_id_token)).send().await.unwrap();
    assert_eq!(location(&res), POST_LOGOUT);
    assert!(!signed_in(&s, victim).await);
}

/// A P-256 key pair: the private key for signing and its public JWK (with `kid`).
fn es256_key(kid: &str) -> (jsonwebtoken::EncodingKey, jsonwebtoken::jwk::Jwk) {
    use p256::pkcs8::EncodePrivateKey;
    let sk = p256::SecretKey::random(&mut rand_core06::OsRng);
    let pem = sk.to_pkcs8_pem(Default::default()).unwrap();
    let enc = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    let mut jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&enc, jsonwebtoken::Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.into());
    (enc, jwk)
}

/// A client assertion valid from the server's clock `now` until `now + exp_in`.
fn assertion(
    key: &jsonwebtoken::EncodingKey,
    kid: &str,
    client: &str,
    aud: &str,
    now: i64,
    exp_in: i64,
) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = Some(kid.into());
    let claims = serde_json::json!({"iss": client, "sub": client, "aud": aud, "iat": now,
        "exp": now + exp_in, "jti": uuid::Uuid::new_v4().to_string()});
    jsonwebtoken::encode(&h, &claims, key).unwrap()
}

async fn assertion_status(server: &TestServer, assertion: String) -> StatusCode {
    rp_http()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "client_credentials".to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// private_key_jwt: an assertion living for years would outlive its `jti` record and be
/// replayable; unknown `kid`s (no authentication needed to send them) must not make the
/// server fetch the service's `jwks_uri` once per request.
async fn private_key_jwt_lifetime_and_jwks_fetches_are_bounded(backend: Backend) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let server = TestServer::start(backend).await;
    let now = || server.clock().now();
    let (key, jwk) = es256_key("k1");
    let inline = serde_json::to_string(&jsonwebtoken::jwk::JwkSet {
        keys: vec![jwk.clone()],
    })
    .unwrap();
    server
        .add_client_with("lemari", |c| {
            c.auth_method = gerbang::store::clients::AuthMethod::PrivateKeyJwt;
            c.secret_hash = String::new();
            c.jwks = Some(inline);
            c.grant_types = vec!["client_credentials".into()];
        })
        .await;
    let ten_years = assertion(&key, "k1", "lemari", &server.base, now(), 10 * 365 * 86400);
    assert_eq!(
        assertion_status(&server, ten_years).await,
        401,
        "a ten-year assertion is refused"
    );
    // Five minutes is fine, once; its jti is remembered for its whole life.
    let five_min = assertion(&key, "k1", "lemari", &server.base, now(), 300);
    assert_eq!(assertion_status(&server, five_min.clone()).await, 200);
    server.clock().advance(290);
    assert_eq!(assertion_status(&server, five_min).await, 401, "replayed");

    // Keys at a URI, on a server that counts how often it is asked.
    let fetches = Arc::new(AtomicUsize::new(0));
    let published = Arc::new(Mutex::new(jsonwebtoken::jwk::JwkSet { keys: vec![jwk] }));
    let (f, p) = (fetches.clone(), published.clone());
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            f.fetch_add(1, Ordering::SeqCst);
            let p = p.clone();
            async move { axum::Json(p.lock().unwrap().clone()) }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_uri = format!("http://{}/jwks", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    server
        .add_client_with("dms", |c| {
            c.auth_method = gerbang::store::clients::AuthMethod::PrivateKeyJwt;
            c.secret_hash = String::new();
            c.jwks_uri = Some(jwks_uri);
            c.grant_types = vec!["client_credentials".into()];
        })
        .await;
    let good = || assertion(&key, "k1", "dms", &server.base, now(), 60);
    assert_eq!(assertion_status(&server, good()).await, 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let (stranger, _) = es256_key("x");
    for i in 0..50 {
        let forged = assertion(&stranger, &format!("k-{i}"), "dms", &server.base, now(), 60);
        assert_eq!(assertion_status(&server, forged).await, 401);
    }
    let n = fetches.load(Ordering::SeqCst);
    assert!(n <= 2, "50 unknown kids made {n} fetches of the jwks_uri");
    assert_eq!(
        assertion_status(&server, good()).await,
        200,
        "the service itself is unaffected"
    );
    // A key the service really rotated in is picked up in the next window.
    let (key3, jwk3) = es256_key("k3");
    published.lock().unwrap().keys.push(jwk3);
    server.clock().advance(61);
    let rotated = assertion(&key3, "k3", "dms", &server.base, now(), 60);
    assert_eq!(assertion_status(&server, rotated).await, 200);
    assert!(fetches.load(Ordering::SeqCst) <= n + 2);

    // A service's endpoint answering megabytes (here: its real key set, padded) is not
    // buffered: the set is refused, the assertion with it.
    let (key4, jwk4) = es256_key("k4");
    let mut huge = serde_json::to_string(&jsonwebtoken::jwk::JwkSet { keys: vec![jwk4] }).unwrap();
    huge.push_str(&" ".repeat(2 * 1024 * 1024));
    let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { huge }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let huge_uri = format!("http://{}/jwks", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    server
        .add_client_with("bloat", |c| {
            c.auth_method = gerbang::store::clients::AuthMethod::PrivateKeyJwt;
            c.secret_hash = String::new();
            c.jwks_uri = Some(huge_uri);
            c.grant_types = vec!["client_credentials".into()];
        })
        .await;
    let a = assertion(&key4, "k4", "bloat", &server.base, now(), 60);
    assert_eq!(assertion_status(&server, a).await, 401);
}

/// Any client could introspect another client's tokens and read the person's id, session
/// and scopes. A client now learns only about tokens issued to it; the operator may open
/// introspection to every client (`introspection_any_client`) for resource servers.
async fn introspection_is_for_the_tokens_own_client(backend: Backend) {
    let s = setup(backend).await;
    let spy = s
        .server
        .add_client("spy", "ES256", &["client_credentials"])
        .await;
    let c = code(&s).await;
    let (_, t) = exchange(&s, &c, VERIFIER).await;
    let access = t["access_token"].as_str().unwrap();
    let refresh = t["refresh_token"].as_str().unwrap();
    let ask = |server: &TestServer, id: &'static str, secret: String, tok: String| {
        let req = rp_http()
            .post(server.url("/introspect"))
            .basic_auth(id, Some(secret))
            .form(&[("token", tok)]);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    for tok in [access, refresh] {
        let theirs = ask(&s.server, "spy", spy.clone(), tok.to_string()).await;
        assert_eq!(theirs, serde_json::json!({"active": false}), "{theirs}");
        let mine = introspect(&s, tok).await;
        assert_eq!(mine["active"], true, "{mine}");
        assert_eq!(mine["client_id"], "dms");
    }
    // The spy's own token is its own business.
    let own = client_token(&s.server, "spy", &spy).await;
    assert_eq!(
        ask(&s.server, "spy", spy.clone(), own).await["active"],
        true
    );

    // The operator's choice: every client may introspect every token.
    let open = TestServer::start_with(backend, |c| c.introspection_any_client = true).await;
    let (nip, _) = open.add_user(Some(PASSWORD)).await;
    let dms = open
        .add_client("dms", "ES256", &["authorization_code"])
        .await;
    let spy = open
        .add_client("spy", "ES256", &["client_credentials"])
        .await;
    let res = login_through(
        &open,
        &browser(),
        &authorize_url(&open, "dms", &[]),
        &nip,
        PASSWORD,
    )
    .await;
    let code = query_param(&location(&res), "code").unwrap();
    let t = exchange_code(&open, "dms", &dms, &code).await;
    let seen = ask(
        &open,
        "spy",
        spy,
        t["access_token"].as_str().unwrap().to_string(),
    )
    .await;
    assert_eq!(seen["active"], true, "{seen}");
}
