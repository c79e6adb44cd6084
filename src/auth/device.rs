//! The known-browser cookie: a signed, long-lived list of the accounts that completed a full
//! login in this browser. Failures from other browsers cannot lock those accounts out here.

use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::secrets::{ct_eq, random_token};
use crate::state::AppState;

pub const COOKIE: &str = "gerbang_device";
/// A shared office PC may serve a few people; older entries fall off.
const MAX_USERS: usize = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    /// Random per browser: keys this browser's own failure counters.
    pub id: String,
    /// (user id, when the full login happened)
    pub users: Vec<(String, i64)>,
}

impl Device {
    pub fn knows(&self, user_id: &str, now: i64, ttl: i64) -> bool {
        self.users
            .iter()
            .any(|(u, at)| u == user_id && at + ttl > now)
    }
}

fn mac(secret: &[u8; 32], payload: &str) -> String {
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(b"device:");
    m.update(payload.as_bytes());
    URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// The browser's device record, if its cookie carries a valid signature.
pub fn read(state: &AppState, jar: &CookieJar) -> Option<Device> {
    let value = jar.get(COOKIE)?.value().to_string();
    let (payload, sig) = value.split_once('.')?;
    if !ct_eq(
        mac(state.keys().secret(), payload).as_bytes(),
        sig.as_bytes(),
    ) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Records a completed full login for `user_id` in this browser.
pub fn remember(state: &AppState, jar: CookieJar, user_id: &str, now: i64) -> CookieJar {
    let ttl = state.settings.lockout.known_browser_ttl_secs;
    let mut device = read(state, &jar).unwrap_or_else(|| Device {
        id: random_token(),
        users: Vec::new(),
    });
    device
        .users
        .retain(|(u, at)| u != user_id && at + ttl > now);
    device.users.push((user_id.to_string(), now));
    if device.users.len() > MAX_USERS {
        device.users.remove(0);
    }
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&device).unwrap_or_default());
    let value = format!("{payload}.{}", mac(state.keys().secret(), &payload));
    let mut cookie = crate::web::cookie::cookie(state, COOKIE, value);
    cookie.set_max_age(time::Duration::seconds(ttl));
    jar.add(cookie)
}
