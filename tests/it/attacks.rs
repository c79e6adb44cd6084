//! Attacks that were tried on issue 19's paths and held: each test keeps its defence.

use crate::common::*;

scenarios!(
    loopback_and_scheme_tricks_never_leave_the_device_and_cors_is_exact,
    form_post_escapes_what_the_request_carries_and_widens_only_its_own_page,
);

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Attacker: a malicious web page / registered origin. Tries RFC 8252 matching tricks on a
/// public client's loopback and private-use redirects, and CORS origin confusion.
/// Expected (defence holds): every trick is a page (no redirect) or a redirect that stays on
/// the loopback address and registered path; no `Access-Control-Allow-Origin` for any
/// origin that is not byte-for-byte registered, and none on pages.
async fn loopback_and_scheme_tricks_never_leave_the_device_and_cors_is_exact(backend: Backend) {
    use gerbang::store::clients::AuthMethod;
    let server = TestServer::start(backend).await;
    server
        .add_client_with("app", |c| {
            c.auth_method = AuthMethod::None;
            c.secret_hash = String::new();
            c.redirect_uris = vec![
                "http://127.0.0.1/cb".into(),
                "id.go.bkn.mobile:/oauth2redirect".into(),
            ];
            c.web_origins = vec!["http://127.0.0.1:7001".into()];
        })
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    b.sign_in(&nip, PASSWORD, None).await;
    let url = |redirect: &str, extra: &str| {
        format!(
            "{}/authorize?client_id=app&redirect_uri={}&response_type=code&scope=openid&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            server.url(""),
            enc(redirect)
        )
    };
    let tricks = [
        "http://127.0.0.1.evil.example:5000/cb",
        "http://127.0.0.1@evil.example/cb",
        "http://evil.example@127.0.0.1:5000/cb",
        "http://127.0.0.1:5000@evil.example/cb",
        "http://127.0.0.1:5000\\@evil.example/cb",
        "http://127.0.0.1:5000/cb#@evil.example",
        "http://[::ffff:127.0.0.1]:5000/cb",
        "http://[::1]:5000/cb",
        "http://localhost:5000/cb",
        "https://127.0.0.1:5000/cb",
        "http://127.0.0.1:5000/cb?next=https://evil.example",
        "http://127.0.0.1:5000/cb/../../evil",
        "http://127.0.0.1:5000/%2e%2e/cb",
        "http://0x7f.1:5000/cb",
        "http://127.1:5000/cb",
        "http://2130706433:5000/cb",
        "http://127.0.0.1:5000/cb\t",
        "http://127.0.0.1:5000//evil.example/cb",
        "http://127.0.0.1:5000/cb/",
        "id.go.bkn.mobile:/oauth2redirect/../x",
        "id.go.bkn.mobile://evil.example/oauth2redirect",
        "ID.GO.BKN.MOBILE:/oauth2redirect",
        "id.go.bkn.mobile:/oauth2redirect?x=1",
    ];
    let mut leaks = Vec::new();
    for t in tricks {
        for extra in [
            "",
            "&response_mode=form_post",
            "&response_mode=fragment",
            "&response_mode=nope",
        ] {
            let res = b.http().get(url(t, extra)).send().await.unwrap();
            let loc = res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let body = res.text().await.unwrap();
            let target = if let Some(l) = loc {
                Some(l)
            } else if body.contains("id=\"form-post\"") {
                let at = body.find("action=\"").map(|i| i + 8).unwrap();
                Some(body[at..at + body[at..].find('"').unwrap()].to_string())
            } else {
                None
            };
            if let Some(to) = target {
                let u = url::Url::parse(&to.replace("&amp;", "&")).ok();
                let safe = u.as_ref().is_some_and(|u| {
                    (u.scheme() == "http" && u.host_str() == Some("127.0.0.1") && u.path() == "/cb")
                        || (u.scheme() == "id.go.bkn.mobile"
                            && u.host().is_none()
                            && u.path() == "/oauth2redirect")
                });
                if !safe {
                    leaks.push(format!("{t} {extra} -> {to}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "a redirect left the device: {leaks:#?}");

    // CORS: only the exact registered origin, never on pages.
    let http = rp_http();
    let mut bad = Vec::new();
    for origin in [
        "null",
        "HTTP://127.0.0.1:7001",
        "http://127.0.0.1:7001/",
        "http://127.0.0.1:7001.evil.example",
        "http://127.0.0.1",
        "http://127.0.0.1:70010",
        "http://localhost:7001",
        "http://[::1]:7001",
        "http://127.0.0.1:7001, https://evil.example",
    ] {
        for path in [
            "/token",
            "/userinfo",
            "/jwks",
            "/.well-known/openid-configuration",
            "/revoke",
        ] {
            let res = http
                .request(reqwest::Method::OPTIONS, server.url(path))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .send()
                .await
                .unwrap();
            if let Some(v) = res.headers().get("access-control-allow-origin") {
                bad.push(format!("preflight {path} {origin:?} -> {v:?}"));
            }
        }
    }
    for path in [
        "/login",
        "/account",
        "/api/helpdesk/users/1",
        "/introspect",
        "/par",
        "/authorize",
    ] {
        for m in [
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::OPTIONS,
        ] {
            let res = http
                .request(m.clone(), server.url(path))
                .header("Origin", "http://127.0.0.1:7001")
                .header("Access-Control-Request-Method", "POST")
                .send()
                .await
                .unwrap();
            if let Some(v) = res.headers().get("access-control-allow-origin") {
                bad.push(format!("{m} {path} -> {v:?}"));
            }
        }
    }
    // /token for another client's id from the app's origin: not readable.
    let _conf = server
        .add_client("conf", "ES256", &["authorization_code"])
        .await;
    for body in [
        "grant_type=refresh_token&refresh_token=x&client_id=conf",
        "grant_type=authorization_code&code=x&client_id=app&client_id=conf",
    ] {
        let res = http
            .post(server.url("/token"))
            .header("Origin", "http://127.0.0.1:7001")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        if let Some(v) = res.headers().get("access-control-allow-origin") {
            bad.push(format!("/token {body} -> {v:?}"));
        }
    }
    let res = http
        .post(server.url("/token"))
        .header("Origin", "http://127.0.0.1:7001")
        .basic_auth("conf", Some("x"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "app"),
        ])
        .send()
        .await
        .unwrap();
    let st = res.status();
    let readable = res.headers().get("access-control-allow-origin").cloned();
    if st.is_success() {
        bad.push(format!("basic conf + client_id app: {st} {readable:?}"));
    }
    assert!(bad.is_empty(), "CORS answered: {bad:#?}");
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Attacker: a web page that sends the person to `/authorize` with `response_mode=form_post`
/// and markup in `state`. The self-posting page carries it escaped (no markup, no inline
/// script), posts only to the registered redirect, and the CSP's `form-action` widening is
/// that page's alone: the next page's policy has none.
async fn form_post_escapes_what_the_request_carries_and_widens_only_its_own_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    server
        .add_client("portal", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    b.sign_in(&nip, PASSWORD, None).await;
    let evil = "\"><script>alert(1)</script><form action=\"https://evil.example\"><input name=\"x";
    let url = authorize_url(&server, "portal", "openid")
        .replace("&state=s&", &format!("&state={}&", enc(evil)))
        + "&response_mode=form_post";
    let res = b.http().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let policy = csp(&res);
    assert!(
        policy.contains("form-action http://127.0.0.1:9"),
        "{policy}"
    );
    assert!(!policy.contains("evil.example"), "{policy}");
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "markup from state: {html}");
    assert!(!html.contains("action=\"https://evil.example"), "{html}");
    assert_eq!(html.matches("<form").count(), 1, "one form: {html}");
    assert!(html.contains(&format!("action=\"{REDIRECT}\"")), "{html}");
    for tag in html.split("<script").skip(1) {
        let head = tag.split('>').next().unwrap();
        assert!(
            head.contains("src=\"/static/"),
            "inline script: <script{head}>"
        );
    }
    // The state comes back to the service as it was sent, only escaped in the page.
    let at = html.find("name=\"state\"").expect("a state field");
    let field = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
    assert!(!field.contains("<script"), "{field}");
    // Every other page keeps the strict policy.
    for path in ["/login", "/account", "/"] {
        let res = b.http().get(server.url(path)).send().await.unwrap();
        assert!(
            !csp(&res).contains("form-action http"),
            "{path}: {}",
            csp(&res)
        );
    }
}
