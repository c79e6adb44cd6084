//! Issue 25 item 2: after an error on `/account` or in the helpdesk console, the language
//! switch linked to the form's POST-only address (`/account/password?lang=en`) and the
//! browser showed a 405. The rule (`web::lang_switch`): the switch of a page answering a
//! POST points at the GET page the form belongs to. Here every POST route of the router
//! that answers with a page is walked (its own error, and a stale form that fails its CSRF
//! check), in both languages, and its switch is followed: a GET that answers in the other
//! language, 200 for a form's page, never a 405; the service a sign-in is for, and the
//! person the console shows, are kept through it. `WALKED` and `NO_PAGE` together are the
//! router's POST routes (`fuzz_input`'s list, itself checked against src/).

use std::collections::BTreeSet;

use crate::common::*;
use crate::pages::assert_title_is_text;
use reqwest::StatusCode;

/// POST routes that answer services and tools with JSON or a redirect, never a page.
const NO_PAGE: [&str; 6] = [
    "/token",
    "/par",
    "/userinfo",
    "/introspect",
    "/revoke",
    "/api/helpdesk/users/{nip}/actions",
];

/// POST routes that answer with a page, each walked by `every_page_answering_a_post_switches_to_a_get_page`.
const WALKED: [&str; 17] = [
    "/authorize",
    "/logout",
    "/login",
    "/login/otp",
    "/not-me",
    "/consent",
    "/reset",
    "/reset/confirm",
    "/mfa/enrol",
    "/account/devices/{id}/rename",
    "/account/devices/{id}/remove",
    "/account/password",
    "/account/recovery",
    "/account/sessions/end",
    "/account/consents/revoke",
    "/helpdesk/step-up",
    "/helpdesk/action",
];

#[test]
fn every_post_route_is_walked_or_answers_no_page() {
    let posts: BTreeSet<&str> = crate::fuzz_input::routes::ROUTES
        .iter()
        .filter(|(m, _, _)| *m == "POST")
        .map(|(_, p, _)| *p)
        .collect();
    let known: BTreeSet<&str> = NO_PAGE.iter().chain(WALKED.iter()).copied().collect();
    assert_eq!(
        posts.difference(&known).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "a POST route neither walked nor known to answer without a page"
    );
    assert_eq!(
        known.difference(&posts).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "listed here but not mounted"
    );
}

fn other(lang: &str) -> &'static str {
    if lang == "en" { "id" } else { "en" }
}

/// Makes `lang` the browser's remembered language, as a person's earlier choice does.
async fn speak(b: &Browser, lang: &str) {
    let res = b.get(&format!("/healthz?lang={lang}")).await;
    assert_eq!(res.status, 200);
}

/// The language switch's target in `html`, resolved against the address the page came
/// from (for a POST's answer, the address posted to, as a browser resolves it).
fn switch_target(html: &str, from: &reqwest::Url) -> reqwest::Url {
    let mark = "<a class=\"lang\" href=\"";
    let start = html
        .find(mark)
        .unwrap_or_else(|| panic!("a language switch on:\n{html}"))
        + mark.len();
    let href = &html[start..start + html[start..].find('"').unwrap()];
    from.join(&href.replace("&amp;", "&")).unwrap()
}

/// What following a switch led to.
struct Switched {
    url: reqwest::Url,
    body: String,
}

