//! Issue 24 item 5: a NUL in an identifier answered 500 on PostgreSQL (`invalid byte sequence
//! for encoding "UTF8": 0x00`) where SQLite answered 4xx. Every route the router serves, with
//! every method and every field it reads, gets control bytes, invalid UTF-8 and very long
//! values in its form fields, query, path parameters, JSON body, Basic credentials, bearer
//! token, cookies and user agent; anonymous, signed in and as staff. No answer may be a 5xx;
//! a control character in a parameter is refused (4xx) and writes nothing; no audit row
//! holds a control character. `ROUTES` is checked against the routes mounted in src/.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use axum::http::HeaderValue;
use base64::Engine;

use super::common::{
    Backend, Browser, CHALLENGE, PASSWORD, POST_LOGOUT, REDIRECT, TestServer, VERIFIER,
    authorize_url, browser, exchange_code, hidden, location, login_through, query_param, scenarios,
};

pub(crate) mod routes;

use routes::{ROUTES, Route};

/// Bytes a value is made of. Control characters first: each must be refused.
const CONTROLS: [&[u8]; 5] = [b"\0", b"nip\0", b"\x01", b"\x1b[2J", b"\x7f"];
/// Not control characters, but what a broken or hostile client sends: invalid UTF-8, an
/// overlong NUL, a very long value. Answered anything but a 5xx.
fn odd_values() -> Vec<Vec<u8>> {
    vec![b"\xff".to_vec(), b"\xc0\x80".to_vec(), vec![b'A'; 5000]]
}

/// Every cookie Gerbang reads.
const COOKIES: [&str; 7] = [
    "gerbang_session",
    "gerbang_csrf",
    "gerbang_device",
    "gerbang_lang",
    "gerbang_ui_locale",
    "gerbang_req",
    "gerbang_pending",
];

fn enc(b: &[u8]) -> String {
    url::form_urlencoded::byte_serialize(b).collect()
}

/// Who sends: a browser (cookies kept) with its CSRF token, and a bearer token if any.
struct Who {
    name: &'static str,
    b: Browser,
    csrf: String,
    bearer: Option<String>,
    /// Whom this browser is signed in as.
    nip: Option<String>,
}

/// The routes that spend the session's proof budget or end the session (the last of
/// `ROUTES`): before each request there, a signed-in run signs in again if it was ended,
/// so every request is sent signed in.
const SPENDING: [&str; 7] = [
    "/helpdesk/step-up",
    "/account/devices/{id}/rename",
    "/account/devices/{id}/remove",
    "/account/password",
    "/account/recovery",
    "/account/sessions/end",
    "/logout",
];

async fn revive(w: &World, who: &mut Who, template: &str) {
    let Some(nip) = who.nip.clone() else {
        return;
    };
    if !SPENDING.contains(&template) || who.b.get("/account").await.status == 200 {
        return;
    }
    let b = w.server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    who.csrf = hidden(&b.get("/account").await.body, "csrf_token");
    who.b = b;
}

struct World {
    server: TestServer,
    vars: BTreeMap<&'static str, String>,
    /// Path parameter values that exist.
    ids: BTreeMap<&'static str, String>,
}

impl World {
    fn value(&self, v: &str) -> String {
        match v.strip_prefix('$') {
            Some(name) => self.vars[name].clone(),
            None => v.to_string(),
        }
    }
}

enum Body {
    None,
    Form(String),
    Json(String),
}

struct Sent {
    what: String,
    status: u16,
}

async fn send(
    w: &World,
    client: &reqwest::Client,
    method: &str,
    path: &str,
    query: &str,
    body: Body,
    headers: &[(&str, HeaderValue)],
) -> u16 {
    let mut url = w.server.url(path);
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let mut req = match method {
        "GET" => client.get(&url),
        _ => client.post(&url),
    };
    for (k, v) in headers {
        req = req.header(*k, v.clone());
    }
    req = match body {
        Body::None => req,
        Body::Form(f) => req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(f),
        Body::Json(j) => req.header("content-type", "application/json").body(j),
    };
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            // Read the whole answer: a handler that fails late fails here.
            let _ = res.bytes().await;
            status
        }
        Err(e) => panic!("{method} {path}: {e}"),
    }
}

/// The route's path with its parameters filled (`fill`: the value, already escaped).
fn path_of(w: &World, template: &str, fill: Option<&str>) -> String {
    let mut p = template.to_string();
    for (name, id) in &w.ids {
        let key = format!("{{{name}}}");
        p = p.replace(&key, fill.unwrap_or(id));
    }
    p
}

