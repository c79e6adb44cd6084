//! A downstream service signs a person in through Gerbang with the `openidconnect` crate:
//! discovery, code + PKCE, ID token against JWKS, userinfo, refresh, SSO, logout.

use crate::common::*;
use openidconnect::core::{
    CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

scenarios!(
    sign_in_refresh_and_sso_then_logout,
    rs256_client_and_max_age
);

type Rp = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

async fn relying_party(server: &TestServer, id: &str, secret: &str) -> Rp {
    let meta = CoreProviderMetadata::discover_async(
        IssuerUrl::new(server.base.clone()).unwrap(),
        &rp_http(),
    )
    .await
    .expect("discovery and JWKS are valid for openidconnect");
    CoreClient::from_provider_metadata(
        meta,
        ClientId::new(id.into()),
        Some(ClientSecret::new(secret.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

struct Started {
    url: String,
    csrf: CsrfToken,
    nonce: Nonce,
    verifier: openidconnect::PkceCodeVerifier,
}

fn start(rp: &Rp, extra: &[(&str, &str)]) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge);
    for (k, v) in extra {
        req = req.add_extra_param(*k, *v);
    }
    let (url, csrf, nonce) = req.url();
    Started {
        url: url.to_string(),
        csrf,
        nonce,
        verifier,
    }
}

/// Reads the authorization response and checks `state` and the RFC 9207 `iss`.
fn code_from(server: &TestServer, callback: &str, s: &Started) -> String {
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(
        query_param(callback, "state").as_deref(),
        Some(s.csrf.secret().as_str())
    );
    assert_eq!(
        query_param(callback, "iss").as_deref(),
        Some(server.base.as_str())
    );
    query_param(callback, "code").expect("a code")
}

async fn sign_in_refresh_and_sso_then_logout(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, sub) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("myasn", "ES256", &["authorization_code", "refresh_token"])
        .await;
    let rp = relying_party(&server, "myasn", &secret).await;
    let b = browser();

    let s = start(&rp, &[]);
    let res = login_through(&server, &b, &s.url, &nip, PASSWORD).await;
    assert_eq!(res.status(), 302);
    let code = code_from(&server, &location(&res), &s);

    let http = rp_http();
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(s.verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let id_token = tokens.id_token().expect("an ID token");
    let claims: &CoreIdTokenClaims = id_token
        .claims(&verifier, &s.nonce)
        .expect("ID token verifies against JWKS");
    assert_eq!(claims.subject().as_str(), sub);
    assert_eq!(claims.preferred_username().unwrap().as_str(), nip);
    assert_eq!(
        claims.email().unwrap().as_str(),
        format!("siti.{nip}@bkn.go.id")
    );
    assert_eq!(
        claims.email_verified(),
        Some(false),
        "imported e-mail not yet proven"
    );
    assert!(claims.auth_time().is_some());
    assert_eq!(
        claims.auth_context_ref().unwrap().as_str(),
        "urn:gerbang:loa:2"
    );
    let amr: Vec<String> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(amr, vec!["pwd", "otp"]);
    // The access-token hash binds the two tokens together.
    let at_hash = claims.access_token_hash().expect("at_hash");
    let expected = openidconnect::AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(at_hash, &expected);

    // Raw claims the crate does not model: nip, instansi_id, sid; header typ of the access token.
    let raw = decode_payload(&id_token.to_string());
    assert_eq!(raw["nip"], nip.as_str());
    assert_eq!(raw["instansi_id"], "4011");
    let sid = raw["sid"].as_str().expect("sid").to_string();
    let at_header = decode_header(tokens.access_token().secret());
    assert_eq!(at_header["typ"], "at+jwt");
    assert_eq!(at_header["alg"], "ES256");
    let at = decode_payload(tokens.access_token().secret());
    assert_eq!(at["client_id"], "myasn");
    assert_eq!(at["sub"], sub.as_str());
    assert_eq!(at["sid"], sid.as_str());

    let info: CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(
        info.name().unwrap().get(None).unwrap().as_str(),
        "Siti Rahayu"
    );
    assert_eq!(info.preferred_username().unwrap().as_str(), nip);

    // Refresh rotates: the new token works, the old one is spent.
    let refresh1 = tokens.refresh_token().expect("a refresh token").clone();
    let t2 = rp
        .exchange_refresh_token(&refresh1)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let refresh2 = t2.refresh_token().expect("a rotated refresh token").clone();
    assert_ne!(refresh1.secret(), refresh2.secret());
    let t2_id = t2.id_token().expect("an ID token on refresh");
    let c2 = t2_id.claims(&verifier, |_: Option<&Nonce>| Ok(())).unwrap();
    assert_eq!(c2.subject().as_str(), sub);

    // SSO: a second service in the same browser gets its code with no prompt.
    let secret2 = server
        .add_client("ekinerja", "ES256", &["authorization_code"])
        .await;
    let rp2 = relying_party(&server, "ekinerja", &secret2).await;
    let s2 = start(&rp2, &[]);
    let res = b.get(&s2.url).send().await.unwrap();
    assert_eq!(res.status(), 302, "no login form the second time");
    let code2 = code_from(&server, &location(&res), &s2);
    let t3 = rp2
        .exchange_code(AuthorizationCode::new(code2))
        .unwrap()
        .set_pkce_verifier(s2.verifier)
        .request_async(&http)
        .await
        .unwrap();
    let c3 = t3
        .id_token()
        .unwrap()
        .claims(
            &rp2.id_token_verifier()
                .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]),
            &s2.nonce,
        )
        .unwrap();
    assert_eq!(c3.subject().as_str(), sub);
    assert_eq!(
        decode_payload(&t3.id_token().unwrap().to_string())["sid"],
        sid.as_str(),
        "one SSO session"
    );

    // RP-initiated logout with id_token_hint, registered post-logout URI and state.
    let mut logout = url::Url::parse(&server.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token.to_string())
        .append_pair("post_logout_redirect_uri", POST_LOGOUT)
        .append_pair("state", "xyz");
    let res = b.get(logout.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("{POST_LOGOUT}?state=xyz"));

    // The SSO session is gone: prompt=none now fails, and the session's refresh token is dead.
    let s3 = start(&rp, &[("prompt", "none")]);
    let res = b.get(&s3.url).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("login_required")
    );
    let err = rp
        .exchange_refresh_token(&refresh2)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(
        err.is_err(),
        "logout ends the refresh tokens of the session"
    );
}