/// The answer `res` to a POST on `route` (in `lang`): a page in `lang`, whose switch leads by
/// GET to a page in the other language, answering 200 when `form` (a form's own page: the
/// form re-shown, the page it belongs to), and at any rate neither a 405 nor a 5xx nor empty.
async fn follow(
    b: &Browser,
    route: &'static str,
    res: reqwest::Response,
    lang: &str,
    form: bool,
    walked: &mut BTreeSet<&'static str>,
) -> Switched {
    let posted = res.url().clone();
    let status = res.status();
    let body = res.text().await.unwrap();
    let what = format!("POST {route} ({status}, {lang})");
    assert!(
        body.contains(&format!("<html lang=\"{lang}\">")),
        "{what}: a page in {lang}:\n{body}"
    );
    assert_title_is_text(&body, &what);
    let mut url = switch_target(&body, &posted);
    let mut res = b.http().get(url.clone()).send().await.unwrap();
    // A browser follows redirects (a refusal's switch may lead to the sign-in); a form's
    // switch shows its page at once.
    for _ in 0..5 {
        if form || !res.status().is_redirection() {
            break;
        }
        url = url.join(&location(&res)).unwrap();
        res = b.http().get(url.clone()).send().await.unwrap();
    }
    let got = res.status();
    let page = res.text().await.unwrap();
    assert!(
        got != 405 && !got.is_server_error(),
        "{what}: its switch {url} answers {got}"
    );
    if form {
        assert_eq!(got, 200, "{what}: its switch {url} answers 200:\n{page}");
    }
    let to = other(lang);
    assert!(
        page.contains(&format!("<html lang=\"{to}\">")) && page.contains("</main>"),
        "{what}: its switch {url} shows a page in {to}:\n{page}"
    );
    assert_title_is_text(&page, &format!("{what} → {url}"));
    walked.insert(route);
    Switched { url, body: page }
}

/// The id of the first device listed on the account page.
fn first_device(account: &str) -> String {
    let at = account.find("id=\"device-").expect("a device listed") + "id=\"device-".len();
    account[at..at + account[at..].find('"').unwrap()].to_string()
}

/// Starts a sign-in at the service `myasn`; returns the login form's address.
async fn start_at_service(server: &TestServer, b: &Browser) -> String {
    let res = b
        .http()
        .get(authorize_url(server, "myasn", "openid"))
        .send()
        .await
        .unwrap();
    let login = location(&res);
    assert!(login.starts_with("/login?req="), "{login}");
    login
}

/// A form posted with a token that is not the page's: the CSRF check refuses it.
async fn stale(b: &Browser, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("csrf_token", "stale-token")];
    form.extend_from_slice(fields);
    b.http().post(b.url(path)).form(&form).send().await.unwrap()
}

scenarios!(every_page_answering_a_post_switches_to_a_get_page);

/// An account form: its route as mounted, the address posted to, and its fields.
type Case<'a> = (&'static str, &'a str, Vec<(&'a str, &'a str)>);

