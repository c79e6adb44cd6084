//! Cross-cutting behaviour of every page: language, security headers, assets, health.

mod common;

use common::*;

scenarios!(
    language_choice_is_remembered_and_headers_are_set,
    health_and_readiness,
    secret_pages_and_answers_are_never_stored_by_caches
);

async fn language_choice_is_remembered_and_headers_are_set(backend: Backend) {
    let server = TestServer::start(backend).await;
    let b = browser();
    let page = b.get(server.url("/login")).send().await.unwrap();
    let h = page.headers().clone();
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS on plain-http loopback"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"id\">") && html.contains("Kata sandi"));
    for attr in [
        "autocomplete=\"username\"",
        "autocomplete=\"current-password\"",
        "autocomplete=\"one-time-code\"",
    ] {
        assert!(html.contains(attr), "{attr}");
    }

    let en = b
        .get(server.url("/login?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Password"));
    // Remembered without the parameter, and it wins over Accept-Language.
    let again = b
        .get(server.url("/login"))
        .header("accept-language", "id-ID")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("<html lang=\"en\">"));
    // A fresh browser asking for English gets it; unknown pages are a 404 page.
    let res = browser()
        .get(server.url("/nowhere"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));

    // Static files are cached; the script is one the CSP allows ('self', not inline).
    for (path, kind) in [
        ("/static/gerbang.css", "text/css"),
        ("/static/password.js", "text/javascript"),
    ] {
        let res = b.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = |k: &str| res.headers()[k].to_str().unwrap().to_string();
        assert!(h("cache-control").contains("max-age"), "{path}");
        assert!(h("content-type").starts_with(kind), "{path}");
    }
}

async fn health_and_readiness(backend: Backend) {
    let server = TestServer::start(backend).await;
    let http = rp_http();
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let meta: serde_json::Value = http
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], server.base.as_str());
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    let jwks = http.get(server.url("/jwks")).send().await.unwrap();
    assert_eq!(
        jwks.headers().get("content-type").unwrap(),
        "application/jwk-set+json"
    );
    let jwks: serde_json::Value = jwks.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    server.state.store.close().await;
    assert_eq!(
        http.get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503,
        "database gone → not ready"
    );
}

/// Asserts a response forbids storing it, in HTTP/1.1 and HTTP/1.0 words.
fn assert_no_store(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    assert_eq!(
        h.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{what} ({}) must be no-store",
        res.status()
    );
    assert!(
        h.get("pragma").is_none_or(|v| v == "no-cache"),
        "{what}: {:?}",
        h.get("pragma")
    );
}

/// The attack: a shared proxy cache or the browser's back button shows the next person on a
/// kiosk the TOTP secret, the recovery codes, `/account`, the helpdesk console, the audit
/// export or the helpdesk API's personal data. Every such answer says `no-store`.
async fn secret_pages_and_answers_are_never_stored_by_caches(backend: Backend) {
    let server = TestServer::start(backend).await;
    // A person who must enrol: the enrolment page shows the secret, then the recovery codes.
    let (nip, _) = server.add_user_without_device(PASSWORD).await;
    let b = browser();
    let page = get_text(&b, server.url("/login")).await;
    let mut form = login_fields(&server, &page, &nip, PASSWORD).await;
    form.retain(|(k, _)| k != "otp");
    let res = b
        .post(server.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/mfa/enrol");
    let res = b.get(server.url("/mfa/enrol")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "the enrolment page (TOTP secret)");
    let (res, _) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "the recovery codes page");
    let res = b.get(server.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "/account");

    // Staff: the console, the audit export and the JSON API.
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store.grant_role(&staff_id, "helpdesk", "4011").await.unwrap();
    store.grant_role(&staff_id, "admin", "").await.unwrap();
    let staff = browser();
    let page = get_text(&staff, server.url("/login")).await;
    let res = staff
        .post(server.url("/login"))
        .form(&login_fields(&server, &page, &staff_nip, PASSWORD).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = staff.get(server.url("/helpdesk")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "/helpdesk");
    let res = staff
        .get(server.url("/helpdesk/audit?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "the audit CSV");
    let secret = server
        .add_client("bkpsdm-tool", "ES256", &["authorization_code"])
        .await;
    let url = authorize_url(&server, "bkpsdm-tool", "openid helpdesk");
    let res = login_through(&server, &browser(), &url, &staff_nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t = exchange_code(&server, "bkpsdm-tool", &secret, &code).await;
    let res = rp_http()
        .get(server.url(&format!("/api/helpdesk/users/{nip}")))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "/api/helpdesk");
    // Errors and anonymous pages too.
    for path in ["/login", "/reset", "/nowhere"] {
        let res = browser().get(server.url(path)).send().await.unwrap();
        assert_no_store(&res, path);
    }

    // What is public keeps its own caching.
    for path in ["/static/gerbang.css", "/jwks", "/.well-known/openid-configuration"] {
        let res = rp_http().get(server.url(path)).send().await.unwrap();
        let cc = res.headers()["cache-control"].to_str().unwrap();
        assert!(cc.contains("max-age") && !cc.contains("no-store"), "{path}: {cc}");
        assert!(res.headers().get("pragma").is_none(), "{path}");
    }
}
