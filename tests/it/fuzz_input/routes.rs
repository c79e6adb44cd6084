//! The routes `fuzz_input` sends to: every one the router mounts (checked by
//! `the_fuzzed_routes_are_every_mounted_route`), with the fields each handler reads.

/// Method, path, and the fields the handler reads with a plausible value (`$name`: filled in
/// per run; empty: sent only when it is the field under test). Routes that can end the
/// session come last, so a signed-in run stays signed in for the others.
pub type Route = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const AUTHZ: &[(&str, &str)] = &[
    ("client_id", "$client"),
    ("redirect_uri", "$redirect"),
    ("response_type", "code"),
    ("scope", "openid"),
    ("state", "s"),
    ("nonce", "n"),
    ("code_challenge", "$challenge"),
    ("code_challenge_method", "S256"),
    ("max_age", "600"),
    ("ui_locales", "en"),
    ("acr_values", ""),
    ("claims", ""),
    ("login_hint", "$nip"),
    ("prompt", ""),
    ("request_uri", ""),
    ("response_mode", ""),
    ("request", ""),
];

const TOKEN: &[(&str, &str)] = &[
    ("grant_type", "authorization_code"),
    ("code", "c0de"),
    ("redirect_uri", "$redirect"),
    ("code_verifier", "$verifier"),
    ("refresh_token", ""),
    ("scope", ""),
    ("client_id", "$client"),
    ("client_secret", "$secret"),
    ("client_assertion", ""),
    ("client_assertion_type", ""),
];

const PAR: &[(&str, &str)] = &[
    ("client_id", "$client"),
    ("client_secret", "$secret"),
    ("redirect_uri", "$redirect"),
    ("response_type", "code"),
    ("scope", "openid"),
    ("state", "s"),
    ("code_challenge", "$challenge"),
    ("code_challenge_method", "S256"),
    ("claims", ""),
    ("login_hint", ""),
];

const TOKEN_OPS: &[(&str, &str)] = &[
    ("token", "$token"),
    ("token_type_hint", "access_token"),
    ("client_id", "$client"),
    ("client_secret", "$secret"),
    ("client_assertion", ""),
    ("client_assertion_type", ""),
];

const LOGOUT: &[(&str, &str)] = &[
    ("id_token_hint", ""),
    ("post_logout_redirect_uri", "$post_logout"),
    ("state", "s"),
    ("client_id", "$client"),
    ("ui_locales", ""),
    ("csrf_token", "$csrf"),
];

