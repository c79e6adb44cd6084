//! What the database keeps once a thing has done its job: a delivered reset mail leaves no
//! code or link behind in `mail_outbox`; one still pending keeps it, to be retried.

use std::time::Duration;

use crate::common::*;
use gerbang::store::outbox::{GIVEN_UP, Mail};

db_scenarios!(
    a_delivered_reset_mail_keeps_no_code_in_the_outbox,
    pending_mail_keeps_its_body_until_sent_or_given_up
);

/// issue 24 item 4: README says reset codes are stored only as hashes; the outbox row of a
/// delivered reset mail must not hold the code (nor its `/reset/confirm` link) in any column
/// for the outbox's retention.
async fn a_delivered_reset_mail_keeps_no_code_in_the_outbox(backend: Backend) {
    let (server, smtp) = TestServer::start_with_mail(backend).await;
    let (nip, _) = server.import_user().await;
    let email = format!("siti.{nip}@bkn.go.id");
    let (status, _) = reset_request_code(&server, &browser(), &nip, &email).await;
    assert!(status.is_success(), "{status}");
    let mail = smtp.wait_for(&email, 1).await.remove(0);
    let code = mailed_code(&mail);
    assert!(mail.contains("/reset/confirm"), "the link was delivered");

    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = server.state.store.outbox_to(&email).await.unwrap();
        if rows.iter().all(|r| r.sent_at.is_some()) && !rows.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert!(row.sent_at.is_some(), "recorded as delivered: {row:?}");
    for (column, text) in [
        ("id", row.id.as_str()),
        ("subject", row.subject.as_str()),
        ("body", row.body.as_str()),
        ("last_error", row.last_error.as_deref().unwrap_or_default()),
    ] {
        assert!(!text.contains(&code), "{column} holds the code: {row:?}");
        assert!(
            !text.contains("/reset/confirm"),
            "{column} holds the link: {row:?}"
        );
    }
    assert!(
        !row.subject.is_empty(),
        "the subject stays for the operator"
    );
}

/// Mail not yet delivered keeps its body (a retry sends it whole); mail given up on will
/// never be sent, so its body goes at once.
async fn pending_mail_keeps_its_body_until_sent_or_given_up(backend: Backend) {
    let server = TestServer::start(backend).await;
    let st = &server.state.store;
    // Due far in the future: the server's own worker leaves these rows alone.
    let later = server.clock().now() + 30 * 24 * 3600;
    let to = format!("pending.{}@bkn.go.id", TestServer::new_nip());
    for i in 0..2 {
        let m = Mail {
            to: to.clone(),
            subject: format!("pesan {i}"),
            body: format!("Kode Anda: 1234567{i}"),
        };
        st.enqueue_mail(&m, later).await.unwrap();
    }
    let q = st.claim_mail(later, 10).await.unwrap();
    let q: Vec<_> = q.into_iter().filter(|m| m.mail.to == to).collect();
    assert_eq!(q.len(), 2);
    st.mark_mail_failed(&q[0].id, "421 try later", later + 60)
        .await
        .unwrap();
    st.mark_mail_failed(&q[1].id, "550 no such user", GIVEN_UP)
        .await
        .unwrap();
    let rows = st.outbox_to(&to).await.unwrap();
    let retried = rows.iter().find(|r| r.id == q[0].id).unwrap();
    assert_eq!(retried.body, q[0].mail.body, "kept for the retry");
    let given_up = rows.iter().find(|r| r.id == q[1].id).unwrap();
    assert_eq!(given_up.body, "", "nothing will send it");
    assert_eq!(given_up.last_error.as_deref(), Some("550 no such user"));
}
