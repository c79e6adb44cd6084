//! Micro-benchmarks of the hot paths, on the real code with the configured parameters:
//! `cargo bench --bench hot_paths`. Figures and machine in `bench/results.md`.

use std::hint::black_box;

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use criterion::{Criterion, criterion_group, criterion_main};
use gerbang::auth::session::{self, Login};
use gerbang::clock::Clock;
use gerbang::config::Config;
use gerbang::domain::{pkce, totp};
use gerbang::store::clients::Client;
use jsonwebtoken::Algorithm;

fn hot_paths(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/bench.db", dir.path().display());
    let config = Config::for_test("http://127.0.0.1:1", &db, dir.path());
    let state = rt
        .block_on(gerbang::server::build_state(config, Clock::default()))
        .unwrap();
    let ring = state.keys();

    // JWT signing per algorithm (logout tokens go through the same `sign` as every token).
    for alg in [Algorithm::ES256, Algorithm::RS256] {
        c.bench_function(&format!("jwt_sign_{alg:?}"), |b| {
            b.iter(|| {
                gerbang::oidc::tokens::mint_logout(&state, &ring, "svc", alg, "sub", "sid").unwrap()
            })
        });
    }
    let client = Client::new("svc", "Svc");
    c.bench_function("access_token_mint_es256", |b| {
        b.iter(|| {
            gerbang::oidc::tokens::mint_access(&state, &ring, "u", &client, "openid", None).unwrap()
        })
    });
    let (token, _) =
        gerbang::oidc::tokens::mint_access(&state, &ring, "u", &client, "openid", None).unwrap();
    c.bench_function("access_token_verify", |b| {
        b.iter(|| {
            rt.block_on(gerbang::oidc::tokens::verify_access(
                &state,
                black_box(&token),
            ))
            .unwrap()
        })
    });

    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    c.bench_function("pkce_verify_s256", |b| {
        b.iter(|| assert!(pkce::verify_s256(black_box(verifier), black_box(challenge))))
    });

    let secret = b"gerbang-bench-secret";
    let now = 1_800_000_000u64;
    let code = totp::code_at(secret, now);
    c.bench_function("totp_verify", |b| {
        b.iter(|| totp::verify(secret, black_box(&code), now, |_| false))
    });

    let hash = state.hasher.hash_blocking("Gerbang#Aman2026").unwrap();
    let mut g = c.benchmark_group("argon2id_configured");
    g.sample_size(10);
    g.bench_function("verify", |b| {
        b.iter(|| {
            rt.block_on(
                state
                    .hasher
                    .verify("Gerbang#Aman2026".into(), Some(hash.clone())),
            )
        })
    });
    g.finish();

    let jar = rt
        .block_on(session::create(
            &state,
            CookieJar::new(),
            Login {
                user_id: "u",
                amr: vec!["pwd".into(), "otp".into()],
                acr: gerbang::domain::oidc::ACR_MFA,
                mfa_at: Some(0),
                ip: None,
                user_agent: None,
            },
        ))
        .unwrap()
        .0;
    let cookie = jar.get(session::COOKIE).unwrap().value().to_string();
    let jar = CookieJar::new().add(Cookie::new(session::COOKIE, cookie));
    c.bench_function("session_lookup_memory", |b| {
        b.iter(|| {
            rt.block_on(session::current(&state, &jar))
                .unwrap()
                .unwrap()
        })
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
