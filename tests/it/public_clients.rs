//! Public clients (issue 19): browser and native apps with no secret. PKCE S256 is their only
//! proof, their redirects follow RFC 8252, their refresh tokens rotate and live shorter,
//! `offline_access` needs the operator's word, and CORS answers only their registered
//! origins on the five endpoints a browser app calls.

use crate::common::*;
use gerbang::store::clients::{AuthMethod, Client};
use reqwest::StatusCode;
use serde_json::Value;

scenarios!(
    a_public_client_signs_in_with_pkce_and_nothing_else,
    public_redirects_follow_rfc_8252,
    public_refresh_tokens_rotate_reuse_revokes_and_live_shorter,
    offline_access_needs_the_operators_word,
    cors_answers_registered_origins_on_five_endpoints_only,
);

/// The SPA's origin and another app's.
const SPA_ORIGIN: &str = "http://127.0.0.1:7001";
const OTHER_ORIGIN: &str = "http://127.0.0.1:7002";
const EVIL_ORIGIN: &str = "https://evil.example";
/// Registered loopback redirect (no port: the app picks one at run time).
const LOOPBACK: &str = "http://127.0.0.1/cb";
const MOBILE: &str = "id.go.bkn.mobile:/oauth2redirect";

async fn add_public(server: &TestServer, id: &str, tweak: impl FnOnce(&mut Client)) {
    server
        .add_client_with(id, |c| {
            c.auth_method = AuthMethod::None;
            c.secret_hash = String::new();
            c.redirect_uris = vec![LOOPBACK.into(), MOBILE.into()];
            c.web_origins = vec![SPA_ORIGIN.into()];
            tweak(c);
        })
        .await;
}

fn authorize(server: &TestServer, client: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&server.url("/authorize")).unwrap();
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("client_id", client)
            .append_pair("redirect_uri", redirect)
            .append_pair("response_type", "code")
            .append_pair("state", "s");
        let has = |k: &str| extra.iter().any(|(n, _)| *n == k);
        if !has("scope") {
            q.append_pair("scope", "openid profile");
        }
        if !has("code_challenge") && !has("no_pkce") {
            q.append_pair("code_challenge", CHALLENGE)
                .append_pair("code_challenge_method", "S256");
        }
        for (k, v) in extra.iter().filter(|(k, _)| *k != "no_pkce") {
            q.append_pair(k, v);
        }
    }
    u.to_string()
}

/// Signs `nip` in (or reuses the browser's session) and returns where `/authorize` sent it.
async fn redirect_of(server: &TestServer, b: &reqwest::Client, nip: &str, url: &str) -> String {
    let res = b.get(url).send().await.unwrap();
    let res = if res.status() == 302 {
        res
    } else {
        login_through(server, b, url, nip, PASSWORD).await
    };
    assert_eq!(res.status(), 302, "{url}");
    location(&res)
}