/// The request with field `target` set to `value` (raw bytes), the others as plausible.
fn request_with(
    w: &World,
    who: &Who,
    route: &Route,
    target: Option<(&str, &[u8])>,
) -> (String, Body) {
    let (method, path, fields) = route;
    let json = path.starts_with("/api/") && *method == "POST";
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    for (k, v) in fields.iter() {
        let base = if *v == "$csrf" {
            who.csrf.clone()
        } else {
            w.value(v)
        };
        match target {
            Some((t, value)) if t == *k => pairs.push((k.to_string(), value.to_vec())),
            _ if base.is_empty() => {}
            _ => pairs.push((k.to_string(), base.into_bytes())),
        }
    }
    if let Some((t, value)) = target
        && !fields.iter().any(|(k, _)| *k == t)
    {
        pairs.push((t.to_string(), value.to_vec()));
    }
    if json {
        let obj: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned().into()))
            .collect();
        return (
            String::new(),
            Body::Json(serde_json::Value::Object(obj).to_string()),
        );
    }
    let encoded = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k.as_bytes()), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    if *method == "GET" {
        (encoded, Body::None)
    } else {
        (String::new(), Body::Form(encoded))
    }
}

fn bearer(who: &Who) -> Vec<(&'static str, HeaderValue)> {
    who.bearer
        .as_ref()
        .map(|t| vec![("authorization", format!("Bearer {t}").parse().unwrap())])
        .unwrap_or_default()
}

/// Every field (and one the route does not know), the query of a POST, and path
/// parameters, with each value; `control` says whether the values must be refused.
async fn fields_pass(w: &World, who: &mut Who, values: &[Vec<u8>], out: &mut Vec<Sent>) {
    for route in ROUTES {
        let (method, template, fields) = route;
        let auth = bearer(who);
        let mut targets: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        targets.push("x");
        for value in values {
            let path = path_of(w, template, None);
            for t in &targets {
                revive(w, who, template).await;
                let (query, body) = request_with(w, who, route, Some((t, value)));
                let status = send(w, &who.b, method, &path, &query, body, &auth).await;
                out.push(Sent {
                    what: format!("{} {method} {template} {t}={}", who.name, show(value)),
                    status,
                });
            }
            if *method == "POST" {
                revive(w, who, template).await;
                let (query, body) = request_with(w, who, route, None);
                let q = format!("{query}x={}", enc(value));
                let status = send(w, &who.b, method, &path, &q, body, &auth).await;
                out.push(Sent {
                    what: format!("{} {method} {template} ?x={}", who.name, show(value)),
                    status,
                });
            }
            if template.contains('{') {
                let path = path_of(w, template, Some(&enc(value).replace('+', "%20")));
                revive(w, who, template).await;
                let (query, body) = request_with(w, who, route, None);
                let status = send(w, &who.b, method, &path, &query, body, &auth).await;
                out.push(Sent {
                    what: format!("{} {method} {template} path={}", who.name, show(value)),
                    status,
                });
            }
        }
    }
}

fn show(v: &[u8]) -> String {
    if v.len() > 16 {
        format!("<{} bytes>", v.len())
    } else {
        format!("{:?}", String::from_utf8_lossy(v))
    }
}

/// What header values may carry (no NUL or line break: the HTTP layer refuses those) but a
/// decoder may turn into one: escapes, a tab, bytes that are not UTF-8, length.
fn header_values() -> Vec<Vec<u8>> {
    vec![
        b"%00".to_vec(),
        b"a%00b".to_vec(),
        b"x\ty".to_vec(),
        b"\xff\xfe".to_vec(),
        vec![b'A'; 5000],
    ]
}

