//! Issue 9's login saturation scenario, driven by `bench/login.sh`.
//!
//! `login_load seed N`: N people with the bench password and an enrolled authenticator
//! (secret derived from their number), written straight into the configured database
//! (`GERBANG_DATABASE_URL`, `GERBANG_KEYS_DIR`) — enrolling thousands through the pages
//! would cost an argon2 hash each for nothing the benchmark measures.
//!
//! `login_load run N SECS CONCURRENCY`: CONCURRENCY loops of whole sign-ins, each a fresh
//! browser: `GET /authorize` → `GET /login` → `POST /login` (NIP, password, TOTP) → the
//! redirect carrying the code, each person at most once (a TOTP step is single-use). Beside
//! them, fixed-rate probes (50/s each) of JWKS, `client_credentials` and userinfo record their
//! latency. Prints sign-ins/s against the argon2id limit (cores ÷ one hash, timed here before
//! the load) and the probes' p50/p99.
//!
//! Written in Rust rather than Python so the load generator takes little of the two cores
//! the hashes need.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gerbang::clock::Clock;
use gerbang::config::Config;
use gerbang::store::users::NewUser;

const PASSWORD: &str = "Gerbang#Aman2026";
const REDIRECT: &str = "http://127.0.0.1:9/cb";

fn nip(i: usize) -> String {
    // Birth day, gender digit and serial vary: 28 × 2 × 999 plausible NIPs.
    format!(
        "198507{:02}201001{}{:03}",
        1 + (i / 1998) % 28,
        1 + (i / 999) % 2,
        i % 999 + 1
    )
}

fn secret(i: usize) -> Vec<u8> {
    format!("benchsecret-{i:08}").into_bytes()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |k: usize| -> usize { args.get(k).and_then(|a| a.parse().ok()).unwrap_or(0) };
    match args.first().map(String::as_str) {
        Some("seed") => seed(num(1)).await,
        Some("run") => run(num(1), num(2) as u64, num(3).max(1)).await,
        _ => {
            eprintln!("usage: login_load seed N | run N SECS CONCURRENCY");
            std::process::exit(2);
        }
    }
}

async fn seed(n: usize) {
    let config = Config::load(None).expect("configuration");
    let state = gerbang::server::build_state(config, Clock::default())
        .await
        .expect("state");
    let hash = state.hasher.hash(PASSWORD.into()).await.expect("hash");
    let now = state.clock.now();
    let ring = state.keys();
    for i in 0..n {
        let user = state
            .store
            .insert_user(
                &NewUser {
                    nip: nip(i),
                    name: format!("Pegawai Uji {i}"),
                    email: format!("pegawai{i}@bkn.go.id"),
                    instansi_id: None,
                    unit_kerja: None,
                    jabatan: None,
                    password_hash: Some(hash.clone()),
                },
                now,
            )
            .await
            .expect("insert user");
        let sealed = ring.seal(&secret(i), &user.id);
        let event = gerbang::domain::audit::AuditEvent::new(
            gerbang::domain::audit::AuditKind::MfaDeviceAdded,
        );
        state
            .store
            .add_totp(
                &gerbang::store::mfa::NewDevice {
                    user_id: &user.id,
                    device_name: "HP",
                    secret_enc: &sealed,
                    recovery_hashes: &[],
                    event: &event,
                    notice: None,
                    first_only: false,
                },
                now,
            )
            .await
            .expect("add device");
    }
    println!("seeded {n}");
}

struct Env {
    issuer: String,
    client_id: String,
    cc_basic: String,
    access: String,
}

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} must be set"))
}

