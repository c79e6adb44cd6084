//! Captchas (the `captcha` crate): case-sensitive, single-use, expiring. The image is served
//! from `/captcha/{id}`; forms carry the id and the typed answer.
//!
//! Only the answer is stored (tens of bytes, not a ~9 KB PNG): anyone can open the reset
//! page, so what a page view leaves in the cache must be small. The image is drawn from the
//! answer when it is fetched, with fresh noise each time.

use axum::Router;
use axum::extract::{Path, State};
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
    Router::new().route("/captcha/{id}", get(get_captcha))
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

/// A new answer: 4 to 6 characters the crate's font can draw. Sync on purpose (as `draw`):
/// the crate's RNG is not `Send`, so it must never live across an `.await`.
fn new_answer() -> String {
    use rand::Rng;
    let n = rand::rng().random_range(4..=6);
    captcha::Captcha::new().add_chars(n).chars_as_string()
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
    Ok(ct_eq(stored.answer.as_bytes(), answer.trim().as_bytes()))
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
    fn draws_an_answer_and_a_png() {
        for _ in 0..20 {
            let answer = super::new_answer();
            assert!((4..=6).contains(&answer.chars().count()), "{answer}");
            let png = super::draw(&answer).unwrap();
            assert_eq!(&png[..4], b"\x89PNG");
        }
    }
}
