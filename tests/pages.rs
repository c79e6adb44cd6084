//! Cross-cutting behaviour of every page: language, security headers, assets, health.

mod common;

use common::*;

scenarios!(
    language_choice_is_remembered_and_headers_are_set,
    health_and_readiness
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
