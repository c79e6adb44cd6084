//! Issue 25 item 6: what the helpdesk console says, in both languages — a lock without a
//! misleading 0 beside it, events in the page's words, "never activated", a name search that
//! finds nobody, a notice naming the action and the person — and that none of it tells an
//! officer anything about people outside their agency.

use crate::common::*;
use crate::helpdesk_scope::{act, desk, find, import_as, sqlx_set_agency};
use crate::keep_request::href_of;

scenarios!(
    a_lock_is_shown_without_a_zero_count_beside_it,
    events_read_in_the_page_language,
    a_person_never_activated_is_shown_so,
    a_name_search_that_finds_nobody_says_so_alike_for_other_agencies,
    the_notice_names_the_action_and_the_person_in_reach_only,
    a_done_link_claims_nothing_the_officer_did_not_do,
    the_next_page_keeps_a_name_with_signs_in_it,
    a_mistyped_nip_is_called_mistyped_not_missing,
);

const LANGS: [&str; 2] = ["id", "en"];

/// The text of the element with `id` up to its first tag.
fn text_of(page: &str, id: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let rest = &page[at..];
    let start = rest.find('>')? + 1;
    let text = rest[start..].split('<').next()?;
    Some(
        text.replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// A page with its CSRF token (new for every answer) left out.
fn same_but_csrf(page: &str) -> String {
    if !page.contains("name=\"csrf_token\"") {
        return page.to_string();
    }
    page.replace(&hidden(page, "csrf_token"), "CSRF")
}

/// The whole inner markup of the `<ul id="events">` list.
fn events(page: &str) -> String {
    let at = page.find("id=\"events\"").expect("the events list");
    page[at..page[at..].find("</ul>").unwrap() + at].to_string()
}

/// Five wrong passwords from other browsers: the account's lock.
async fn lock(server: &TestServer, nip: &str) {
    for _ in 0..5 {
        server.browser().sign_in(nip, "Salah#Sandi2026", None).await;
    }
}

async fn a_lock_is_shown_without_a_zero_count_beside_it(backend: Backend) {
    let d = desk(backend).await;
    let (locked, _) = d.server.add_user(Some(PASSWORD)).await;
    let (typo, _) = d.server.add_user(Some(PASSWORD)).await;
    lock(&d.server, &locked).await;
    d.server
        .browser()
        .sign_in(&typo, "Salah#Sandi2026", None)
        .await;
    for lang in LANGS {
        let page = d
            .staff
            .get(&format!("/helpdesk?nip={locked}&lang={lang}"))
            .await;
        assert_eq!(page.status, 200);
        let until = text_of(&page.body, "locked").unwrap();
        assert!(
            until != "-" && until.contains(':'),
            "the lock's end: {until}"
        );
        // The lock took the count that started it: no "0 failures" beside it.
        assert_eq!(
            text_of(&page.body, "failures"),
            None,
            "{lang}: {}",
            page.body
        );
        // Failures still counting toward a lock are shown.
        let page = d
            .staff
            .get(&format!("/helpdesk?nip={typo}&lang={lang}"))
            .await;
        assert_eq!(text_of(&page.body, "locked").as_deref(), Some("-"));
        assert_eq!(text_of(&page.body, "failures").as_deref(), Some("1"));
    }
}

async fn events_read_in_the_page_language(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    lock(&d.server, &nip).await;
    // Refused while locked (stored as `login_blocked` / `locked`).
    d.server.browser().sign_in(&nip, PASSWORD, None).await;
    // An officer's refused action (stored as `no reason or confirmation`).
    let (_, page) = find(&d, &nip).await;
    let res = act(
        &d,
        &page,
        &nip,
        &[("action", "unlock"), ("reason", "Tiket 77")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let cases = [
        (
            "id",
            [
                "Masuk ditolak: akun sedang dikunci",
                "Tindakan helpdesk ditolak: tanpa alasan atau konfirmasi",
            ],
        ),
        (
            "en",
            [
                "Sign-in refused: the account was locked",
                "Helpdesk action refused: no reason or confirmation",
            ],
        ),
    ];
    for (lang, expected) in cases {
        let page = d
            .staff
            .get(&format!("/helpdesk?nip={nip}&lang={lang}"))
            .await;
        let list = events(&page.body).replace("</span>", "");
        for e in expected {
            assert!(list.contains(e), "{lang}: {e} in {list}");
        }
        if lang == "id" {
            for stored in [": locked", "no reason", "login_blocked"] {
                assert!(
                    !list.contains(stored),
                    "no stored English ({stored}): {list}"
                );
            }
        }
    }
    // The admin's audit trail says the same words; the CSV keeps the stored ones.
    let (admin_nip, admin_id) = d.server.add_user(Some(PASSWORD)).await;
    d.server
        .state
        .store
        .grant_role(&admin_id, "admin", "")
        .await
        .unwrap();
    let admin = d.server.browser();
    assert_eq!(
        admin.sign_in(&admin_nip, PASSWORD, None).await.status(),
        303
    );
    let trail = admin
        .get(&format!("/helpdesk/audit?subject={nip}&lang=id"))
        .await
        .body;
    assert!(trail.contains("<td>akun sedang dikunci</td>"), "{trail}");
    assert!(!trail.contains("<td>locked</td>"));
    let csv = admin
        .get(&format!("/helpdesk/audit?subject={nip}&format=csv"))
        .await
        .body;
    assert!(
        csv.contains("login_blocked") && csv.contains(",locked"),
        "{csv}"
    );
}

async fn a_person_never_activated_is_shown_so(backend: Backend) {
    let d = desk(backend).await;
    let (imported, _) = d.server.add_user(None).await;
    let (active, _) = d.server.add_user(Some(PASSWORD)).await;
    for (lang, never, activated) in [
        (
            "id",
            "Belum pernah diaktifkan (belum membuat kata sandi)",
            "Aktif",
        ),
        ("en", "Never activated (no password set yet)", "Active"),
    ] {
        let page = d
            .staff
            .get(&format!("/helpdesk?nip={imported}&lang={lang}"))
            .await;
        assert_eq!(text_of(&page.body, "status").as_deref(), Some(never));
        let page = d
            .staff
            .get(&format!("/helpdesk?nip={active}&lang={lang}"))
            .await;
        assert_eq!(text_of(&page.body, "status").as_deref(), Some(activated));
    }
}

async fn a_name_search_that_finds_nobody_says_so_alike_for_other_agencies(backend: Backend) {
    let d = desk(backend).await;
    d.server.add_user(None).await; // a "Siti Rahayu" of 4011
    let (other_nip, other_id) = d.server.add_user(None).await;
    import_as(&d.server, &other_id, "2301", Some("Bambang Sutrisno")).await;
    for (lang, words) in [
        ("id", "Tidak ada yang cocok dengan “{}” di instansi Anda."),
        ("en", "No one matches “{}” in your agencies."),
    ] {
        let staff = &d.staff;
        let search = |name: &str| {
            let url = format!("/helpdesk?name={name}&lang={lang}");
            async move { staff.get(&url).await }
        };
        let elsewhere = search("Bambang").await;
        let nowhere = search("Zulkarnaen").await;
        assert_eq!(
            (elsewhere.status.as_u16(), nowhere.status.as_u16()),
            (200, 200)
        );
        let said = |p: &str| text_of(p, "no-match").expect("the search says it found nobody");
        assert_eq!(said(&elsewhere.body), words.replace("{}", "Bambang"));
        assert_eq!(said(&nowhere.body), words.replace("{}", "Zulkarnaen"));
        assert_eq!(
            same_but_csrf(&elsewhere.body).replace("Bambang", "Q"),
            same_but_csrf(&nowhere.body).replace("Zulkarnaen", "Q"),
            "another agency's name looks exactly like nobody's"
        );
        assert!(!elsewhere.body.contains(&other_nip));
        // A search that finds someone says nothing of the kind.
        let found = search("Rahayu").await;
        assert!(
            found.body.contains("id=\"results\"") && text_of(&found.body, "no-match").is_none()
        );
    }
}

async fn the_notice_names_the_action_and_the_person_in_reach_only(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let (other_nip, other_id) = d.server.add_user(Some(PASSWORD)).await;
    sqlx_set_agency(&d.server, &other_id, "2301").await;
    lock(&d.server, &nip).await;
    let expected = [
        (
            "unlock",
            "Akun Siti Rahayu dibuka kuncinya; pegawai diberi tahu lewat e-mail.",
            "Siti Rahayu's account was unlocked; they were told by e-mail.",
        ),
        (
            "reset_mfa",
            "MFA Siti Rahayu direset (semua perangkat dihapus); pegawai diberi tahu lewat e-mail.",
            "Siti Rahayu's MFA was reset (every device removed); they were told by e-mail.",
        ),
    ];
    for (action, id, en) in expected {
        let (_, page) = find(&d, &nip).await;
        let fields = [
            ("action", action),
            ("reason", "Tiket 2024-77"),
            ("confirm", "yes"),
        ];
        let res = act(&d, &page, &nip, &fields).await;
        assert_eq!(res.status(), 303, "{action}");
        let to = location(&res);
        assert_eq!(to, format!("/helpdesk?nip={nip}&done={action}"));
        for (lang, words) in [("id", id), ("en", en)] {
            let page = d.staff.get(&format!("{to}&lang={lang}")).await;
            assert_eq!(
                text_of(&page.body, "helpdesk-notice").as_deref(),
                Some(words)
            );
        }
    }
    // The same address for someone out of reach, or nobody: no notice, the same answer.
    for lang in LANGS {
        let other = d
            .staff
            .get(&format!(
                "/helpdesk?nip={other_nip}&done=unlock&lang={lang}"
            ))
            .await;
        let none = d
            .staff
            .get(&format!(
                "/helpdesk?nip=199001012015011001&done=unlock&lang={lang}"
            ))
            .await;
        assert_eq!((other.status.as_u16(), none.status.as_u16()), (404, 404));
        assert!(text_of(&other.body, "helpdesk-notice").is_none());
        assert_eq!(
            same_but_csrf(&other.body).replace(&other_nip, "Q"),
            same_but_csrf(&none.body).replace("199001012015011001", "Q"),
            "{lang}: out of reach looks like nobody"
        );
    }
}

/// `done=` is a word anyone can put in a link sent to an officer ("see, it is done"): the
/// console says an action was done only after that officer's own action on that person,
/// never for a crafted link, another action's word, or a colleague following the link.
async fn a_done_link_claims_nothing_the_officer_did_not_do(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    lock(&d.server, &nip).await;
    let (peer_nip, peer_id) = d.server.add_user(Some(PASSWORD)).await;
    d.server
        .state
        .store
        .grant_role(&peer_id, "helpdesk", "4011")
        .await
        .unwrap();
    let peer = d.server.browser();
    assert_eq!(peer.sign_in(&peer_nip, PASSWORD, None).await.status(), 303);
    let actions = [
        "unlock",
        "reset_mfa",
        "disable",
        "enable",
        "set_email",
        "end_sessions",
    ];
    async fn notice(b: &Browser, nip: &str, action: &str, lang: &str) -> Option<String> {
        let url = format!("/helpdesk?nip={nip}&done={action}&lang={lang}");
        let page = b.get(&url).await;
        assert_eq!(page.status, 200, "{url}");
        text_of(&page.body, "helpdesk-notice")
    }
    // Nothing was done: no link makes the console say it was.
    for action in actions {
        for lang in LANGS {
            assert_eq!(
                notice(&d.staff, &nip, action, lang).await,
                None,
                "{action} {lang}"
            );
        }
    }
    // The officer unlocks: their page says so, in both languages; no other word does.
    let (_, page) = find(&d, &nip).await;
    let fields = [
        ("action", "unlock"),
        ("reason", "Tiket 2024-78"),
        ("confirm", "yes"),
    ];
    assert_eq!(act(&d, &page, &nip, &fields).await.status(), 303);
    for lang in LANGS {
        assert!(
            notice(&d.staff, &nip, "unlock", lang).await.is_some(),
            "{lang}"
        );
        for action in actions.into_iter().filter(|a| *a != "unlock") {
            assert_eq!(
                notice(&d.staff, &nip, action, lang).await,
                None,
                "{action} {lang}"
            );
        }
        // A colleague following the same link was told nothing by it.
        assert_eq!(
            notice(&peer, &nip, "unlock", lang).await,
            None,
            "peer {lang}"
        );
    }
}

/// The next-page link carries the officer's words encoded: a name with `&`, `#` or `+` in it
/// reaches page two of the same search, not a cut-off one.
async fn the_next_page_keeps_a_name_with_signs_in_it(backend: Backend) {
    let d = desk(backend).await;
    let name = "Sri & Dewi #2+";
    for _ in 0..21 {
        let (_, id) = d.server.add_user(None).await;
        import_as(&d.server, &id, "4011", Some(name)).await;
    }
    let q: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let first = d.staff.get(&format!("/helpdesk?name={q}")).await.body;
    let listed = |p: &str| p.matches("<li><a href=\"/helpdesk?nip=").count();
    assert_eq!(listed(&first), 20, "{first}");
    let href = href_of(&first, "next-page");
    let second = d.staff.get(&href).await.body;
    assert_eq!(listed(&second), 1, "page two of the same search: {href}");
}

/// An officer who types a digit too few (or too many) is told the NIP's shape is wrong,
/// not that nobody with it works in their agency; an 18-digit NIP of nobody in reach is
/// still "not found". Nothing is looked up for the mistyped one.
async fn a_mistyped_nip_is_called_mistyped_not_missing(backend: Backend) {
    let d = desk(backend).await;
    let (nip, _) = d.server.add_user(Some(PASSWORD)).await;
    let short = &nip[..17];
    let cases = [
        (
            "id",
            "NIP harus terdiri dari 18 digit angka.",
            "Pegawai dengan NIP tersebut tidak ditemukan di instansi Anda.",
        ),
        (
            "en",
            "The NIP must be 18 digits.",
            "No civil servant with that NIP in your agency.",
        ),
    ];
    for (lang, mistyped, missing) in cases {
        let page = d
            .staff
            .get(&format!("/helpdesk?nip={short}&lang={lang}"))
            .await;
        assert_eq!(page.status, 400, "{}", page.body);
        assert_eq!(
            text_of(&page.body, "helpdesk-error").as_deref(),
            Some(mistyped)
        );
        assert!(!page.body.contains("id=\"person\""), "{}", page.body);
        // What was typed stays in the field, to be corrected.
        assert!(
            page.body.contains(&format!("value=\"{short}\"")),
            "{}",
            page.body
        );
        let page = d
            .staff
            .get(&format!("/helpdesk?nip=199001012020121001&lang={lang}"))
            .await;
        assert_eq!(page.status, 404);
        assert_eq!(
            text_of(&page.body, "helpdesk-error").as_deref(),
            Some(missing)
        );
    }
}
