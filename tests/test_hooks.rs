//! The `test-hooks` feature: captcha answers leave the server only in a build with the
//! feature AND with `GERBANG_TEST_HOOKS=1`. `cargo test` proves the default build never sends
//! the header; `.ci/run` also runs this file with `--features test-hooks`.

// The integration binary's helpers (tests/it/): a binary of its own because it needs the
// feature; it uses few of them, and whatever it leaves unused is used there.
#[path = "it/common/mod.rs"]
#[allow(dead_code, unused_imports, unused_macros)]
mod common;

use common::*;

async fn header_for_a_fresh_captcha(server: &TestServer) -> (Option<String>, String) {
    let b = server.browser();
    let page = b.get("/reset").await.body;
    let (id, answer) = captcha_answer(server, &page).await.unwrap();
    let res = b
        .http()
        .get(server.url(&format!("/captcha/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let header = res
        .headers()
        .get("x-gerbang-test-captcha")
        .map(|v| v.to_str().unwrap().to_string());
    (header, answer)
}

#[tokio::test]
async fn captcha_answer_header_needs_feature_and_env() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (header, _) = header_for_a_fresh_captcha(&server).await;
    assert_eq!(header, None, "never without GERBANG_TEST_HOOKS=1");

    // SAFETY: the only test in this binary; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("GERBANG_TEST_HOOKS", "1") };
    let (header, answer) = header_for_a_fresh_captcha(&server).await;
    if cfg!(feature = "test-hooks") {
        assert_eq!(header.as_deref(), Some(answer.as_str()));
    } else {
        assert_eq!(
            header, None,
            "a default build has no such code path, whatever the environment"
        );
    }
}
