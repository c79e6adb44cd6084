//! The downstream services: the registry file, consent, access policy, the launcher,
//! back-channel logout, PAR and private_key_jwt — each against the real server.

use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::extract::State;
use axum::http::StatusCode;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

scenarios!(
    registry_file_is_reconciled_at_start,
    consent_is_asked_once_and_revocable,
    allowed_roles_gate_tokens_and_the_launcher,
    backchannel_logout_reaches_every_service_of_the_session,
    backchannel_logout_on_session_expiry,
    pushed_authorization_requests,
    private_key_jwt_clients,
    key_rotation_without_downtime
);

fn code_from(loc: &str) -> String {
    assert!(
        loc.starts_with(REDIRECT),
        "expected a redirect to the client, got {loc}"
    );
    query_param(loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// A browser signed in (with MFA) by going through `/authorize` for `client`; returns the
/// browser and where the login sent it.
async fn signed_in(
    server: &TestServer,
    client: &str,
    scope: &str,
) -> (reqwest::Client, String, String) {
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let res = login_through(
        server,
        &b,
        &authorize_url(server, client, scope),
        &nip,
        PASSWORD,
    )
    .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    (b, location(&res), nip)
}

async fn registry_file_is_reconciled_at_start(backend: Backend) {
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("clients.toml");
    let secret = "s".repeat(40);
    let hash = gerbang::secrets::sha256_hex(&secret);
    let write = |extra: &str| {
        std::fs::write(
            &path,
            format!(
                r#"
[[client]]
id = "myasn"
name = "MyASN"
secret_hash = "{hash}"
redirect_uris = ["{REDIRECT}"]
grant_types = ["authorization_code", "refresh_token", "client_credentials"]
first_party = true
launcher_url = "http://127.0.0.1:9/myasn"
{extra}"#
            ),
        )
        .unwrap()
    };
    const DMS: &str = r#"
[[client]]
id = "dms"
name = "Lemari Digital"
secret_hash = "0000000000000000000000000000000000000000000000000000000000000000"
redirect_uris = ["http://127.0.0.1:9/dms/cb"]
"#;
    write(DMS);
    let p = path.clone();
    let server = TestServer::start_with(backend, |c| c.clients_file = Some(p)).await;
    let cc = |s: &TestServer| {
        rp_http()
            .post(s.url("/token"))
            .basic_auth("myasn", Some(secret.clone()))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(
        cc(&server).await.unwrap().status(),
        200,
        "the file's client works"
    );
    let dms = format!(
        "{}/authorize?client_id=dms&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fdms%2Fcb&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        server.base
    );
    assert_eq!(browser().get(&dms).send().await.unwrap().status(), 303);
    // The CLI's clients live beside the file's.
    server
        .add_client("cli-app", "ES256", &["authorization_code"])
        .await;

    // The file changes: DMS gone, MyASN renamed. A new replica reconciles at its start.
    write("");
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("name = \"MyASN\"", "name = \"MyASN 2\""),
    )
    .unwrap();
    let replica = server.start_replica().await;
    let page = get_text(&browser(), &dms).await;
    assert!(
        page.contains("tidak terdaftar"),
        "a removed client is refused: {page}"
    );
    let names: Vec<String> = replica
        .state
        .store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        ["Layanan cli-app", "MyASN 2"],
        "CLI client kept, file client updated"
    );
    assert_eq!(cc(&replica).await.unwrap().status(), 200);

    // Back in the file, DMS is back too, with its consents and tokens (it was only disabled).
    write(DMS);
    let again = server.start_replica().await;
    assert!(
        again
            .state
            .store
            .find_client("dms")
            .await
            .unwrap()
            .is_some()
    );

    // A file entry may not take over a CLI client; nothing of the file is applied then.
    write(
        r#"
[[client]]
id = "cli-app"
name = "Taken"
secret_hash = "0000000000000000000000000000000000000000000000000000000000000000"
redirect_uris = ["http://127.0.0.1:9/x"]
"#,
    );
    let cfg = server.state.settings.clone();
    let err = gerbang::server::build_state(cfg.clone(), server.clock().clone())
        .await
        .err()
        .expect("a clash refuses to start");
    assert!(err.to_string().contains("cli-app"), "{err}");
    // A broken file names the problem and refuses to start as well.
    std::fs::write(&path, "[[client]]\nid = \"x\"\nname = \"X\"\nredirect_uris = [\"http://evil.example/cb\"]\nsecret_hash = \"00\"\n").unwrap();
    let err = gerbang::server::build_state(cfg, server.clock().clone())
        .await
        .err()
        .expect("an invalid file refuses to start");
    assert!(err.to_string().contains("\"x\""), "{err}");
}

async fn consent_is_asked_once_and_revocable(backend: Backend) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client_with("sscasn", |c| c.first_party = false)
        .await;
    let scope = "openid profile offline_access";
    let (b, next, _) = signed_in(&server, "sscasn", scope).await;
    assert!(
        next.starts_with("/consent?req="),
        "third-party client asks first: {next}"
    );
    let page = get_text(&b, server.url(&next)).await;
    assert!(
        page.contains("Layanan sscasn") && page.contains("Nama, NIP, instansi"),
        "{page}"
    );
    assert!(
        page.contains("Akses saat Anda tidak sedang masuk"),
        "offline access is named"
    );

    // Deny: the client hears access_denied, and no code exists.
    let deny = b
        .post(server.url("/consent"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("req", hidden(&page, "req")),
            ("decision", "deny".into()),
        ])
        .send()
        .await
        .unwrap();
    let loc = location(&deny);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(query_param(&loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("s"));

    // Already signed in: straight to the consent page; allow gives a code.
    let res = b
        .get(authorize_url(&server, "sscasn", scope))
        .send()
        .await
        .unwrap();
    let next = location(&res);
    assert!(next.starts_with("/consent?req="), "{next}");
    let page = get_text(&b, server.url(&next)).await;
    let form = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("req", hidden(&page, "req")),
        ("decision", "allow".into()),
    ];
    let allow = b
        .post(server.url("/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let tokens = exchange_code(&server, "sscasn", &secret, &code_from(&location(&allow))).await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("tokens after consent")
        .to_string();
    // The same form again is spent.
    let replay = b
        .post(server.url("/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    // A request saved for the login form (here prompt=login) is not the consent form's to
    // answer: the session it asks to sign in again cannot skip that by posting "allow".
    let login = format!("{}&prompt=login", authorize_url(&server, "sscasn", scope));
    let next = location(&b.get(&login).send().await.unwrap());
    assert!(next.starts_with("/login?req="), "{next}");
    let req = next["/login?req=".len()..]
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let sneak = b
        .post(server.url("/consent"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("req", req),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sneak.status(), 400, "no code: {:?}", location(&sneak));

    // Next time no question, also with prompt=none; prompt=consent asks again.
    let res = b
        .get(authorize_url(&server, "sscasn", scope))
        .send()
        .await
        .unwrap();
    code_from(&location(&res));
    let none = format!(
        "{}&prompt=none",
        authorize_url(&server, "sscasn", "openid profile")
    );
    code_from(&location(&b.get(&none).send().await.unwrap()));
    let ask = format!("{}&prompt=consent", authorize_url(&server, "sscasn", scope));
    assert!(location(&b.get(&ask).send().await.unwrap()).starts_with("/consent?req="));
    // A wider scope than agreed asks again.
    let wider = authorize_url(&server, "sscasn", "openid email");
    assert!(location(&b.get(&wider).send().await.unwrap()).starts_with("/consent?req="));

    // Withdrawn from the account page: its refresh token dies, and prompt=none now fails.
    let revoke = || async {
        let account = get_text(&b, server.url("/account")).await;
        let form = [
            ("csrf_token", hidden(&account, "csrf_token")),
            ("client_id", "sscasn".to_string()),
            ("confirm", "yes".to_string()),
        ];
        let res = b.post(server.url("/account/consents/revoke")).form(&form);
        (account, res.send().await.unwrap())
    };
    let (account, res) = revoke().await;
    assert!(
        account.contains("Layanan sscasn"),
        "the account lists the consent"
    );
    assert_eq!(location(&res), "/account?done=consent_revoked");
    let refreshed = rp_http()
        .post(server.url("/token"))
        .basic_auth("sscasn", Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.status(),
        400,
        "the consent's refresh token is revoked"
    );
    let loc = location(&b.get(&none).send().await.unwrap());
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("consent_required"),
        "{loc}"
    );
    // Someone else's (or no) consent cannot be revoked: 404, nothing changes.
    let (_, res) = revoke().await;
    assert_eq!(res.status(), 404);
}

async fn allowed_roles_gate_tokens_and_the_launcher(backend: Backend) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client_with("siasn-admin", |c| {
            c.name = "SIASN Admin".into();
            c.allowed_roles = vec!["siasn-admin".into()];
            c.launcher_url = Some("http://127.0.0.1:9/siasn-admin".into());
        })
        .await;
    server
        .add_client_with("myasn", |c| {
            c.name = "MyASN".into();
            c.launcher_url = Some("http://127.0.0.1:9/myasn".into());
            c.launcher_icon = Some("/static/icons/myasn.svg".into());
        })
        .await;
    server
        .add_client_with("backend-only", |c| c.name = "Tanpa Launcher".into())
        .await;
    let (b, loc, nip) = signed_in(&server, "siasn-admin", "openid").await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("access_denied"),
        "no role, no code"
    );
    assert!(query_param(&loc, "code").is_none());
    let home = get_text(&b, server.url("/")).await;
    assert!(
        home.contains("MyASN") && home.contains("http://127.0.0.1:9/myasn"),
        "{home}"
    );
    assert!(home.contains("/static/icons/myasn.svg"));
    assert!(
        !home.contains("SIASN Admin"),
        "a service one may not use is not offered"
    );
    assert!(
        !home.contains("Tanpa Launcher"),
        "a service without a launcher URL is not listed"
    );

    let user = server.user(&nip).await;
    server
        .state
        .store
        .grant_role(&user.id, "siasn-admin", "")
        .await
        .unwrap();
    let res = b
        .get(authorize_url(&server, "siasn-admin", "openid"))
        .send()
        .await
        .unwrap();
    let code = code_from(&location(&res));
    assert!(get_text(&b, server.url("/")).await.contains("SIASN Admin"));

    // Issue 15 item 18: the role goes, and with it the tokens it let the service have. The
    // refresh family would otherwise live on for 30 days.
    let t = exchange_code(&server, "siasn-admin", &secret, &code).await;
    let refresh = |rt: String| {
        let (url, secret) = (server.url("/token"), secret.clone());
        async move {
            let res = rp_http()
                .post(url)
                .basic_auth("siasn-admin", Some(&secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (st, r) = refresh(t["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(st, 200, "{r}");
    let rt = r["refresh_token"].as_str().unwrap().to_string();
    assert!(
        server
            .state
            .store
            .revoke_role(&user.id, "siasn-admin", "", server.clock().now())
            .await
            .unwrap()
    );
    let (st, r) = refresh(rt).await;
    assert_eq!(
        (st.as_u16(), r["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // A role that disappears some other way (a database fix, say) is caught at the next
    // refresh all the same: the client's policy is checked again there.
    server
        .state
        .store
        .grant_role(&user.id, "siasn-admin", "")
        .await
        .unwrap();
    let res = b
        .get(authorize_url(&server, "siasn-admin", "openid"))
        .send()
        .await
        .unwrap();
    let t = exchange_code(&server, "siasn-admin", &secret, &code_from(&location(&res))).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&server.state.settings.database_url)
        .await
        .unwrap();
    sqlx::query("DELETE FROM roles WHERE user_id = $1")
        .bind(&user.id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (st, r) = refresh(t["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(
        (st.as_u16(), r["error"].as_str()),
        (400, Some("invalid_grant")),
        "{r}"
    );
    assert!(
        server
            .state
            .store
            .count_audit_events(gerbang::domain::audit::AuditKind::AccessDenied)
            .await
            .unwrap()
            >= 2
    );
}

/// A service's back-channel logout endpoint: keeps every logout token; answers 503 to the
/// first `fail_first` deliveries (to prove retry).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<String>>>,
    fail_first: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Receiver>, body: String) -> StatusCode {
    {
        let mut f = r.fail_first.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    r.got.lock().unwrap().push(token);
    StatusCode::OK
}

async fn start_receiver(fail_first: usize) -> (Receiver, String) {
    let r = Receiver::default();
    *r.fail_first.lock().unwrap() = fail_first;
    let app = axum::Router::new()
        .route("/bc/{client}", axum::routing::post(receive))
        .with_state(r.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (r, base)
}

impl Receiver {
    async fn wait_for(&self, server: &TestServer, n: usize) -> Vec<String> {
        for _ in 0..150 {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            // Retries are due after a backoff measured on the server's clock.
            server.clock().advance(5);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "expected {n} logout tokens, got {:?}",
            self.got.lock().unwrap()
        );
    }
}

/// Validates a logout token the way OIDC Back-Channel Logout §2.6 asks a service to.
async fn check_logout_token(server: &TestServer, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwks: JwkSet = get_json(&rp_http(), server.url("/jwks")).await;
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("signed by a published key");
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[&server.base]);
    v.validate_aud = false;
    v.validate_exp = false; // the test moves the server's clock
    let claims = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .expect("a valid signature")
        .claims;
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(
        claims.get("nonce").is_none(),
        "a logout token never carries a nonce"
    );
    assert!(claims["jti"].is_string() && claims["iat"].is_i64() && claims["sub"].is_string());
    claims
}

fn id_token_sid(tokens: &Value) -> String {
    jwt_part(tokens["id_token"].as_str().unwrap(), 1)["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn backchannel_logout_reaches_every_service_of_the_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (receiver, rbase) = start_receiver(1).await;
    let mut secrets = Vec::new();
    for id in ["myasn", "ekinerja"] {
        let uri = format!("{rbase}/bc/{id}");
        secrets.push(
            server
                .add_client_with(id, |c| c.backchannel_logout_uri = Some(uri))
                .await,
        );
    }
    server
        .add_client("no-backchannel", "ES256", &["authorization_code"])
        .await;
    let (b, loc, _) = signed_in(&server, "myasn", "openid").await;
    let t1 = exchange_code(&server, "myasn", &secrets[0], &code_from(&loc)).await;
    // The second service opens without a prompt (SSO) and gets tokens in the same session.
    let res = b
        .get(authorize_url(&server, "ekinerja", "openid"))
        .send()
        .await
        .unwrap();
    let t2 = exchange_code(
        &server,
        "ekinerja",
        &secrets[1],
        &code_from(&location(&res)),
    )
    .await;
    let res = b
        .get(authorize_url(&server, "no-backchannel", "openid"))
        .send()
        .await
        .unwrap();
    code_from(&location(&res));
    let sid = id_token_sid(&t1);
    assert_eq!(sid, id_token_sid(&t2));

    // RP-initiated logout from MyASN: id_token_hint, client_id, post-logout URI and state.
    let mut logout = url::Url::parse(&server.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", t1["id_token"].as_str().unwrap())
        .append_pair("client_id", "myasn")
        .append_pair("post_logout_redirect_uri", POST_LOGOUT)
        .append_pair("state", "bye");
    let res = b.get(logout.as_str()).send().await.unwrap();
    assert_eq!(
        location(&res),
        format!("{POST_LOGOUT}?state=bye"),
        "the user is not kept waiting"
    );

    // Both services hear of it (one only after a retry); the third has no URI.
    let got = receiver.wait_for(&server, 2).await;
    let mut auds = Vec::new();
    for t in &got {
        let c = check_logout_token(&server, t).await;
        assert_eq!(c["sid"], sid);
        auds.push(c["aud"].as_str().unwrap().to_string());
    }
    auds.sort();
    assert_eq!(auds, ["ekinerja", "myasn"]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        receiver.got.lock().unwrap().len(),
        2,
        "each service is told once"
    );
    assert_eq!(server.state.store.pending_logouts().await.unwrap(), 0);

    // The helpdesk or the account page ending a session goes the same way.
    let (b2, loc, nip) = signed_in(&server, "myasn", "openid").await;
    let t3 = exchange_code(&server, "myasn", &secrets[0], &code_from(&loc)).await;
    let user = server.user(&nip).await;
    gerbang::auth::session::end_all_for_user(&server.state, &user.id)
        .await
        .unwrap();
    let got = receiver.wait_for(&server, 3).await;
    assert_eq!(
        check_logout_token(&server, &got[2]).await["sid"],
        id_token_sid(&t3)
    );
    let res = b2
        .get(format!(
            "{}&prompt=none",
            authorize_url(&server, "myasn", "openid")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required")
    );
}

async fn backchannel_logout_on_session_expiry(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (receiver, rbase) = start_receiver(0).await;
    let uri = format!("{rbase}/bc/dms");
    let secret = server
        .add_client_with("dms", |c| c.backchannel_logout_uri = Some(uri))
        .await;
    let (_b, loc, _) = signed_in(&server, "dms", "openid").await;
    let tokens = exchange_code(&server, "dms", &secret, &code_from(&loc)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        receiver.got.lock().unwrap().is_empty(),
        "nothing before the session ends"
    );
    // Nobody signs out: the session simply runs out (10 h).
    server
        .clock()
        .advance(server.state.settings.sso_session_ttl_secs + 1);
    let got = receiver.wait_for(&server, 1).await;
    let c = check_logout_token(&server, &got[0]).await;
    assert_eq!(c["sid"], id_token_sid(&tokens));
    assert_eq!(c["aud"], "dms");
}

async fn pushed_authorization_requests(backend: Backend) {
    let server = TestServer::start(backend).await;
    let secret = server
        .add_client("siasn", "ES256", &["authorization_code"])
        .await;
    let other = server
        .add_client("other", "ES256", &["authorization_code"])
        .await;
    let push = |id: &'static str, secret: String, extra: Vec<(&'static str, String)>| {
        let mut form = vec![
            ("response_type", "code".to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("scope", "openid profile".to_string()),
            ("state", "par-state".to_string()),
            ("code_challenge", CHALLENGE.to_string()),
            ("code_challenge_method", "S256".to_string()),
        ];
        form.extend(extra);
        rp_http()
            .post(server.url("/par"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
    };
    let res = push("siasn", secret.clone(), vec![]).await.unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let uri = body["request_uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(body["expires_in"], 60);

    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let b = browser();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let by_ref = |client: &str, uri: &str| {
        format!(
            "{}/authorize?client_id={client}&request_uri={}",
            server.base,
            enc(uri)
        )
    };
    // Another client cannot redeem it (and does not burn it).
    assert_eq!(
        b.get(by_ref("other", &uri)).send().await.unwrap().status(),
        400
    );
    let res = login_through(&server, &b, &by_ref("siasn", &uri), &nip, PASSWORD).await;
    let loc = location(&res);
    assert_eq!(
        query_param(&loc, "state").as_deref(),
        Some("par-state"),
        "pushed state is used"
    );
    let tokens = exchange_code(&server, "siasn", &secret, &code_from(&loc)).await;
    assert!(tokens["id_token"].is_string());
    // One use only.
    let page = b.get(by_ref("siasn", &uri)).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("kedaluwarsa atau sudah dipakai")
    );

    // Bad pushes are refused as JSON, with the reason.
    let res = push(
        "siasn",
        secret.clone(),
        vec![("code_challenge_method", "plain".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["error"], "invalid_request", "{e}");
    let res = push("other", "wrong".repeat(10), vec![]).await.unwrap();
    assert_eq!(res.status(), 401);
    let res = push("other", other, vec![("request_uri", uri.clone())])
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = rp_http()
        .post(server.url("/par"))
        .basic_auth("siasn", Some(&secret))
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "an unregistered redirect URI is refused at push time"
    );
    // Discovery announces the endpoint.
    let meta: Value = get_json(&rp_http(), server.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        meta["pushed_authorization_request_endpoint"],
        server.url("/par")
    );
}

/// A P-256 key pair: the private key for signing and its public JWK (with `kid`).
fn es256_key(kid: &str) -> (EncodingKey, Jwk) {
    use p256::pkcs8::EncodePrivateKey;
    let sk = p256::SecretKey::random(&mut rand_core06::OsRng);
    let pem = sk.to_pkcs8_pem(Default::default()).unwrap();
    let enc = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&enc, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.into());
    (enc, jwk)
}

fn assertion(key: &EncodingKey, kid: &str, client: &str, aud: &str, exp_in: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.into());
    let claims = json!({"iss": client, "sub": client, "aud": aud, "iat": now, "exp": now + exp_in, "jti": uuid::Uuid::new_v4().to_string()});
    jsonwebtoken::encode(&h, &claims, key).unwrap()
}

async fn private_key_jwt_clients(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (key, jwk) = es256_key("k1");
    let inline = serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap();
    server
        .add_client_with("lemari", |c| {
            c.auth_method = gerbang::store::clients::AuthMethod::PrivateKeyJwt;
            c.secret_hash = String::new();
            c.jwks = Some(inline);
            c.grant_types = vec!["authorization_code".into(), "client_credentials".into()];
        })
        .await;
    let token = |a: String| {
        rp_http()
            .post(server.url("/token"))
            .form(&[
                ("grant_type", "client_credentials".to_string()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ),
                ("client_assertion", a),
            ])
            .send()
    };
    let good = assertion(&key, "k1", "lemari", &server.base, 60);
    assert_eq!(token(good.clone()).await.unwrap().status(), 200);
    assert_eq!(
        token(good).await.unwrap().status(),
        401,
        "an assertion is good once"
    );
    let at_token_endpoint = assertion(&key, "k1", "lemari", &server.url("/token"), 60);
    assert_eq!(token(at_token_endpoint).await.unwrap().status(), 200);
    let (stranger, _) = es256_key("k1");
    for bad in [
        assertion(&stranger, "k1", "lemari", &server.base, 60),
        assertion(&key, "k1", "lemari", "https://elsewhere.example", 60),
        assertion(&key, "k1", "lemari", &server.base, -120),
        assertion(&key, "k2", "lemari", &server.base, 60),
    ] {
        let res = token(bad).await.unwrap();
        assert_eq!(res.status(), 401);
        let e: Value = res.json().await.unwrap();
        assert_eq!(e["error"], "invalid_client");
    }
    // No secret works for a key client.
    let res = rp_http()
        .post(server.url("/token"))
        .basic_auth("lemari", Some(""))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Keys published at a URI, fetched (and re-fetched when a new kid appears).
    let (key2, jwk2) = es256_key("k2");
    let published = Arc::new(Mutex::new(JwkSet { keys: vec![jwk2] }));
    let p = published.clone();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let p = p.clone();
            async move { axum::Json(p.lock().unwrap().clone()) }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_uri = format!("http://{}/jwks", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    server
        .add_client_with("dms", |c| {
            c.auth_method = gerbang::store::clients::AuthMethod::PrivateKeyJwt;
            c.secret_hash = String::new();
            c.jwks_uri = Some(jwks_uri);
            c.grant_types = vec!["client_credentials".into()];
        })
        .await;
    assert_eq!(
        token(assertion(&key2, "k2", "dms", &server.base, 60))
            .await
            .unwrap()
            .status(),
        200
    );
    let (key3, jwk3) = es256_key("k3");
    published.lock().unwrap().keys.push(jwk3);
    assert_eq!(
        token(assertion(&key3, "k3", "dms", &server.base, 60))
            .await
            .unwrap()
            .status(),
        200,
        "a rotated-in key is picked up without waiting for the cache"
    );
}

fn kid_of(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

async fn jwks_kids(server: &TestServer) -> Vec<String> {
    let set: JwkSet = get_json(&rp_http(), server.url("/jwks")).await;
    set.keys
        .into_iter()
        .filter_map(|k| k.common.key_id)
        .collect()
}

/// `gerbang keys rotate` on a running server: the next key is published first and signs
/// only after the publish delay; tokens signed by the old key keep verifying meanwhile.
async fn key_rotation_without_downtime(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.key_publish_delay_secs = 600).await;
    let secret = server
        .add_client("svc", "ES256", &["client_credentials"])
        .await;
    let token = || client_token(&server, "svc", &secret);
    let before = token().await;
    let old_kid = kid_of(&before);
    let rotated_at = server.clock().now();
    let added = gerbang::admin::keys_rotate(&server.state.settings).unwrap();
    assert_eq!(added.len(), 2, "one new key per algorithm");
    // The running server notices the new ring by itself (it checks every 5 s).
    let mut kids = Vec::new();
    for _ in 0..100 {
        kids = jwks_kids(&server).await;
        if added.iter().all(|k| kids.contains(k)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        added.iter().all(|k| kids.contains(k)),
        "published: {kids:?}"
    );
    assert!(kids.contains(&old_kid), "the old key stays published");
    assert_eq!(
        kid_of(&token().await),
        old_kid,
        "the new key does not sign yet"
    );
    let introspect = |t: String| {
        rp_http()
            .post(server.url("/introspect"))
            .basic_auth("svc", Some(secret.clone()))
            .form(&[("token", t)])
            .send()
    };
    // Just before the switch the old key signs; just after, the new one does, and the
    // old key's token still verifies (it is live for another ~5 minutes).
    let clock = server.clock();
    clock.advance(rotated_at + 595 - clock.now());
    let last_old = token().await;
    assert_eq!(kid_of(&last_old), old_kid);
    clock.advance(rotated_at + 601 - clock.now());
    let after = token().await;
    assert!(
        added.contains(&kid_of(&after)),
        "the new key signs after the delay"
    );
    for t in [last_old, after] {
        let v: Value = introspect(t).await.unwrap().json().await.unwrap();
        assert_eq!(v["active"], true, "{v}");
    }
    assert!(jwks_kids(&server).await.contains(&old_kid));
}