type Headers = Vec<(&'static str, HeaderValue)>;

/// Basic credentials whose id (or secret) decodes to a control character; bearer tokens,
/// cookies and user agents with what headers can carry. Sent by a fresh browser.
async fn headers_pass(w: &World, out: &mut Vec<Sent>) -> Vec<Sent> {
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let mut basic_refused = Vec::new();
    let mut basics: Vec<Vec<u8>> = CONTROLS
        .iter()
        .map(|c| [c.to_vec(), b":secret".to_vec()].concat())
        .collect();
    basics.push(b"%00:secret".to_vec());
    basics.push(b"rp:%00".to_vec());
    for route in ROUTES {
        let (method, template, fields) = route;
        let path = path_of(w, template, None);
        let oauth = ["/token", "/par", "/introspect", "/revoke"].contains(template);
        let mut sends: Vec<(String, Headers, bool)> = Vec::new();
        for v in &basics {
            let h = HeaderValue::from_str(&format!("Basic {}", b64(v))).unwrap();
            sends.push((
                format!("basic {}", show(v)),
                vec![("authorization", h)],
                oauth,
            ));
        }
        for v in header_values() {
            let h =
                |prefix: &str| HeaderValue::from_bytes(&[prefix.as_bytes(), &v].concat()).unwrap();
            sends.push((
                format!("bearer {}", show(&v)),
                vec![("authorization", h("Bearer "))],
                false,
            ));
            let each: Vec<u8> = COOKIES
                .iter()
                .flat_map(|c| [c.as_bytes(), b"=", &v, b"; "].concat())
                .collect();
            sends.push((
                format!("cookies {}", show(&v)),
                vec![("cookie", HeaderValue::from_bytes(&each).unwrap())],
                false,
            ));
            sends.push((
                format!("user-agent {}", show(&v)),
                vec![("user-agent", HeaderValue::from_bytes(&v).unwrap())],
                false,
            ));
        }
        let fresh = browser();
        for (what, headers, must_refuse) in sends {
            // Basic credentials stand alone: no client_id or secret in the form beside them.
            let body = if *method == "POST" {
                let plain: Vec<String> = fields
                    .iter()
                    .filter(|(k, v)| {
                        !v.is_empty() && !["client_id", "client_secret", "csrf_token"].contains(k)
                    })
                    .map(|(k, v)| format!("{k}={}", enc(w.value(v).as_bytes())))
                    .collect();
                if template.starts_with("/api/") {
                    Body::Json(r#"{"action":"unlock","reason":"ditelepon, dicek"}"#.into())
                } else {
                    Body::Form(plain.join("&"))
                }
            } else {
                Body::None
            };
            let status = send(w, &fresh, method, &path, "", body, &headers).await;
            let sent = Sent {
                what: format!("anonymous {method} {template} {what}"),
                status,
            };
            if must_refuse && what.starts_with("basic") && !(400..500).contains(&status) {
                basic_refused.push(sent);
            } else {
                out.push(sent);
            }
        }
    }
    basic_refused
}

/// Rows per table: what a refused request must leave as it found.
async fn fingerprint(server: &TestServer) -> BTreeMap<String, i64> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&server.state.settings.database_url)
        .await
        .unwrap();
    let list = if server.state.settings.database_url.starts_with("sqlite") {
        "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    } else {
        "SELECT CAST(table_name AS TEXT) AS t FROM information_schema.tables
         WHERE table_schema = current_schema()"
    };
    let tables: Vec<String> = sqlx::query(list)
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("t"))
        .collect();
    let mut counts = BTreeMap::new();
    for t in tables {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {t}"
        )))
        .fetch_one(&pool)
        .await
        .unwrap()
        .get("n");
        counts.insert(t, n);
    }
    // Audit rows: nothing a request carried may leave a control character in one (line
    // breaks in a reason excepted).
    let rows = sqlx::query(
        "SELECT COALESCE(actor, '') AS a, COALESCE(subject, '') AS s, COALESCE(ip, '') AS i,
                COALESCE(user_agent, '') AS u, COALESCE(client_id, '') AS c,
                COALESCE(detail, '') AS d FROM audit_events",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in rows {
        for col in ["a", "s", "i", "u", "c", "d"] {
            let v: String = r.get(col);
            assert!(
                v.chars()
                    .all(|c| !c.is_control() || (col == "d" && matches!(c, '\n' | '\r' | '\t'))),
                "an audit row holds a control character in {col}: {v:?}"
            );
        }
    }
    pool.close().await;
    counts
}

/// An access token for `nip` from the code flow (the staff API wants its `helpdesk` scope).
async fn mint(server: &TestServer, secret: &str, nip: &str, scope: &str) -> String {
    let b = browser();
    let url = authorize_url(server, "rp", scope);
    let res = login_through(server, &b, &url, nip, PASSWORD).await;
    let code = query_param(&location(&res), "code").expect("a code");
    let t = exchange_code(server, "rp", secret, &code).await;
    t["access_token"].as_str().unwrap().to_string()
}