async fn rs256_client_and_max_age(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (nip, _) = server.add_user(Some(PASSWORD)).await;
    let secret = server
        .add_client("siasn", "RS256", &["authorization_code"])
        .await;
    let rp = relying_party(&server, "siasn", &secret).await;
    let b = browser();
    let s = start(&rp, &[]);
    let res = login_through(&server, &b, &s.url, &nip, PASSWORD).await;
    let code = code_from(&server, &location(&res), &s);
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(s.verifier)
        .request_async(&rp_http())
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    // The crate's default verifier accepts RS256 only: this is the interoperable path.
    let claims = id_token
        .claims(&rp.id_token_verifier(), &s.nonce)
        .expect("RS256 ID token verifies");
    assert_eq!(decode_header(&id_token.to_string())["alg"], "RS256");
    let auth_time = claims.auth_time().unwrap();

    // max_age: a session older than max_age must sign in again; a younger one does not.
    server.clock().advance(120);
    let young = start(&rp, &[("max_age", "600")]);
    let res = b.get(&young.url).send().await.unwrap();
    assert_eq!(res.status(), 302, "session is within max_age");
    let old = start(&rp, &[("max_age", "60")]);
    let res = b.get(&old.url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login?req="));
    // prompt=login forces the form even with a fresh session, and yields a new auth_time.
    let again = start(&rp, &[("prompt", "login")]);
    let res = login_through(&server, &b, &again.url, &nip, PASSWORD).await;
    let code = code_from(&server, &location(&res), &again);
    let t = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(again.verifier)
        .request_async(&rp_http())
        .await
        .unwrap();
    let c = t
        .id_token()
        .unwrap()
        .claims(&rp.id_token_verifier(), &again.nonce)
        .unwrap();
    assert!(c.auth_time().unwrap() > auth_time);
}

fn decode_payload(jwt: &str) -> serde_json::Value {
    jwt_part(jwt, 1)
}
fn decode_header(jwt: &str) -> serde_json::Value {
    jwt_part(jwt, 0)
}
