"""A downstream service written the ordinary Python way: Authlib does code + PKCE, the ID
token is validated against JWKS, then userinfo, refresh and end-session. The Rust test
(tests/it/interop.rs) gives it a signed-in browser's cookie and reads one JSON line."""

import json
import os

# Loopback test server over http; production issuers are https.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402

issuer = os.environ["ISSUER"]
cookie = os.environ["SSO_COOKIE"]
client_id = os.environ["CLIENT_ID"]

meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
assert meta["issuer"] == issuer
session = OAuth2Session(
    client_id,
    os.environ["CLIENT_SECRET"],
    scope="openid profile email offline_access",
    redirect_uri=os.environ["REDIRECT_URI"],
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = generate_token(48)
nonce = generate_token(20)
url, state = session.create_authorization_url(
    meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)
# The browser's part.
back = requests.get(url, headers={"Cookie": cookie}, allow_redirects=False, timeout=10)
assert back.status_code == 302, back.status_code
token = session.fetch_token(
    meta["token_endpoint"],
    authorization_response=back.headers["Location"],
    code_verifier=verifier,
    state=state,
)
keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
claims = jwt.decode(
    token["id_token"],
    keys,
    claims_cls=CodeIDToken,
    claims_options={"iss": {"essential": True, "value": issuer}},
    claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
)
claims.validate(leeway=30)
userinfo = session.get(meta["userinfo_endpoint"], timeout=10).json()
refreshed = session.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
ended = requests.get(
    meta["end_session_endpoint"],
    params={
        "id_token_hint": refreshed["id_token"],
        "post_logout_redirect_uri": os.environ["POST_LOGOUT_URI"],
        "state": "py-bye",
    },
    headers={"Cookie": cookie},
    allow_redirects=False,
    timeout=10,
)
print(
    json.dumps(
        {
            "sub": claims["sub"],
            "nip": claims.get("nip"),
            "sid": claims.get("sid"),
            "userinfo_nip": userinfo.get("nip"),
            "refresh_rotated": refreshed["refresh_token"] != token["refresh_token"],
            "logout_status": ended.status_code,
            "logout_location": ended.headers.get("Location"),
        }
    )
)