async fn code_at(server: &TestServer, b: &reqwest::Client, nip: &str, url: &str) -> String {
    let loc = redirect_of(server, b, nip, url).await;
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// A `/token` call with no client authentication at all, as a public client makes it.
async fn token(server: &TestServer, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = rp_http()
        .post(server.url("/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn exchange(
    server: &TestServer,
    client: &str,
    redirect: &str,
    code: &str,
) -> (StatusCode, Value) {
    token(
        server,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn refresh(server: &TestServer, client: &str, rt: &str) -> (StatusCode, Value) {
    token(
        server,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client),
            ("refresh_token", rt),
        ],
    )
    .await
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or("")
}

async fn a_public_client_signs_in_with_pkce_and_nothing_else(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    add_public(&server, "spa", |_| {}).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let b = browser();

    // Discovery says public clients are served at /token and /revoke, not at /introspect.
    let meta: Value = get_json(&rp_http(), server.url("/.well-known/openid-configuration")).await;
    let has_none = |k: &str| meta[k].as_array().unwrap().iter().any(|m| m == "none");
    assert!(has_none("token_endpoint_auth_methods_supported"));
    assert!(has_none("revocation_endpoint_auth_methods_supported"));
    assert!(!has_none("introspection_endpoint_auth_methods_supported"));

    // The full flow on an unregistered loopback port, with client_id and the verifier only.
    let redirect = "http://127.0.0.1:53682/cb";
    let code = code_at(&server, &b, &nip, &authorize(&server, "spa", redirect, &[])).await;
    let (st, t) = exchange(&server, "spa", redirect, &code).await;
    assert_eq!(st, 200, "{t}");
    let access = t["access_token"].as_str().unwrap();
    assert!(t["refresh_token"].is_string());
    assert_eq!(jwt_part(t["id_token"].as_str().unwrap(), 1)["aud"], "spa");
    let info = rp_http()
        .get(server.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);

    // Without PKCE, or with `plain`, the app is sent back with invalid_request.
    for extra in [
        vec![("no_pkce", "")],
        vec![
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    ] {
        let loc = redirect_of(
            &server,
            &b,
            &nip,
            &authorize(&server, "spa", redirect, &extra),
        )
        .await;
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{loc}"
        );
        assert!(query_param(&loc, "code").is_none());
    }

    // A public client presenting any credential is refused, and its code is not spent by
    // the refusal (client authentication comes first).
    let code = code_at(&server, &b, &nip, &authorize(&server, "spa", redirect, &[])).await;
    let base = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", VERIFIER),
    ];
    let long_secret = "x".repeat(40);
    let mut with_secret = base.to_vec();
    with_secret.extend([
        ("client_id", "spa"),
        ("client_secret", long_secret.as_str()),
    ]);
    let (st, body) = token(&server, &with_secret).await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let res = rp_http()
        .post(server.url("/token"))
        .basic_auth("spa", Some(""))
        .form(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "Basic credentials from a public client");
    let mut with_assertion = base.to_vec();
    with_assertion.extend([
        ("client_id", "spa"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        (
            "client_assertion",
            "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGEifQ.c2ln",
        ),
    ]);
    let (st, body) = token(&server, &with_assertion).await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let mut plain = base.to_vec();
    plain.push(("client_id", "spa"));
    let (st, body) = token(&server, &plain).await;
    assert_eq!(st, 200, "the refusals left the code alone: {body}");

    // A confidential client that sends no credentials is still refused.
    let (st, body) = token(
        &server,
        &[("grant_type", "client_credentials"), ("client_id", "dms")],
    )
    .await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    // client_credentials is not for a public client.
    let (st, body) = token(
        &server,
        &[("grant_type", "client_credentials"), ("client_id", "spa")],
    )
    .await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::BAD_REQUEST, "unauthorized_client")
    );
    // Introspection stays for confidential clients: the public one learns nothing there,
    // the confidential one still works.
    let res = rp_http()
        .post(server.url("/introspect"))
        .form(&[("client_id", "spa"), ("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res: Value = rp_http()
        .post(server.url("/introspect"))
        .basic_auth("dms", Some(&secret))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["active"], false, "another client's token");
    // A public client revokes its own refresh token with its client_id alone.
    let rt = body_rt(&server, &b, &nip, redirect).await;
    let res = rp_http()
        .post(server.url("/revoke"))
        .form(&[("client_id", "spa"), ("token", rt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (st, body) = refresh(&server, "spa", &rt).await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
}

/// A fresh grant's refresh token for the public client `spa`.
async fn body_rt(server: &TestServer, b: &reqwest::Client, nip: &str, redirect: &str) -> String {
    let code = code_at(server, b, nip, &authorize(server, "spa", redirect, &[])).await;
    let (st, t) = exchange(server, "spa", redirect, &code).await;
    assert_eq!(st, 200, "{t}");
    t["refresh_token"].as_str().unwrap().to_string()
}

async fn public_redirects_follow_rfc_8252(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    add_public(&server, "mobile", |_| {}).await;
    // The registry refuses what a public client must not have, and keeps confidential rules.
    let mut bad = Client::new("bad", "Bad");
    bad.auth_method = AuthMethod::None;
    bad.grant_types = vec!["authorization_code".into()];
    for uri in [
        "http://localhost:8000/cb",
        "http://evil.example/cb",
        "ftp://127.0.0.1/cb",
        "myapp:/cb",
        "id.go.bkn.mobile://host/cb",
    ] {
        bad.redirect_uris = vec![uri.into()];
        assert!(gerbang::registry::validate(&bad).is_err(), "{uri}");
    }
    bad.redirect_uris = vec![LOOPBACK.into()];
    bad.grant_types.push("client_credentials".into());
    assert!(
        gerbang::registry::validate(&bad).is_err(),
        "client_credentials"
    );
    let mut conf = Client::new("conf", "Conf");
    conf.secret_hash = "a".repeat(64);
    conf.grant_types = vec!["authorization_code".into()];
    conf.redirect_uris = vec!["http://localhost:8000/cb".into()];
    gerbang::registry::validate(&conf).expect("a confidential client keeps localhost");

    let b = browser();
    // Refused at /authorize: an error page, never a redirect.
    for uri in [
        "http://localhost:5000/cb",
        "http://127.0.0.1:5000/other",
        "https://127.0.0.1:5000/cb",
        "http://[::1]:5000/cb",
        "http://evil.example/cb",
        "id.go.bkn.mobile:/elsewhere",
        "id.go.bkn.mobile.evil:/oauth2redirect",
    ] {
        let res = b
            .get(authorize(&server, "mobile", uri, &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{uri}");
        assert!(res.headers().get("location").is_none(), "{uri}");
    }
    // A confidential client keeps exact matching: another loopback port is refused.
    server
        .add_client_with("web", |c| {
            c.redirect_uris = vec!["http://127.0.0.1:9/callback".into()]
        })
        .await;
    let res = b
        .get(authorize(
            &server,
            "web",
            "http://127.0.0.1:10/callback",
            &[],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // A private-use scheme redirect carries the code, and the code is exchanged.
    let loc = redirect_of(
        &server,
        &b,
        &nip,
        &authorize(&server, "mobile", MOBILE, &[]),
    )
    .await;
    assert!(
        loc.starts_with("id.go.bkn.mobile:/oauth2redirect?code="),
        "{loc}"
    );
    let code = query_param(&loc, "code").unwrap();
    let (st, t) = exchange(&server, "mobile", MOBILE, &code).await;
    assert_eq!(st, 200, "{t}");
    // Any loopback port, each code bound to the port it was sent to.
    for port in ["49152", "60001"] {
        let redirect = format!("http://127.0.0.1:{port}/cb");
        let loc = redirect_of(
            &server,
            &b,
            &nip,
            &authorize(&server, "mobile", &redirect, &[]),
        )
        .await;
        assert!(loc.starts_with(&format!("{redirect}?code=")), "{loc}");
        let code = query_param(&loc, "code").unwrap();
        let (st, t) = exchange(&server, "mobile", "http://127.0.0.1:1/cb", &code).await;
        assert_eq!(
            (st, error_of(&t)),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
        let loc = redirect_of(
            &server,
            &b,
            &nip,
            &authorize(&server, "mobile", &redirect, &[]),
        )
        .await;
        let code = query_param(&loc, "code").unwrap();
        let (st, t) = exchange(&server, "mobile", &redirect, &code).await;
        assert_eq!(st, 200, "{t}");
    }
}

async fn public_refresh_tokens_rotate_reuse_revokes_and_live_shorter(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.public_refresh_token_ttl_secs = 3600).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    add_public(&server, "spa", |_| {}).await;
    let secret = server
        .add_client("dms", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let b = browser();
    let redirect = "http://127.0.0.1:40000/cb";

    // Every use rotates; the spent token replayed revokes the family, its successor too.
    let r1 = body_rt(&server, &b, &nip, redirect).await;
    let (st, t) = refresh(&server, "spa", &r1).await;
    assert_eq!(st, 200, "{t}");
    let r2 = t["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let (st, t) = refresh(&server, "spa", &r2).await;
    assert_eq!(st, 200, "{t}");
    let r3 = t["refresh_token"].as_str().unwrap().to_string();
    let (st, body) = refresh(&server, "spa", &r1).await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let (st, _) = refresh(&server, "spa", &r3).await;
    assert_eq!(st, 400, "the live successor died with the replay");
    // Another client cannot spend it either (and that burns it).
    let r = body_rt(&server, &b, &nip, redirect).await;
    let res = rp_http()
        .post(server.url("/token"))
        .basic_auth("dms", Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", r.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // The public lifetime applies (an hour here), the confidential one does not change.
    let public = body_rt(&server, &b, &nip, redirect).await;
    let code = code_at(&server, &b, &nip, &authorize(&server, "dms", REDIRECT, &[])).await;
    let conf = exchange_code(&server, "dms", &secret, &code).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    server.clock().advance(3600 + 5);
    let (st, body) = refresh(&server, "spa", &public).await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let res = rp_http()
        .post(server.url("/token"))
        .basic_auth("dms", Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", conf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a confidential grant lives its 30 days");
}

async fn offline_access_needs_the_operators_word(backend: Backend) {
    // Client records read fresh, so the withdrawn allowance below shows at once.
    let server = TestServer::start_with(backend, |c| c.client_cache_secs = 0).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    add_public(&server, "spa", |_| {}).await;
    add_public(&server, "app", |c| c.allow_offline_access = true).await;
    let b = browser();
    let redirect = "http://127.0.0.1:40001/cb";
    let scope = [("scope", "openid profile offline_access")];

    // Without the allowance the scope is dropped (the grant goes on without it).
    let code = code_at(
        &server,
        &b,
        &nip,
        &authorize(&server, "spa", redirect, &scope),
    )
    .await;
    let (st, t) = exchange(&server, "spa", redirect, &code).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["scope"], "openid profile");
    // With it, granted.
    let code = code_at(
        &server,
        &b,
        &nip,
        &authorize(&server, "app", redirect, &scope),
    )
    .await;
    let (st, t) = exchange(&server, "app", redirect, &code).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["scope"], "openid profile offline_access");
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    // Withdrawn: the grant that carries it no longer refreshes.
    let mut app = server
        .state
        .store
        .find_client("app")
        .await
        .unwrap()
        .unwrap();
    app.allow_offline_access = false;
    server
        .state
        .store
        .upsert_client(&app, server.clock().now(), true)
        .await
        .unwrap();
    let (st, body) = refresh(&server, "app", &rt).await;
    assert_eq!(
        (st, error_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // A confidential client needs no allowance.
    let secret = server.add_client_with("dms", |_| {}).await;
    let code = code_at(
        &server,
        &b,
        &nip,
        &authorize(&server, "dms", REDIRECT, &scope),
    )
    .await;
    let t = exchange_code(&server, "dms", &secret, &code).await;
    assert_eq!(t["scope"], "openid profile offline_access", "{t}");
}

/// The CORS headers of a response, as (allow-origin, vary) strings.
fn cors_of(res: &reqwest::Response) -> (Option<String>, String) {
    let h = res.headers();
    assert!(
        h.get("access-control-allow-credentials").is_none(),
        "credentials are never allowed"
    );
    (
        h.get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string()),
        h.get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

async fn cors_answers_registered_origins_on_five_endpoints_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    add_public(&server, "spa", |_| {}).await;
    add_public(&server, "other", |c| {
        c.web_origins = vec![OTHER_ORIGIN.into()]
    })
    .await;
    let http = rp_http();
    let b = browser();
    let redirect = "http://127.0.0.1:40002/cb";
    let code = code_at(&server, &b, &nip, &authorize(&server, "spa", redirect, &[])).await;
    let (_, t) = exchange(&server, "spa", redirect, &code).await;
    let access = t["access_token"].as_str().unwrap().to_string();
    let rt = t["refresh_token"].as_str().unwrap().to_string();

    // Discovery, JWKS and userinfo: any registered origin, nothing for others.
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks",
        "/userinfo",
    ] {
        for (origin, allowed) in [
            (SPA_ORIGIN, true),
            (OTHER_ORIGIN, true),
            (EVIL_ORIGIN, false),
        ] {
            let res = http
                .get(server.url(path))
                .header("origin", origin)
                .bearer_auth(&access)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let (allow, vary) = cors_of(&res);
            assert_eq!(
                allow.as_deref(),
                allowed.then_some(origin),
                "{path} {origin}"
            );
            assert!(vary.contains("Origin"), "{path}: {vary}");
        }
        // The exact origin only: not a prefix, a path or another port.
        for near in [
            "http://127.0.0.1:7001/",
            "http://127.0.0.1:70011",
            "http://127.0.0.1",
        ] {
            let res = http
                .get(server.url(path))
                .header("origin", near)
                .bearer_auth(&access)
                .send()
                .await
                .unwrap();
            assert_eq!(cors_of(&res).0, None, "{path} {near}");
        }
    }
    // /token and /revoke: only the origin of the client the request is for.
    for (origin, allowed) in [
        (SPA_ORIGIN, true),
        (OTHER_ORIGIN, false),
        (EVIL_ORIGIN, false),
    ] {
        let res = http
            .post(server.url("/token"))
            .header("origin", origin)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "spa"),
                ("refresh_token", "not-a-token"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "the error is readable too");
        assert_eq!(
            cors_of(&res).0.as_deref(),
            allowed.then_some(origin),
            "/token {origin}"
        );
        let res = http
            .post(server.url("/revoke"))
            .header("origin", origin)
            .form(&[("client_id", "spa"), ("token", "not-a-token")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            cors_of(&res).0.as_deref(),
            allowed.then_some(origin),
            "/revoke {origin}"
        );
    }
    // The real refresh from the browser app's origin, readable by it.
    let res = http
        .post(server.url("/token"))
        .header("origin", SPA_ORIGIN)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "spa"),
            ("refresh_token", rt.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(cors_of(&res).0.as_deref(), Some(SPA_ORIGIN));

    // Preflight: methods, headers and a max-age for a registered origin; nothing otherwise.
    for (path, method) in [
        ("/token", "POST"),
        ("/revoke", "POST"),
        ("/userinfo", "GET"),
        ("/jwks", "GET"),
        ("/.well-known/openid-configuration", "GET"),
    ] {
        let res = http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", SPA_ORIGIN)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "{path}");
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], SPA_ORIGIN);
        let methods = h["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains(method), "{path}: {methods}");
        let headers = h["access-control-allow-headers"].to_str().unwrap();
        assert!(headers.contains("Authorization") && headers.contains("Content-Type"));
        assert!(h.get("access-control-max-age").is_some());
        assert!(h.get("access-control-allow-credentials").is_none());
        let res = http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", EVIL_ORIGIN)
            .header("access-control-request-method", method)
            .send()
            .await
            .unwrap();
        assert_eq!(cors_of(&res).0, None, "{path}");
        assert!(res.headers().get("access-control-allow-methods").is_none());
    }

    // Never elsewhere, even for a registered origin: pages, the helpdesk API, introspection,
    // PAR, authorize, logout.
    for path in [
        "/",
        "/login",
        "/account",
        "/api/helpdesk/users/198507122010011002",
        "/authorize?client_id=spa",
        "/logout",
        "/healthz",
    ] {
        let res = http
            .get(server.url(path))
            .header("origin", SPA_ORIGIN)
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_eq!(cors_of(&res).0, None, "{path}");
        let res = http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", SPA_ORIGIN)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(cors_of(&res).0, None, "OPTIONS {path}");
    }
    for path in [
        "/introspect",
        "/par",
        "/api/helpdesk/users/198507122010011002/actions",
    ] {
        let res = http
            .post(server.url(path))
            .header("origin", SPA_ORIGIN)
            .form(&[("client_id", "spa"), ("token", access.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(cors_of(&res).0, None, "{path}");
    }
}
