//! Resident memory of the in-process cache at N live SSO sessions (issue 9's "100,000
//! sessions under 300 MB"): `cargo run --release --example session_memory [N]`.
//! The sessions go through `login::session::create`, the same path a sign-in takes
//! (record, sid index, per-user set), with realistic browser and address strings.

use axum_extra::extract::CookieJar;
use gerbang::auth::session::{self, Login};
use gerbang::clock::Clock;
use gerbang::config::Config;

// The allocator of the `gerbang` binary, so the figure is the served process's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resident set size in MiB, from /proc (Linux).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/mem.db", dir.path().display());
    let state = gerbang::server::build_state(
        Config::for_test("http://127.0.0.1:1", &db, dir.path()),
        Clock::default(),
    )
    .await
    .unwrap();
    let before = rss_mib();
    for i in 0..n {
        let user = format!("0190a1b2-c3d4-7e5f-8a9b-{i:012}");
        let login = Login {
            user_id: &user,
            amr: vec!["pwd".into(), "otp".into()],
            acr: gerbang::domain::oidc::ACR_MFA,
            mfa_at: Some(0),
            ip: Some(format!("10.{}.{}.{}", i % 250, (i / 250) % 250, i % 200)),
            user_agent: Some(
                "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Mobile Safari/537.36"
                    .into(),
            ),
        };
        // The cookie would go to the browser; only the server-side record matters here.
        let _ = session::create(&state, CookieJar::new(), login)
            .await
            .unwrap();
    }
    let after = rss_mib();
    println!(
        "sessions={n} rss_before={before:.1}MiB rss_after={after:.1}MiB per_session={:.0}B",
        (after - before) * 1024.0 * 1024.0 / n as f64
    );
}