/// A signed-in run starts from a fresh sign-in and a fresh bearer token: the console and
/// the API want a second factor from the last 15 minutes, and signing in again in the runs
/// before (`revive`) moved the test clock on.
async fn refresh(w: &World, who: &mut Who) {
    let Some(nip) = who.nip.clone() else {
        return;
    };
    let b = w.server.browser();
    assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
    who.csrf = hidden(&b.get("/account").await.body, "csrf_token");
    who.b = b;
    let scope = if who.name == "staff" {
        "openid helpdesk"
    } else {
        "openid"
    };
    who.bearer = Some(mint(&w.server, &w.vars["secret"], &nip, scope).await);
}

async fn world(backend: Backend) -> (World, Vec<Who>) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client_with("rp", |c| c.allowed_scopes = vec!["helpdesk".into()])
        .await;
    let (nip, person_id) = server.add_user(Some(PASSWORD)).await;
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store
        .grant_role(&staff_id, "helpdesk", "4011")
        .await
        .unwrap();
    store.grant_role(&staff_id, "admin", "").await.unwrap();
    let device = store.list_totp(&person_id).await.unwrap()[0].id.clone();
    let nobody = TestServer::new_nip();

    // Bearer tokens: one for `token` fields (revoked along the way), and the ones the
    // signed-in runs present (`bearer`).
    let token = mint(&server, &secret, &nip, "openid").await;

    let mut vars = BTreeMap::new();
    vars.insert("client", "rp".to_string());
    vars.insert("secret", secret);
    vars.insert("redirect", REDIRECT.to_string());
    vars.insert("post_logout", POST_LOGOUT.to_string());
    vars.insert("challenge", CHALLENGE.to_string());
    vars.insert("verifier", VERIFIER.to_string());
    vars.insert("nip", nip.clone());
    vars.insert("nobody", nobody);
    vars.insert("password", PASSWORD.to_string());
    vars.insert("token", token);
    let mut ids = BTreeMap::new();
    ids.insert("id", device);
    ids.insert("nip", nip.clone());

    let anonymous = server.browser();
    let page = anonymous.get("/login").await;
    let anon_csrf = hidden(&page.body, "csrf_token");
    let person = server.browser();
    assert_eq!(person.sign_in(&nip, PASSWORD, None).await.status(), 303);
    let person_csrf = hidden(&person.get("/account").await.body, "csrf_token");
    let staff = server.browser();
    assert_eq!(
        staff.sign_in(&staff_nip, PASSWORD, None).await.status(),
        303
    );
    let staff_csrf = hidden(&staff.get("/account").await.body, "csrf_token");
    let whos = vec![
        Who {
            name: "anonymous",
            b: anonymous,
            csrf: anon_csrf,
            bearer: None,
            nip: None,
        },
        Who {
            name: "person",
            b: person,
            csrf: person_csrf,
            bearer: None,
            nip: Some(nip.clone()),
        },
        Who {
            name: "staff",
            b: staff,
            csrf: staff_csrf,
            bearer: None,
            nip: Some(staff_nip.clone()),
        },
    ];
    (World { server, vars, ids }, whos)
}

