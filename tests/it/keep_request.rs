//! Issue 25 item 4 (and two of item 6): every link and form on the sign-in pages keeps the
//! service being signed in to; "start over" on the code step comes back to the form with
//! the service, the NIP and, when that NIP needs one, the captcha at once (the same for a
//! NIP without an account); the code step names the service; signing in from `/helpdesk`
//! lands on the console, and no forged destination leads anywhere but Gerbang's own pages.

use crate::common::*;
use reqwest::StatusCode;

scenarios!(
    every_link_and_form_on_the_sign_in_pages_keeps_the_service,
    start_over_keeps_the_service_and_shows_the_captcha_at_once,
    start_over_looks_the_same_for_a_nip_without_an_account,
    signing_in_from_the_helpdesk_lands_on_the_console,
    a_forged_destination_never_leads_outside,
);

const WRONG: &str = "Salah#Sandi2026";

/// A service sends browser `b` to Gerbang; returns the login form's address and the
/// sign-in request's id.
pub(crate) async fn start_at_service(server: &TestServer, b: &Browser) -> (String, String) {
    let res = b
        .http()
        .get(authorize_url(server, "myasn", "openid"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = location(&res);
    let req = query_param(&server.url(&login), "req").expect("a request id");
    (login, req)
}

/// Every address of Gerbang's a page links to (`href`s, the language switch's relative one
/// included; entities decoded), without its stylesheet.
fn internal_links(page: &str) -> Vec<String> {
    let marker = " href=\"";
    let mut out = Vec::new();
    for (i, _) in page.match_indices(marker) {
        let start = i + marker.len();
        let v = page[start..start + page[start..].find('"').unwrap()]
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        let ours = (v.starts_with('/') && !v.starts_with("//")) || v.starts_with('?');
        if ours && !v.starts_with("/static/") {
            out.push(v);
        }
    }
    out
}

/// Each form of `page`: its action and its hidden `req` (if any).
fn forms(page: &str) -> Vec<(String, Option<String>)> {
    page.split("<form")
        .skip(1)
        .map(|f| {
            let f = &f[..f.find("</form>").unwrap_or(f.len())];
            let open = &f[..f.find('>').unwrap()];
            let action = open
                .split(" action=\"")
                .nth(1)
                .map_or(String::new(), |a| a[..a.find('"').unwrap()].to_string());
            let req = f.find("name=\"req\" value=\"").map(|i| {
                let v = &f[i + 18..];
                v[..v.find('"').unwrap()].to_string()
            });
            (action, req)
        })
        .collect()
}

/// Asserts that every internal link of `page` carries request `req` in its address, and
/// every form in a hidden `req` field. Two exceptions, both holding the request on the
/// server: the locked page's own address is sealed (`s=…`, with the request inside; its
/// switch is checked where it is opened), and the code step's form posts to the pending
/// login, which holds the request (the journeys below end at the service through it).
fn assert_all_keep(page: &str, req: &str, what: &str) {
    let links = internal_links(page);
    assert!(!links.is_empty(), "{what}: no links at all:\n{page}");
    for t in &links {
        let query = t.split_once('?').map_or("", |(_, q)| q);
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if t.starts_with("/login/locked?") && pairs.iter().any(|(k, _)| k == "s") {
            continue;
        }
        assert!(
            pairs.iter().any(|(k, v)| k == "req" && v == req),
            "{what}: {t} drops the service:\n{page}"
        );
    }
    for (action, form_req) in forms(page) {
        if action == "/login/otp" {
            continue;
        }
        assert_eq!(
            form_req.as_deref(),
            Some(req),
            "{what}: the form {action} drops the service:\n{page}"
        );
    }
}

/// The `href` of the element with `id`, entities decoded.
pub(crate) fn href_of(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id}:\n{page}"));
    let tag_start = page[..at].rfind('<').unwrap();
    let tag = &page[tag_start..tag_start + page[tag_start..].find('>').unwrap()];
    let start = tag.find(" href=\"").unwrap() + 7;
    tag[start..start + tag[start..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The words that name the service on a page (as the login form names it).
fn names_service(page: &str) -> bool {
    page.contains("untuk melanjutkan ke <strong>Layanan myasn</strong>")
}

/// (a) + (c): the login form, the form again after an error, the code step, the locked
/// page and the reset pages reached from them: every internal link and form action keeps
/// the request, and the code step names the service.
async fn every_link_and_form_on_the_sign_in_pages_keeps_the_service(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = server.browser();
    let (login, req) = start_at_service(&server, &b).await;

    let form = b.get(&login).await;
    assert!(names_service(&form.body), "{}", form.body);
    assert_all_keep(&form.body, &req, "the login form");

    // The form again after an error (a malformed NIP).
    let res = b
        .post_login(&form, &[("nip", "12ab"), ("password", WRONG)])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let again = res.text().await.unwrap();
    assert!(names_service(&again), "{again}");
    assert_all_keep(&again, &req, "the login form after an error");

    // The code step (a wrong password with the code left empty): names the service.
    let res = b
        .post_login(&form, &[("nip", &nip), ("password", WRONG)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let otp = res.text().await.unwrap();
    assert!(otp.contains("id=\"start-over\""), "{otp}");
    assert!(
        names_service(&otp),
        "the code step names the service: {otp}"
    );
    assert_all_keep(&otp, &req, "the code step");
    // Its language switch shows it again (`/login/otp`), still for the service.
    let step = b.get(&switch_href(&otp)).await;
    assert!(
        step.body
            .contains("to continue to <strong>Layanan myasn</strong>"),
        "{}",
        step.body
    );
    assert_all_keep(&step.body, &req, "the code step again");

    // The reset pages the login form leads to.
    let reset = b.get(&href_of(&form.body, "forgot")).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_all_keep(&reset.body, &req, "the reset form");
    let confirm = b.get(&format!("/reset/confirm?req={req}")).await;
    assert_all_keep(&confirm.body, &req, "the reset confirmation form");

    // The locked page (five wrong passwords with a code).
    let mut last = String::new();
    for _ in 0..5 {
        let form = b.get(&login).await;
        let res = b
            .post_login(
                &form,
                &[("nip", &nip), ("password", WRONG), ("otp", "123456")],
            )
            .await;
        last = res.text().await.unwrap();
    }
    assert!(last.contains("id=\"locked\""), "{last}");
    assert_all_keep(&last, &req, "the locked page");
}

/// (b): someone without an authenticator types a wrong password, lands on the code step,
/// follows "start over": the form names the service, has the NIP and shows the captcha that
/// NIP now needs, and one submit with the right password and the captcha goes on to the
/// enrolment and then to the service.
async fn start_over_keeps_the_service_and_shows_the_captcha_at_once(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 1).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (nip, _) = server.add_user_without_device(PASSWORD).await;
    let b = server.browser();
    let (login, req) = start_at_service(&server, &b).await;
    let form = b.get(&login).await;
    assert!(!form.body.contains("name=\"captcha_id\""), "{}", form.body);
    let res = b
        .post_login(&form, &[("nip", &nip), ("password", WRONG)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let otp = res.text().await.unwrap();
    assert!(names_service(&otp), "{otp}");

    let again = b.get(&href_of(&otp, "start-over")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        names_service(&again.body),
        "the service is kept: {}",
        again.body
    );
    assert_eq!(hidden(&again.body, "req"), req);
    assert!(
        again.body.contains(&format!("value=\"{nip}\"")),
        "the NIP is kept"
    );
    assert!(
        again.body.contains("name=\"captcha_id\""),
        "the captcha the NIP needs is shown at once: {}",
        again.body
    );
    let res = b
        .post_login(&again, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "accepted at the first submit"
    );
    assert_eq!(location(&res), "/mfa/enrol");
    let (res, _) = enrol(&server, &b, "HP Pribadi").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = b
        .http()
        .get(server.url("/mfa/continue"))
        .send()
        .await
        .unwrap();
    let to = location(&res);
    assert!(to.starts_with(REDIRECT), "on to the service: {to}");
    assert!(query_param(&to, "code").is_some(), "{to}");
}

/// `page` without what differs between any two renderings (the CSRF token, the captcha's
/// id, the request's id, the NIP typed): what is left must be the same.
fn shape(page: &str, nip: &str, req: &str) -> String {
    let mut page = page.replace(nip, "NIP").replace(req, "REQ");
    if page.contains("name=\"captcha_id\"") {
        page = page.replace(&hidden(&page, "captcha_id"), "CAPTCHA");
    }
    page.lines()
        .filter(|l| !l.contains("csrf_token"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The start-over form after one wrong password shows the captcha (or not) by the NIP's
/// failures alone: for a NIP without an account it is the same page as for a real one.
async fn start_over_looks_the_same_for_a_nip_without_an_account(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 1).await;
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let (real, _) = server.add_user_without_device(PASSWORD).await;
    // Fresh, so no other test's failures (the Redis cache is shared) count for it.
    let unknown = TestServer::new_nip();
    assert!(
        server
            .state
            .store
            .find_user_by_nip(&unknown)
            .await
            .unwrap()
            .is_none()
    );
    let mut shapes = Vec::new();
    for nip in [&real, &unknown] {
        let b = server.browser();
        let (login, req) = start_at_service(&server, &b).await;
        let form = b.get(&login).await;
        let res = b
            .post_login(&form, &[("nip", nip), ("password", WRONG)])
            .await;
        let otp = res.text().await.unwrap();
        let again = b.get(&href_of(&otp, "start-over")).await;
        assert!(again.body.contains("name=\"captcha_id\""), "{}", again.body);
        shapes.push(shape(&again.body, nip, &req));
    }
    assert_eq!(shapes[0], shapes[1]);
}

/// A helpdesk officer signed in with MFA, for `server`; returns the NIP.
async fn officer(server: &TestServer) -> String {
    let (nip, id) = server.add_user(Some(PASSWORD)).await;
    let store = &server.state.store;
    store.upsert_instansi("4011", "BKN").await.unwrap();
    store.grant_role(&id, "helpdesk", "4011").await.unwrap();
    nip
}

/// (d): `/helpdesk` without a session sends to the sign-in form, which returns to the
/// console, in one step (code on the form) or two (the code step), and so does the link the
/// console offers after its session ended.
async fn signing_in_from_the_helpdesk_lands_on_the_console(backend: Backend) {
    let server = TestServer::start(backend).await;
    let nip = officer(&server).await;

    let b = server.browser();
    let res = b.http().get(server.url("/helpdesk")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = location(&res);
    assert_eq!(login, "/login?req=helpdesk");
    let form = b.get(&login).await;
    assert_all_keep(&form.body, "helpdesk", "the login form for the console");
    let res = b
        .post_login(
            &form,
            &[
                ("nip", &nip),
                ("password", PASSWORD),
                ("otp", &server.otp(&nip)),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/helpdesk");
    let console = b.get("/helpdesk").await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.body);

    // Two steps: the code on the second one.
    let b = server.browser();
    let form = b.get("/login?req=helpdesk").await;
    let res = b
        .post_login(&form, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    let step = Page {
        status: res.status(),
        url: server.url("/login"),
        body: res.text().await.unwrap(),
    };
    assert_all_keep(&step.body, "helpdesk", "the code step for the console");
    let res = b
        .submit(&step, "/login/otp", &[("otp", &server.otp(&nip))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/helpdesk");
}

/// A `req` that is neither a live request nor one of Gerbang's fixed places is dropped: a
/// sign-in with it lands on the launcher, never on an address taken from it.
async fn a_forged_destination_never_leads_outside(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    for forged in [
        "https://evil.example/",
        "//evil.example/helpdesk",
        "/helpdesk",
        "/\\evil.example",
        "Helpdesk",
    ] {
        let enc: String = url::form_urlencoded::byte_serialize(forged.as_bytes()).collect();
        let b = server.browser();
        let form = b.get(&format!("/login?req={enc}")).await;
        assert_eq!(hidden(&form.body, "req"), "", "dropped: {forged}");
        // Posted by hand, past the form.
        let res = b
            .submit(
                &form,
                "/login",
                &[
                    ("nip", &nip),
                    ("password", PASSWORD),
                    ("otp", &server.otp(&nip)),
                    ("req", forged),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/", "{forged}");
    }
}
