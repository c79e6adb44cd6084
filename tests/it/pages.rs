//! Cross-cutting behaviour of every page: language, security headers, assets, health.

use crate::common::*;

scenarios!(
    language_choice_is_remembered_and_headers_are_set,
    health_and_readiness,
    secret_pages_and_answers_are_never_stored_by_caches,
    anonymous_page_floods_are_limited_and_leave_bounded_memory
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

    let en = get_text(&b, server.url("/login?lang=en")).await;
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
    let b = server.browser();
    let page = b.get("/login").await;
    let res = b
        .post_login(&page, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/mfa/enrol");
    let res = b.http().get(server.url("/mfa/enrol")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "the enrolment page (TOTP secret)");
    let (res, _) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "the recovery codes page");
    let res = b.http().get(server.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "/account");

    // Staff: the console, the audit export and the JSON API.
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    store.grant_role(&staff_id, "admin", "").await.unwrap();
    let staff = server.browser();
    let res = staff.sign_in(&staff_nip, PASSWORD, None).await;
    assert_eq!(res.status(), 303);
    let res = staff
        .http()
        .get(server.url("/helpdesk"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "/helpdesk");
    let res = staff
        .http()
        .get(server.url("/helpdesk/audit?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "the audit CSV");
    // A client the operator marked for the staff scope.
    let secret = server
        .add_client_with("bkpsdm-tool", |c| {
            c.allowed_scopes = vec!["helpdesk".into()]
        })
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
    for path in [
        "/static/gerbang.css",
        "/jwks",
        "/.well-known/openid-configuration",
    ] {
        let res = rp_http().get(server.url(path)).send().await.unwrap();
        let cc = res.headers()["cache-control"].to_str().unwrap();
        assert!(
            cc.contains("max-age") && !cc.contains("no-store"),
            "{path}: {cc}"
        );
        assert!(res.headers().get("pragma").is_none(), "{path}");
    }
}

/// Memory without logging in: every `GET /reset` draws a captcha and leaves it in the cache
/// for minutes. One IP loading the page over and over is told to slow down (429), what each
/// view leaves is small, and the in-process cache stays within its bound without dropping
/// anyone's session.
async fn anonymous_page_floods_are_limited_and_leave_bounded_memory(backend: Backend) {
    // The per-IP page limit, as in production (tests switch limits off by default).
    let server = TestServer::start_with(backend, |c| {
        c.rate_limit.enabled = true;
        c.rate_limit.page_burst = 10;
        c.rate_limit.page_replenish_ms = 60_000;
    })
    .await;
    let b = browser();
    let mut limited = 0;
    for _ in 0..40 {
        let res = b.get(server.url("/reset")).send().await.unwrap();
        match res.status().as_u16() {
            200 => {}
            429 => limited += 1,
            other => panic!("GET /reset answered {other}"),
        }
    }
    assert!(
        limited >= 29,
        "only {limited} of 40 page loads were limited"
    );
    // `/authorize` stores a pending request per view: the same kind of per-IP bound.
    server
        .add_client("dms", "ES256", &["authorization_code"])
        .await;
    let url = authorize_url(&server, "dms", "openid");
    let mut limited = 0;
    for _ in 0..40 {
        let res = b.get(&url).send().await.unwrap();
        match res.status().as_u16() {
            303 => {}
            429 => limited += 1,
            other => panic!("GET /authorize answered {other}"),
        }
    }
    assert!(
        limited >= 29,
        "only {limited} of 40 authorizations were limited"
    );
    // A POSTed authorization request stores the same pending request: the same bucket.
    let params: Vec<(String, String)> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut limited = 0;
    for _ in 0..40 {
        let res = b
            .post(server.url("/authorize"))
            .form(&params)
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            limited += 1;
        }
    }
    assert!(
        limited >= 29,
        "only {limited} of 40 POSTed authorizations were limited"
    );

    // Without the limit (many IPs behind a proxy, or a botnet): a small, bounded cache.
    let cap = 256;
    let server = TestServer::start_with(backend, |c| c.memory_cache_max_entries = cap).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let person = server.browser();
    let res = person.sign_in(&nip, PASSWORD, None).await;
    assert_eq!(res.status(), 303);
    let flood = browser();
    let mut last = String::new();
    for _ in 0..1500 {
        last = get_text(&flood, server.url("/reset")).await;
    }
    let id = hidden(&last, "captcha_id");
    let raw = server
        .state
        .cache
        .raw_get(&gerbang::cache::key::<gerbang::web::captcha::CaptchaEntry>(
            &id,
        ))
        .await
        .unwrap()
        .expect("the newest captcha is kept");
    assert!(
        raw.len() < 100,
        "a captcha is stored as its answer only: {raw}"
    );
    if let Some(n) = server.state.cache.entries() {
        // Slack for the shard rounding and for entries that must be kept.
        assert!(n <= cap + 64, "the in-process cache grew to {n} entries");
    }
    // The image is drawn on request, and the captcha still works.
    let img = rp_http()
        .get(server.url(&format!("/captcha/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
    assert!(img.bytes().await.unwrap().starts_with(b"\x89PNG"));
    // A reload or two draws it again; a stream of fresh noise to average away does not.
    let mut draws = Vec::new();
    for _ in 0..3 {
        let res = rp_http()
            .get(server.url(&format!("/captcha/{id}")))
            .send()
            .await
            .unwrap();
        draws.push(res.status().as_u16());
    }
    assert_eq!(
        draws,
        vec![200, 200, 404],
        "at most three drawings per captcha"
    );
    // The person who signed in before the flood is still signed in.
    let res = person
        .http()
        .get(server.url("/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the flood evicted a session");
}

/// The CSRF cookie is rotated at sign-in: a token obtained before the login (a value an
/// attacker planted or read on a shared computer) no longer passes on any form after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_token_from_before_sign_in_is_worthless_after_it() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let page = b.get("/login").await;
    let before = hidden(&page.body, "csrf_token");
    let res = b
        .post_login(
            &page,
            &[
                ("nip", &nip),
                ("password", PASSWORD),
                ("otp", &server.otp(&nip)),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = b
        .post(server.url("/logout"))
        .form(&[("csrf_token", before.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "the pre-login CSRF token still works");
    assert_eq!(
        b.http()
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let page = b.get("/logout").await.body;
    let res = b
        .post(server.url("/logout"))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// The raw HTML between `<title>` and `</title>` (the first), as the browser reads it.
pub(crate) fn raw_title(html: &str) -> &str {
    let start = html.find("<title>").map(|i| i + "<title>".len());
    let start = start.unwrap_or_else(|| panic!("a page without a <title>:\n{html}"));
    let end = html[start..].find("</title>").expect("a closed <title>");
    &html[start..start + end]
}

/// A tab's title is text: a tag in it (a script, say) shows as text in every tab and
/// bookmark, and the browser never runs it. Not empty, and it names the application.
pub(crate) fn assert_title_is_text(html: &str, what: &str) {
    let title = raw_title(html);
    assert!(
        !title.contains('<') && !title.contains('>'),
        "{what}: the <title> holds markup: {title:?}"
    );
    let (page, app) = title.rsplit_once(" · ").unwrap_or(("", title));
    assert!(
        !page.trim().is_empty() && app.trim() == "Gerbang ASN",
        "{what}: the <title> names the page and the application: {title:?}"
    );
}

/// The `{% block name %}…{% endblock %}`s of a template, outermost first, with their bodies.
fn blocks(src: &str) -> Vec<(String, String)> {
    let tag = |s: &str| -> Option<(usize, usize, String)> {
        let i = s.find("{%")?;
        let j = i + s[i..].find("%}")? + 2;
        let inner = s[i + 2..j - 2].trim_matches(|c: char| c == '-' || c == '+' || c == '~');
        Some((i, j, inner.trim().to_string()))
    };
    let mut out = Vec::new();
    // (name, where its body starts) of the blocks open at this point.
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut at = 0;
    while let Some((i, j, inner)) = tag(&src[at..]) {
        let (i, j) = (at + i, at + j);
        if let Some(name) = inner.strip_prefix("block ") {
            open.push((name.trim().to_string(), j));
        } else if inner.starts_with("endblock") {
            let (name, body) = open.pop().expect("an endblock closes a block");
            out.push((name, src[body..i].to_string()));
        }
        at = j;
    }
    assert!(open.is_empty(), "every block is closed: {open:?}");
    out
}

/// Issue 25 item 7: `reset.html` put its script inside the `title` block, and every new
/// person's first tab read "Aktivasi akun / lupa kata sandi<script…". A block holds what its
/// name says: `title` is text (no tag, nothing but words and `{{ … }}`), `main_class` is
/// class names; a script sits in `content`, after what it works on. A child template fills
/// only blocks `base.html` has (askama drops any other silently) and writes nothing outside
/// them.
#[test]
fn every_template_block_holds_what_its_name_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let base = std::fs::read_to_string(dir.join("base.html")).unwrap();
    let offered: Vec<String> = blocks(&base).into_iter().map(|(n, _)| n).collect();
    assert!(
        offered.contains(&"title".to_string()) && offered.contains(&"content".to_string()),
        "{offered:?}"
    );
    // The base's own title block sits inside <title>, and is text there too.
    assert!(raw_title(&base).contains("{% block title %}{% endblock %}"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(&path).unwrap();
        if name == "base.html" || !src.contains("{% extends \"base.html\" %}") {
            continue;
        }
        seen += 1;
        let filled = blocks(&src);
        for (block, body) in &filled {
            assert!(
                offered.contains(block),
                "{name}: block `{block}` is not in base.html, so it is never shown"
            );
            match block.as_str() {
                "title" => {
                    assert!(
                        !body.contains('<') && !body.contains('>') && !body.contains('\n'),
                        "{name}: the title block is one line of text: {body:?}"
                    );
                    assert!(!body.trim().is_empty(), "{name}: a title");
                }
                "main_class" => assert!(
                    body.chars()
                        .all(|c| c.is_ascii_alphanumeric() || " -_".contains(c)),
                    "{name}: main_class holds class names: {body:?}"
                ),
                _ => {}
            }
            if block != "content" {
                assert!(
                    !body.contains("<script"),
                    "{name}: a script in block `{block}`: scripts go in content"
                );
            }
        }
        // Outside its blocks a child template has only `{% extends %}` and comments.
        let mut rest = src.clone();
        let mut bodies: Vec<&String> = filled.iter().map(|(_, b)| b).collect();
        // Outer blocks first: an inner one goes with its outer one.
        bodies.sort_by_key(|b| std::cmp::Reverse(b.len()));
        for body in bodies {
            rest = rest.replacen(body.as_str(), "", 1);
        }
        assert!(
            !rest.contains('<'),
            "{name}: markup outside a block is never shown: {rest:?}"
        );
    }
    assert!(seen >= 15, "the templates were read ({seen})");
}

/// Issue 25 item 7, on the served pages: every page a GET route answers (each route of the
/// router, via `fuzz_input`'s list, which is checked against src/), anonymous, signed in and
/// as an administrator, has a `<title>` of plain text. The pages that only answer a POST are
/// checked by `lang_switch::` as it walks them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_title_is_plain_text() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let (staff, staff_id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .grant_role(&staff_id, "admin", "")
        .await
        .unwrap();
    let person = server.browser();
    assert_eq!(person.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let admin = server.browser();
    assert_eq!(admin.sign_in(&staff, PASSWORD, None).await.status(), 303);
    let mut pages = 0;
    for (who, b) in [
        ("anonymous", server.browser()),
        ("person", person),
        ("admin", admin),
    ] {
        for (method, route, _) in crate::fuzz_input::routes::ROUTES {
            if *method != "GET" {
                continue;
            }
            let path = route.replace("{nip}", &nip).replace("{id}", "x");
            for lang in ["id", "en"] {
                let url = format!("{path}?lang={lang}");
                let res = b.http().get(server.url(&url)).send().await.unwrap();
                let html = res
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
                let status = res.status();
                let body = res.text().await.unwrap();
                if !html || !body.contains("<html") {
                    continue;
                }
                assert_title_is_text(&body, &format!("{who} GET {url} ({status})"));
                pages += 1;
            }
        }
    }
    assert!(pages >= 30, "pages were checked ({pages})");
}

/// A form's address opened in a browser (a restored tab, Enter in the address bar after a
/// form's answer): a page in the person's language, with the header, the language switch
/// and a way back, not a blank 405; the 405 and its `Allow` stay. A client that does not
/// ask for HTML keeps the bare answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_address_opened_in_a_browser_is_a_page_not_a_blank_405() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let routes = crate::fuzz_input::routes::ROUTES;
    let post_only: Vec<&str> = routes
        .iter()
        .filter(|(m, r, _)| {
            *m == "POST" && !routes.iter().any(|(m2, r2, _)| *m2 == "GET" && r2 == r)
        })
        .map(|(_, r, _)| *r)
        .filter(|r| !r.starts_with("/api/"))
        .collect();
    assert!(post_only.contains(&"/account/password"), "{post_only:?}");
    let accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for route in &post_only {
        let path = route.replace("{nip}", &nip).replace("{id}", "x");
        for (lang, words) in [
            ("id", "hanya menerima kiriman formulir"),
            ("en", "only receives a form"),
        ] {
            let res = b
                .http()
                .get(server.url(&format!("{path}?lang={lang}")))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 405, "GET {path}");
            assert!(
                res.headers()
                    .get("allow")
                    .is_some_and(|v| v.to_str().unwrap().contains("POST")),
                "GET {path}: {:?}",
                res.headers()
            );
            let body = res.text().await.unwrap();
            assert!(
                body.contains(&format!("<html lang=\"{lang}\"")),
                "{path}: {body}"
            );
            assert!(body.contains(words), "{path}: {body}");
            assert!(body.contains("class=\"lang\""), "{path}: {body}");
            assert!(body.contains("<a href=\"/\">"), "{path}: {body}");
            assert_title_is_text(&body, &format!("GET {path}"));
        }
    }
    // An API client's GET of the token endpoint: the bare 405, no page.
    let res = rp_http()
        .get(server.url("/token"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert!(!res.text().await.unwrap().contains("<html"));
}