async fn every_page_answering_a_post_switches_to_a_get_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (staff_nip, staff_id) = server.add_user(Some(PASSWORD)).await;
    server
        .state
        .store
        .grant_role(&staff_id, "admin", "")
        .await
        .unwrap();
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    let mut walked = BTreeSet::new();
    for lang in ["id", "en"] {
        let (nip, _) = server.add_user(Some(PASSWORD)).await;
        let (newbie, _) = server.add_user_without_device(PASSWORD).await;

        // The sign-in pages, for a service: a wrong password, a wrong code at the OTP step.
        let b = server.browser();
        speak(&b, lang).await;
        let page = b.get(&start_at_service(&server, &b).await).await;
        let res = b
            .post_login(&page, &[("nip", &nip), ("password", "Salah#Sandi2026")])
            .await;
        follow(&b, "/login", res, lang, true, &mut walked).await;
        let b = server.browser();
        speak(&b, lang).await;
        let page = b.get(&start_at_service(&server, &b).await).await;
        let res = b
            .post_login(&page, &[("nip", &nip), ("password", PASSWORD)])
            .await;
        let page = if res.status() == 303 {
            b.get(&location(&res)).await
        } else {
            Page {
                status: res.status(),
                url: res.url().to_string(),
                body: res.text().await.unwrap(),
            }
        };
        let res = b.submit(&page, "/login/otp", &[("otp", "000000")]).await;
        let s = follow(&b, "/login/otp", res, lang, true, &mut walked).await;
        // The service is kept through the switch: the right code there leads to it.
        let page = Page {
            status: StatusCode::OK,
            url: s.url.to_string(),
            body: s.body,
        };
        let res = b
            .submit(&page, "/login/otp", &[("otp", &server.otp(&nip))])
            .await;
        assert!(
            location(&res).starts_with(REDIRECT),
            "on to the service: {}",
            location(&res)
        );

        // Activation / forgotten password: a wrong captcha answer, a wrong mailed code.
        let b = server.browser();
        speak(&b, lang).await;
        let page = b.get("/reset").await;
        let email = format!("siti.{nip}@bkn.go.id");
        let res = b
            .submit(
                &page,
                "/reset",
                &[("nip", &nip), ("email", &email), ("captcha", "salah")],
            )
            .await;
        let s = follow(&b, "/reset", res, lang, true, &mut walked).await;
        assert_eq!(
            query_param(s.url.as_str(), "nip").as_deref(),
            Some(&*nip),
            "NIP kept"
        );
        speak(&b, lang).await;
        let page = b
            .get(&format!("/reset/confirm?nip={nip}&code=12345678"))
            .await;
        let res = b
            .submit(
                &page,
                "/reset/confirm",
                &[
                    ("password", "Sandi#Baru2026x"),
                    ("password_confirm", "Sandi#Baru2026x"),
                ],
            )
            .await;
        follow(&b, "/reset/confirm", res, lang, true, &mut walked).await;

        // A first device: a wrong code. (The recovery codes a right one shows are issue 25
        // item 1's, tested with that page.)
        let b = server.browser();
        assert_eq!(b.sign_in(&newbie, PASSWORD, None).await.status(), 303);
        speak(&b, lang).await;
        let page = b.get("/mfa/enrol").await;
        let res = b
            .submit(
                &page,
                "/mfa/enrol",
                &[("otp", "000000"), ("device_name", "HP")],
            )
            .await;
        follow(&b, "/mfa/enrol", res, lang, true, &mut walked).await;

        // The account page's forms, each with its own error: the switch shows /account.
        let b = server.browser();
        assert_eq!(b.sign_in(&nip, PASSWORD, None).await.status(), 303);
        speak(&b, lang).await;
        let page = b.get("/account").await;
        let device = first_device(&page.body);
        let rename = format!("/account/devices/{device}/rename");
        let remove = format!("/account/devices/{device}/remove");
        let on_account = |s: &Switched| {
            assert_eq!(s.url.path(), "/account", "{}", s.url);
            assert!(
                s.body.contains("id=\"password-section\""),
                "the account page"
            );
        };
        let cases: [Case; 6] = [
            (
                "/account/devices/{id}/rename",
                &rename,
                vec![("device_name", "HP baru"), ("otp", "000000")],
            ),
            (
                "/account/devices/{id}/remove",
                &remove,
                vec![
                    ("otp", "000000"),
                    ("password", PASSWORD),
                    ("confirm", "yes"),
                ],
            ),
            (
                "/account/password",
                "/account/password",
                vec![
                    ("current_password", PASSWORD),
                    ("otp", "000000"),
                    ("password", "pendek"),
                    ("password_confirm", "pendek"),
                ],
            ),
            (
                "/account/recovery",
                "/account/recovery",
                vec![("otp", "000000"), ("confirm", "yes")],
            ),
            (
                "/account/sessions/end",
                "/account/sessions/end",
                vec![("sid", "no-such-session"), ("confirm", "yes")],
            ),
            (
                "/account/consents/revoke",
                "/account/consents/revoke",
                vec![("client_id", "no-such-client"), ("confirm", "yes")],
            ),
        ];
        for (route, path, fields) in &cases {
            speak(&b, lang).await;
            let page = b.get("/account").await;
            // By hand with the page's token: a form the page does not show (no other
            // session, no service) is still one a person can have open from earlier.
            let token = hidden(&page.body, "csrf_token");
            let mut form = vec![("csrf_token", token.as_str())];
            form.extend_from_slice(fields);
            let res = b.http().post(b.url(path)).form(&form).send().await.unwrap();
            if res.status() == 303 {
                // Nothing to refuse here (an unknown session or service is already gone):
                // the answer is the account page by GET; the stale form below is the page.
                continue;
            }
            on_account(&follow(&b, route, res, lang, true, &mut walked).await);
        }
        // The password's rules broken, with every proof right: the case named in the issue.
        speak(&b, lang).await;
        let page = b.get("/account").await;
        let res = b
            .submit(
                &page,
                "/account/password",
                &[
                    ("current_password", PASSWORD),
                    ("otp", &server.otp(&nip)),
                    ("password", "pendek"),
                    ("password_confirm", "pendek"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        on_account(&follow(&b, "/account/password", res, lang, true, &mut walked).await);
        // Every account form posted with a stale token: the error page switches to /account.
        for (route, path, fields) in &cases {
            speak(&b, lang).await;
            let res = stale(&b, path, fields).await;
            assert_eq!(res.status(), 403, "{route}");
            on_account(&follow(&b, route, res, lang, true, &mut walked).await);
        }

        // The helpdesk console: a wrong step-up code, an invalid e-mail for the person shown.
        let staff = server.browser();
        assert_eq!(
            staff.sign_in(&staff_nip, PASSWORD, None).await.status(),
            303
        );
        server.clock().advance(16 * 60);
        speak(&staff, lang).await;
        let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
        let res = staff
            .submit(&page, "/helpdesk/step-up", &[("otp", "000000")])
            .await;
        let s = follow(&staff, "/helpdesk/step-up", res, lang, true, &mut walked).await;
        assert_eq!(s.url.path(), "/helpdesk");
        assert_eq!(query_param(s.url.as_str(), "nip").as_deref(), Some(&*nip));
        speak(&staff, lang).await;
        let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
        let res = staff
            .submit(
                &page,
                "/helpdesk/step-up",
                &[("otp", &server.otp(&staff_nip))],
            )
            .await;
        assert_eq!(res.status(), 303);
        let page = staff.get(&format!("/helpdesk?nip={nip}")).await;
        let res = staff
            .submit(
                &page,
                "/helpdesk/action",
                &[
                    ("nip", &nip),
                    ("action", "set_email"),
                    ("new_email", "bukan email"),
                    ("reason", "Salah ketik di SIASN"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        let s = follow(&staff, "/helpdesk/action", res, lang, true, &mut walked).await;
        assert_eq!(s.url.path(), "/helpdesk");
        assert_eq!(query_param(s.url.as_str(), "nip").as_deref(), Some(&*nip));
        assert!(s.body.contains("id=\"person\""), "the person still shown");
        for route in ["/helpdesk/step-up", "/helpdesk/action"] {
            speak(&staff, lang).await;
            let res = stale(&staff, route, &[("nip", &nip), ("otp", "000000")]).await;
            assert_eq!(res.status(), 403, "{route}");
            let s = follow(&staff, route, res, lang, true, &mut walked).await;
            assert_eq!(s.url.path(), "/helpdesk");
        }

        // The OAuth pages answering a POST: a stale or broken request is refused with a
        // page whose switch is a GET of the same address (the same refusal, other language).
        let b = server.browser();
        speak(&b, lang).await;
        let res = stale(&b, "/authorize", &[("client_id", "no-such-client")]).await;
        follow(&b, "/authorize", res, lang, false, &mut walked).await;
        speak(&b, lang).await;
        let res = stale(
            &b,
            "/consent",
            &[("req", "no-such-request"), ("decision", "allow")],
        )
        .await;
        follow(&b, "/consent", res, lang, false, &mut walked).await;
        speak(&b, lang).await;
        let res = stale(&b, "/logout", &[]).await;
        follow(&b, "/logout", res, lang, false, &mut walked).await;

        // A "not me" link that does not work: its refusal switches to the link's page.
        let b = server.browser();
        speak(&b, lang).await;
        let res = b
            .http()
            .post(b.url("/not-me"))
            .form(&[("t", "not-a-live-link")])
            .send()
            .await
            .unwrap();
        follow(&b, "/not-me", res, lang, false, &mut walked).await;
    }
    let listed: BTreeSet<&str> = WALKED.into_iter().collect();
    assert_eq!(walked, listed, "every listed route was walked");
}