async fn run(n: usize, secs: u64, concurrency: usize) {
    let e = Arc::new(Env {
        issuer: env("GERBANG_ISSUER"),
        client_id: env("BENCH_CLIENT"),
        cc_basic: env("BENCH_CC_BASIC"),
        access: env("BENCH_ACCESS"),
    });
    // The argon2id limit at the configured parameters, timed with nothing else running.
    let config = Config::load(None).expect("configuration");
    let hasher = gerbang::passwords::Hasher::new(config.argon2, 1);
    let stored = hasher.hash_blocking(PASSWORD).expect("hash");
    // A login's hash is a verification; the first one also allocates the pooled memory.
    assert!(hasher.verify(PASSWORD.into(), Some(stored.clone())).await);
    let t0 = Instant::now();
    for _ in 0..10 {
        hasher.verify(PASSWORD.into(), Some(stored.clone())).await;
    }
    let one = t0.elapsed().as_secs_f64() / 10.0;
    let cores = std::thread::available_parallelism().map_or(2, |c| c.get());
    let limit = cores as f64 / one;
    // What the cores really give when all hash at once (they share memory bandwidth and
    // cache: 19 MiB per hash does not fit), nothing else running.
    let hasher = gerbang::passwords::Hasher::new(config.argon2, cores);
    let t0 = Instant::now();
    let all: Vec<_> = (0..cores * 5)
        .map(|_| {
            let (h, s) = (hasher.clone(), stored.clone());
            tokio::spawn(async move { h.verify(PASSWORD.into(), Some(s)).await })
        })
        .collect();
    for h in all {
        h.await.expect("hash task");
    }
    let parallel = (cores * 5) as f64 / t0.elapsed().as_secs_f64();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .expect("http client");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let next = Arc::new(AtomicUsize::new(0));
    let mut logins = Vec::new();
    for _ in 0..concurrency {
        let (http, e, next) = (http.clone(), e.clone(), next.clone());
        logins.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                match sign_in(&http, &e, i).await {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(why) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("sign-in {i}: {why}");
                        }
                    }
                }
            }
            (lat, errors)
        }));
    }
    let probes: Vec<_> = ["jwks", "client_credentials", "userinfo"]
        .into_iter()
        .map(|kind| {
            let (http, e) = (http.clone(), e.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let (mut lat, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    tick.tick().await;
                    let t = Instant::now();
                    if probe(&http, &e, kind).await {
                        lat.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (kind, lat, errors)
            })
        })
        .collect();
    let started = Instant::now();
    let (mut lat, mut errors) = (Vec::new(), 0);
    for h in logins {
        let (l, e) = h.await.expect("login task");
        lat.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = lat.len() as f64 / elapsed;
    println!(
        "argon2id: one hash {:.1} ms at m={} KiB t={} p={} → limit {cores} ÷ {:.1} ms = {limit:.1}/s",
        one * 1000.0,
        config.argon2.m_cost_kib,
        config.argon2.t_cost,
        config.argon2.p_cost,
        one * 1000.0,
    );
    println!(
        "sign-ins: {} in {elapsed:.1} s = {rate:.1}/s ({:.0}% of the limit; {:.1} hashes/s measured on all cores at once: {:.0}% of that), p50 {} p99 {}, errors {errors}",
        lat.len(),
        rate / limit * 100.0,
        parallel,
        rate / parallel * 100.0,
        ms(&mut lat, 0.50),
        ms(&mut lat, 0.99),
    );
    for p in probes {
        let (kind, mut l, errors) = p.await.expect("probe task");
        println!(
            "probe {kind}: {} requests, p50 {} p99 {} max {}, errors {errors}",
            l.len(),
            ms(&mut l, 0.50),
            ms(&mut l, 0.99),
            ms(&mut l, 1.0),
        );
    }
}

fn ms(v: &mut [Duration], q: f64) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort();
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    format!("{:.1} ms", v[i].as_secs_f64() * 1000.0)
}

/// `name=value` of every `Set-Cookie`, as a `Cookie` header would carry them.
fn cookies(res: &reqwest::Response, jar: &mut Vec<String>) {
    for v in res.headers().get_all(reqwest::header::SET_COOKIE) {
        if let Some(pair) = v.to_str().ok().and_then(|s| s.split(';').next()) {
            let name = pair.split('=').next().unwrap_or_default();
            jar.retain(|c| c.split('=').next() != Some(name));
            jar.push(pair.to_string());
        }
    }
}

fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_string())
}

async fn sign_in(http: &reqwest::Client, e: &Env, i: usize) -> Result<(), String> {
    let mut jar = Vec::new();
    let authorize = format!(
        "{}/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid&state=s\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        e.issuer,
        e.client_id,
        urlencode(REDIRECT)
    );
    let res = http
        .get(&authorize)
        .send()
        .await
        .map_err(|x| x.to_string())?;
    cookies(&res, &mut jar);
    let login = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or("authorize: no redirect")?
        .to_string();
    let res = http
        .get(format!("{}{login}", e.issuer))
        .header("cookie", jar.join("; "))
        .send()
        .await
        .map_err(|x| x.to_string())?;
    cookies(&res, &mut jar);
    let page = res.text().await.map_err(|x| x.to_string())?;
    let (csrf, req) = hidden(&page, "csrf_token")
        .zip(hidden(&page, "req"))
        .ok_or("login page: no form")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let otp = gerbang::domain::totp::code_at(&secret(i), now);
    let res = http
        .post(format!("{}/login", e.issuer))
        .header("cookie", jar.join("; "))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("req", req.as_str()),
            ("nip", nip(i).as_str()),
            ("password", PASSWORD),
            ("otp", otp.as_str()),
        ])
        .send()
        .await
        .map_err(|x| x.to_string())?;
    let to = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    if to.starts_with(REDIRECT) && to.contains("code=") {
        Ok(())
    } else {
        Err(format!("login: {} → {to:?}", res.status()))
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn probe(http: &reqwest::Client, e: &Env, kind: &str) -> bool {
    let req = match kind {
        "jwks" => http.get(format!("{}/jwks", e.issuer)),
        "client_credentials" => http
            .post(format!("{}/token", e.issuer))
            .header("authorization", format!("Basic {}", e.cc_basic))
            .form(&[("grant_type", "client_credentials")]),
        _ => http
            .get(format!("{}/userinfo", e.issuer))
            .bearer_auth(&e.access),
    };
    matches!(req.send().await, Ok(r) if r.status().is_success())
}