async fn no_route_answers_5xx_to_control_bytes(backend: Backend) {
    let (w, mut whos) = world(backend).await;
    let started = Instant::now();
    let mut controls = Vec::new();
    let mut wrote = Vec::new();
    let control_values: Vec<Vec<u8>> = CONTROLS.iter().map(|c| c.to_vec()).collect();
    for who in &mut whos {
        refresh(&w, who).await;
        let before = fingerprint(&w.server).await;
        fields_pass(&w, who, &control_values, &mut controls).await;
        let after = fingerprint(&w.server).await;
        if before != after {
            wrote.push(format!("{}: {before:?} -> {after:?}", who.name));
        }
    }
    let mut others = Vec::new();
    for who in &mut whos {
        refresh(&w, who).await;
        fields_pass(&w, who, &odd_values(), &mut others).await;
    }
    let basic_not_refused = headers_pass(&w, &mut others).await;
    fingerprint(&w.server).await;
    let sent = controls.len() + others.len() + basic_not_refused.len();
    eprintln!(
        "fuzz_input {backend:?}: {sent} requests in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let fmt = |v: Vec<&Sent>| {
        v.iter()
            .map(|s| format!("{} -> {}", s.what, s.status))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let failed: Vec<&Sent> = controls
        .iter()
        .chain(&others)
        .chain(&basic_not_refused)
        .filter(|s| s.status >= 500)
        .collect();
    let failed_routes: BTreeSet<String> = failed
        .iter()
        .map(|s| s.what.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        failed.is_empty(),
        "{} answers were 5xx, on {:?}:\n{}",
        failed.len(),
        failed_routes,
        fmt(failed.clone())
    );
    let unrefused: Vec<&Sent> = controls
        .iter()
        .filter(|s| !(400..500).contains(&s.status))
        .collect();
    assert!(
        unrefused.is_empty(),
        "control characters not refused:\n{}",
        fmt(unrefused)
    );
    assert!(
        basic_not_refused.is_empty(),
        "Basic credentials with control characters not refused:\n{}",
        fmt(basic_not_refused.iter().collect())
    );
    assert!(
        wrote.is_empty(),
        "refused requests wrote rows:\n{}",
        wrote.join("\n")
    );
}

/// What the issue's drill sent, answered in each endpoint's own words: RFC 6749 JSON at the
/// OAuth endpoints (`invalid_client` for Basic credentials), the staff API's JSON, and the
/// error page in the person's language, Bahasa Indonesia unless they chose English.
async fn control_characters_are_refused_in_each_endpoints_words(backend: Backend) {
    let (w, mut whos) = world(backend).await;
    let server = &w.server;
    let http = browser();
    for path in ["/token", "/par", "/introspect", "/revoke"] {
        let res = http
            .post(server.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("client_id=%00")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}: {body}");

        // axum reads a form under any type that starts like one: so does the gate.
        let res = http
            .post(server.url(path))
            .header("content-type", "application/x-www-form-urlencodedx")
            .body("client_id=%00")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path}");

        let basic = base64::engine::general_purpose::STANDARD.encode("rp\0:secret");
        let res = http
            .post(server.url(path))
            .header("authorization", format!("Basic {basic}"))
            .form(&[("token", "t"), ("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{path}: {body}");
    }
    let page = http
        .get(server.url("/authorize?client_id=%00&response_type=code"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("karakter kontrol"));
    let page = http
        .get(server.url("/authorize?client_id=%00&lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("control character"));

    // As staff: the console's NIP and audit filters, and the API.
    let mut staff = whos.pop().unwrap();
    refresh(&w, &mut staff).await;
    let res = staff
        .b
        .post(server.url("/helpdesk/action"))
        .form(&[
            ("csrf_token", staff.csrf.as_str()),
            ("nip", "\0"),
            ("action", "unlock"),
            ("reason", "ditelepon, dicek"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("karakter kontrol"));
    let page = staff.b.get("/helpdesk/audit?actor=%00&lang=en").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("control character"), "{}", page.body);
    let nip = &w.vars["nip"];
    let res = http
        .post(server.url(&format!("/api/helpdesk/users/{nip}/actions")))
        .bearer_auth(staff.bearer.as_deref().unwrap())
        .json(&serde_json::json!({"action": "unlock", "reason": "nul\u{0} here"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    // A reason may break lines: that request goes through to the action's own rules.
    let res = http
        .post(server.url(&format!("/api/helpdesk/users/{nip}/actions")))
        .bearer_auth(staff.bearer.as_deref().unwrap())
        .json(&serde_json::json!({"action": "unlock", "reason": "ditelepon,\r\ndicek"}))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 400, "{}", res.text().await.unwrap());
}

scenarios!(
    no_route_answers_5xx_to_control_bytes,
    control_characters_are_refused_in_each_endpoints_words
);

/// The route list cannot fall behind the router: every path a `.route(` mounts in src/
/// (and every static asset) is in `ROUTES`, and nothing else is.
#[test]
fn the_fuzzed_routes_are_every_mounted_route() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut mounted = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let src = std::fs::read_to_string(&p).unwrap();
            for (i, _) in src.match_indices(".route(") {
                let rest = src[i + 7..].trim_start();
                if let Some(lit) = rest.strip_prefix('"') {
                    mounted.insert(lit[..lit.find('"').unwrap()].to_string());
                }
            }
            if p.ends_with("web/assets.rs") {
                for (i, _) in src.match_indices("\"/static/") {
                    let lit = &src[i + 1..];
                    mounted.insert(lit[..lit.find('"').unwrap()].to_string());
                }
            }
        }
    }
    let listed: BTreeSet<String> = ROUTES.iter().map(|(_, p, _)| p.to_string()).collect();
    assert!(
        mounted.len() > 40,
        "the reader found the routes: {mounted:?}"
    );
    assert_eq!(
        mounted.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "mounted but not fuzzed"
    );
    assert_eq!(
        listed.difference(&mounted).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "fuzzed but not mounted"
    );
}
