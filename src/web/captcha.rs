//! Captchas (the `captcha` crate): single-use, expiring, answered without regard to case,
//! drawn from characters that cannot be mistaken for one another. The image is served from
//! `/captcha/{id}`; forms carry the id and the typed answer. `/captcha/new` swaps a page's
//! captcha for a fresh one without reloading the page (`static/captcha.js`).
//!
//! Only the answer is stored (tens of bytes, not a ~9 KB PNG): anyone can open the reset
//! page, so what a page view leaves in the cache must be small. The image is drawn from the
//! answer when it is fetched, with fresh noise each time.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError};
use crate::secrets::{ct_eq, random_token};
use crate::state::AppState;

pub const ID_FIELD: &str = "captcha_id";
pub const ANSWER_FIELD: &str = "captcha";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/captcha/new", get(get_new))
        .route("/captcha/{id}", get(get_captcha))
}

#[derive(Serialize, Deserialize)]
pub struct Stored {
    answer: String,
}

/// A captcha's answer, for the captcha's life (`captcha_ttl_secs`), under its id.
pub struct CaptchaEntry;

impl cache::Kind for CaptchaEntry {
    const NS: &'static str = "captcha";
    type Key<'k> = &'k str;
}
impl cache::Entry for CaptchaEntry {
    type Value = cache::Json<Stored>;
}

/// How often a captcha was drawn, for the captcha's life. No captcha id can reach this
/// namespace.
struct DrawCount;

impl cache::Kind for DrawCount {
    const NS: &'static str = "captcha_draws";
    type Key<'k> = &'k str;
}
impl cache::Counter for DrawCount {}

const WIDTH: u32 = 220;
const HEIGHT: u32 = 120;

/// What answers are drawn from: none of c/C s/S u/U v/V w/W x/X y/Y z/Z o/O/0 l/1/I i/j
/// (shape differs by case only, or alike across letters and digits), nor B/8, G/6, b/6,
/// g/q/9, Q/O. The comparison ignores case as well, so "a" and "A" are both right for "A".
pub const ALPHABET: &str = "ADEFHJKMNPRTadefhkmnprt23456789";

/// A new answer: 4 to 6 characters of `ALPHABET`. Sync on purpose (as `draw`): the crate's
/// RNG is not `Send`, so it must never live across an `.await`.
fn new_answer() -> String {
    use rand::Rng;
    let n = rand::rng().random_range(4..=6);
    let chars: Vec<char> = ALPHABET.chars().collect();
    captcha::Captcha::new()
        .set_chars(&chars)
        .add_chars(n)
        .chars_as_string()
}

/// An answer as compared: trimmed, inner spaces dropped, case folded.
fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// The image for `answer` (the crate's "mila", easy: noise, a wave, no grid).
fn draw(answer: &str) -> Option<Vec<u8>> {
    use captcha::filters::{Noise, Wave};
    let mut c = captcha::Captcha::new();
    for ch in answer.chars() {
        c.set_chars(&[ch]).add_char();
    }
    if c.chars_as_string() != answer {
        return None;
    }
    c.apply_filter(Noise::new(0.2))
        .apply_filter(Wave::new(2.0, 20.0))
        .view(WIDTH, HEIGHT);
    c.as_png()
}

/// Creates a captcha and returns its id.
pub async fn create(state: &AppState) -> Result<String, CacheError> {
    let id = random_token();
    let stored = Stored {
        answer: new_answer(),
    };
    state
        .cache
        .put::<CaptchaEntry>(&id, &stored, state.settings.captcha_ttl_secs)
        .await?;
    Ok(id)
}

/// Checks an answer, consuming the captcha whatever the outcome: one try per image.
pub async fn verify(state: &AppState, id: &str, answer: &str) -> Result<bool, CacheError> {
    if id.is_empty() || id.len() > 64 {
        return Ok(false);
    }
    let Some(stored) = state.cache.take::<CaptchaEntry>(id).await? else {
        return Ok(false);
    };
    Ok(ct_eq(
        folded(&stored.answer).as_bytes(),
        folded(answer).as_bytes(),
    ))
}

/// Spends a captcha without looking at an answer: the page asked for another image.
pub async fn discard(state: &AppState, id: &str) -> Result<(), CacheError> {
    if !id.is_empty() && id.len() <= 64 {
        state.cache.take::<CaptchaEntry>(id).await?;
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// The captcha the page showed: spent now, so swapping images never piles up answers.
    old: String,
}

#[derive(Serialize)]
struct NewCaptcha {
    id: String,
    src: String,
}

/// A fresh captcha for a page that wants another image (JSON: its id and image address).
/// Limited per IP with the pages that draw captchas; the old one, if given, is spent.
async fn get_new(State(state): State<AppState>, Query(q): Query<NewQuery>) -> Response {
    if discard(&state, &q.old).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match create(&state).await {
        Ok(id) => {
            let src = format!("/captcha/{id}");
            let body = Json(NewCaptcha { id, src });
            ([(header::CACHE_CONTROL, "no-store")], body).into_response()
        }
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// How often one captcha may be drawn (counted under its own key prefix, which no captcha
/// id can reach, for the captcha's life).
const MAX_DRAWS: i64 = 3;

async fn get_captcha(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let stored = match state.cache.get::<CaptchaEntry>(&id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    // A few drawings per captcha (a reload, a back button), not a stream of fresh noise to
    // average away, nor a way to make the server draw without end.
    match state
        .cache
        .count::<DrawCount>(&id, state.settings.captcha_ttl_secs.max(1))
        .await
    {
        Ok(n) if n <= MAX_DRAWS => {}
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
    let Some(png) = draw(&stored.answer) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        png,
    )
        .into_response();
    test_hook(&mut res, &stored.answer);
    res
}

/// Only in builds with the `test-hooks` feature AND with `GERBANG_TEST_HOOKS=1`: the answer
/// rides along for black-box tests. A default build has no such code path at all.
#[cfg(feature = "test-hooks")]
fn test_hook(res: &mut Response, answer: &str) {
    if std::env::var("GERBANG_TEST_HOOKS").as_deref() == Ok("1")
        && let Ok(v) = HeaderValue::from_str(answer)
    {
        res.headers_mut().insert("x-gerbang-test-captcha", v);
    }
}

#[cfg(not(feature = "test-hooks"))]
fn test_hook(_: &mut Response, _: &str) {}

#[cfg(test)]
mod tests {
    #[test]
    fn answers_use_only_the_unambiguous_alphabet_and_ignore_case() {
        for _ in 0..200 {
            let answer = super::new_answer();
            assert!(
                answer.chars().all(|c| super::ALPHABET.contains(c)),
                "{answer}"
            );
        }
        for c in "cCsSuUvVwWxXyYzZoO0l1IijBG8bgq9Q".chars() {
            if c == '8' || c == '9' {
                continue; // digits kept: their look-alikes (B, g, q) are out
            }
            assert!(!super::ALPHABET.contains(c), "{c} is a look-alike");
        }
        assert_eq!(super::folded(" aDe f "), super::folded("ADEF"));
    }

    #[test]
    fn draws_an_answer_and_a_png() {
        for _ in 0..20 {
            let answer = super::new_answer();
            assert!((4..=6).contains(&answer.chars().count()), "{answer}");
            let png = super::draw(&answer).unwrap();
            assert_eq!(&png[..4], b"\x89PNG");
        }
    }
}