pub const ROUTES: &[Route] = &[
    ("GET", "/", &[]),
    ("GET", "/.well-known/openid-configuration", &[]),
    ("GET", "/.well-known/oauth-authorization-server", &[]),
    ("GET", "/jwks", &[]),
    ("GET", "/authorize", AUTHZ),
    ("POST", "/authorize", AUTHZ),
    ("POST", "/token", TOKEN),
    ("POST", "/par", PAR),
    ("GET", "/userinfo", &[("access_token", "")]),
    ("POST", "/userinfo", &[("access_token", "")]),
    ("POST", "/introspect", TOKEN_OPS),
    ("POST", "/revoke", TOKEN_OPS),
    ("GET", "/logout", LOGOUT),
    (
        "GET",
        "/login",
        &[("req", ""), ("done", ""), ("nip", "$nobody")],
    ),
    (
        "POST",
        "/login",
        &[
            ("csrf_token", "$csrf"),
            ("nip", "$nobody"),
            ("password", "salah-sekali"),
            ("otp", "123456"),
            ("req", ""),
            ("captcha_id", ""),
            ("captcha", ""),
            ("new_captcha", ""),
        ],
    ),
    ("GET", "/login/otp", &[]),
    ("GET", "/login/locked", &[("s", "x")]),
    ("GET", "/not-me", &[("t", "x"), ("ended", "1")]),
    ("POST", "/not-me", &[("t", "x")]),
    (
        "POST",
        "/login/otp",
        &[("csrf_token", "$csrf"), ("otp", "123456")],
    ),
    ("GET", "/consent", &[("req", "r")]),
    (
        "POST",
        "/consent",
        &[("csrf_token", "$csrf"), ("req", "r"), ("decision", "allow")],
    ),
    ("GET", "/reset", &[("nip", "$nobody"), ("req", "")]),
    (
        "POST",
        "/reset",
        &[
            ("csrf_token", "$csrf"),
            ("nip", "$nobody"),
            ("email", "a@bkn.go.id"),
            ("captcha_id", ""),
            ("captcha", ""),
            ("req", ""),
        ],
    ),
    ("GET", "/reset/sent", &[]),
    (
        "GET",
        "/reset/confirm",
        &[("nip", "$nobody"), ("code", "12345678"), ("req", "")],
    ),
    (
        "POST",
        "/reset/confirm",
        &[
            ("csrf_token", "$csrf"),
            ("nip", "$nobody"),
            ("code", "12345678"),
            ("password", "Sandi#Baru2026x"),
            ("password_confirm", "Sandi#Baru2026x"),
            ("req", ""),
        ],
    ),
    ("GET", "/mfa/enrol", &[]),
    (
        "POST",
        "/mfa/enrol",
        &[
            ("csrf_token", "$csrf"),
            ("otp", "123456"),
            ("device_name", "HP"),
            ("current_otp", ""),
            ("current_password", ""),
        ],
    ),
    ("GET", "/mfa/continue", &[]),
    ("GET", "/mfa/recovery", &[("t", "x")]),
    ("GET", "/account", &[("done", "")]),
    ("GET", "/account/recovery/codes", &[("t", "x")]),
    ("GET", "/account/recovery/download", &[("t", "x")]),
    (
        "GET",
        "/account/confirm",
        &[("what", "session"), ("sid", "x"), ("client_id", "$client")],
    ),
    (
        "POST",
        "/account/consents/revoke",
        &[
            ("csrf_token", "$csrf"),
            ("client_id", "$client"),
            ("confirm", "yes"),
        ],
    ),
    (
        "GET",
        "/helpdesk",
        &[("nip", "$nip"), ("done", ""), ("name", "")],
    ),
    (
        "POST",
        "/helpdesk/action",
        &[
            ("csrf_token", "$csrf"),
            ("nip", "$nip"),
            ("action", "unlock"),
            ("reason", "ditelepon, dicek"),
            ("confirm", "yes"),
            ("new_email", ""),
        ],
    ),
    (
        "GET",
        "/helpdesk/audit",
        &[
            ("actor", "$nip"),
            ("subject", "$nip"),
            ("kind", "login_failed"),
            ("from", "2026-01-01"),
            ("to", "2026-12-31"),
            ("format", ""),
        ],
    ),
    ("GET", "/api/helpdesk/users/{nip}", &[]),
    (
        "POST",
        "/api/helpdesk/users/{nip}/actions",
        &[
            ("action", "unlock"),
            ("reason", "ditelepon, dicek"),
            ("new_email", ""),
        ],
    ),
    ("GET", "/api/openapi.json", &[]),
    ("GET", "/healthz", &[]),
    ("GET", "/readyz", &[]),
    ("GET", "/metrics", &[]),
    ("GET", "/static/gerbang.css", &[]),
    ("GET", "/static/password.js", &[]),
    ("GET", "/static/form_post.js", &[]),
    ("GET", "/static/logout.js", &[]),
    ("GET", "/static/captcha.js", &[]),
    ("GET", "/static/print.js", &[]),
    ("GET", "/static/reveal.js", &[]),
    ("GET", "/captcha/new", &[("old", "")]),
    ("GET", "/captcha/{id}", &[]),
    // Last: these spend the session's budget of proofs (five wrong codes end it) or end
    // it; a signed-in run checks it is still signed in before each (`revive`).
    (
        "POST",
        "/account/devices/{id}/rename",
        &[
            ("csrf_token", "$csrf"),
            ("device_name", "HP baru"),
            ("otp", "123456"),
        ],
    ),
    (
        "POST",
        "/account/devices/{id}/remove",
        &[
            ("csrf_token", "$csrf"),
            ("otp", "123456"),
            ("password", "$password"),
            ("confirm", "yes"),
        ],
    ),
    (
        "POST",
        "/account/password",
        &[
            ("csrf_token", "$csrf"),
            ("current_password", "$password"),
            ("otp", "123456"),
            ("password", "Sandi#Baru2026x"),
            ("password_confirm", "Sandi#Baru2026x"),
        ],
    ),
    (
        "POST",
        "/account/recovery",
        &[
            ("csrf_token", "$csrf"),
            ("otp", "123456"),
            ("confirm", "yes"),
        ],
    ),
    (
        "POST",
        "/helpdesk/step-up",
        &[("csrf_token", "$csrf"), ("otp", "123456"), ("nip", "$nip")],
    ),
    (
        "POST",
        "/account/sessions/end",
        &[("csrf_token", "$csrf"), ("sid", "x"), ("confirm", "yes")],
    ),
    ("POST", "/logout", LOGOUT),
];
