//! No page of a first access is a dead end, and none forgets the service: the code pages
//! of a reset offer a new code and the sign-in form (both with the NIP and the service), and
//! the forced enrolment names the service it continues to and shows its error beside the
//! fields it is about, not above the QR code a phone's screen away.

use crate::common::*;
use crate::keep_request::{href_of, start_at_service};
use reqwest::StatusCode;

scenarios!(
    the_code_pages_lead_to_a_new_code_and_to_the_sign_in_form,
    the_forced_enrolment_names_the_service_and_errs_beside_its_fields,
    the_forced_enrolment_has_a_way_out_that_keeps_the_service,
);

/// A service sends browser `b` to Gerbang; returns the login form's address and the
/// sign-in request's id.
async fn from_service(server: &TestServer, b: &Browser) -> (String, String) {
    server
        .add_client("myasn", "ES256", &["authorization_code"])
        .await;
    start_at_service(server, b).await
}

fn names_service(page: &str) -> bool {
    page.contains("untuk melanjutkan ke <strong>Layanan myasn</strong>")
}

/// The "code sent" page, the code form and the code form after a wrong code: each links to
/// the reset form (NIP filled in) and to the sign-in form, both for the service.
async fn the_code_pages_lead_to_a_new_code_and_to_the_sign_in_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.import_user().await;
    let b = server.browser();
    let (_, req) = from_service(&server, &b).await;

    let sent = b.get(&format!("/reset/sent?nip={nip}&req={req}")).await;
    let confirm = b.get(&format!("/reset/confirm?nip={nip}&req={req}")).await;
    let res = b
        .submit(
            &confirm,
            "/reset/confirm",
            &[
                ("nip", &nip),
                ("code", "00000000"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let wrong = res.text().await.unwrap();
    assert!(wrong.contains("id=\"reset-error\""), "{wrong}");
    for (what, page) in [
        ("the sent page", &sent.body),
        ("the code form", &confirm.body),
        ("the code form after a wrong code", &wrong),
    ] {
        assert_eq!(
            href_of(page, "new-code"),
            format!("/reset?nip={nip}&req={req}"),
            "{what}"
        );
        assert_eq!(
            href_of(page, "to-login"),
            format!("/login?nip={nip}&req={req}"),
            "{what}"
        );
    }
    // The new-code link opens the reset form with the NIP, for the service, in English too.
    let again = b.get(&href_of(&wrong, "new-code")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains(&format!("value=\"{nip}\"")),
        "{}",
        again.body
    );
    assert!(names_service(&again.body), "{}", again.body);
    let en = b
        .get(&format!("/reset/confirm?nip={nip}&req={req}&lang=en"))
        .await;
    assert!(en.body.contains(">Ask for a new code</a>"), "{}", en.body);
    assert!(
        confirm.body.contains(">Minta kode baru</a>"),
        "{}",
        confirm.body
    );
}

/// Someone on their first sign-in from a service: the enrolment says which service it
/// leads to (in both languages), and a refused try puts its error inside the form, after
/// the QR code, focused; nothing is enrolled.
async fn the_forced_enrolment_names_the_service_and_errs_beside_its_fields(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, id) = server.add_user_without_device(PASSWORD).await;
    let b = server.browser();
    let (login, _) = from_service(&server, &b).await;
    let form = b.get(&login).await;
    let res = b
        .post_login(&form, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/mfa/enrol");

    let enrol = b.get("/mfa/enrol").await;
    assert_eq!(enrol.status, StatusCode::OK);
    assert!(names_service(&enrol.body), "{}", enrol.body);

    let res = b
        .submit(
            &enrol,
            "/mfa/enrol",
            &[("device_name", ""), ("otp", "123456")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    let error = page.find("id=\"enrol-error\"").expect("an error");
    let form = page.find("action=\"/mfa/enrol\"").unwrap();
    let qr = page.find("class=\"qr\"").unwrap();
    let field = page.find("id=\"device_name\"").unwrap();
    assert!(qr < form && form < error && error < field, "{page}");
    assert!(page[error..field].contains("autofocus"), "{page}");
    assert!(names_service(&page), "{page}");
    assert!(server.state.store.list_totp(&id).await.unwrap().is_empty());
    let en = b.get("/mfa/enrol?lang=en").await;
    assert!(
        en.body
            .contains("to continue to <strong>Layanan myasn</strong>"),
        "{}",
        en.body
    );
}

/// Someone without their phone at hand is not stuck on the forced enrolment: a link leads
/// back to the sign-in form for the same service, in both languages, and nothing is enrolled.
async fn the_forced_enrolment_has_a_way_out_that_keeps_the_service(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.lockout.captcha_after = 10_000).await;
    let (nip, id) = server.add_user_without_device(PASSWORD).await;
    let b = server.browser();
    let (login, req) = from_service(&server, &b).await;
    let form = b.get(&login).await;
    let res = b
        .post_login(&form, &[("nip", &nip), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/mfa/enrol");
    for lang in ["id", "en"] {
        let enrol = b.get(&format!("/mfa/enrol?lang={lang}")).await;
        let href = href_of(&enrol.body, "enrol-later");
        assert_eq!(href, format!("/login?req={req}"));
        let back = b.get(&href).await;
        assert_eq!(back.status, StatusCode::OK);
        let to = if lang == "id" {
            "untuk melanjutkan ke"
        } else {
            "to continue to"
        };
        assert!(
            back.body
                .contains(&format!("{to} <strong>Layanan myasn</strong>")),
            "{}",
            back.body
        );
    }
    assert!(server.state.store.list_totp(&id).await.unwrap().is_empty());
}
