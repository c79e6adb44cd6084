#!/usr/bin/env python3
"""Signs a user in through the real login form (code + PKCE), enrolling an authenticator
when the account has none (MFA is mandatory), and prints an access token.

Usage: user_token.py ISSUER CLIENT_ID CLIENT_SECRET NIP PASSWORD [N_REFRESH]
With N_REFRESH, also prints (on a second line, comma-separated) that many refresh tokens of
independent grants, each from a further code the SSO session gives without a prompt.
"""
import base64, hashlib, hmac, http.cookiejar, json, re, secrets, struct, sys, time, urllib.parse, urllib.request

issuer, client_id, client_secret, nip, password = sys.argv[1:6]
n_refresh = int(sys.argv[6]) if len(sys.argv) > 6 else 0
redirect = "http://127.0.0.1:9/cb"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def call(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        return opener.open(req)
    except urllib.error.HTTPError as e:  # 3xx arrive here once redirects are off
        return e


verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
q = urllib.parse.urlencode({
    "client_id": client_id, "redirect_uri": redirect, "response_type": "code",
    "scope": "openid profile email", "state": "s", "code_challenge": challenge,
    "code_challenge_method": "S256",
})
login = call(f"{issuer}/authorize?{q}").headers["Location"]
page = call(issuer + login).read().decode()
field = lambda name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
form = urllib.parse.urlencode({"csrf_token": field("csrf_token"), "req": field("req"),
                               "nip": nip, "password": password, "otp": ""}).encode()
cb = call(f"{issuer}/login", form).headers["Location"]


def totp(b32, t):
    key = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    h = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


if cb == "/mfa/enrol":  # first sign-in: enrol an authenticator, then continue
    page = call(f"{issuer}/mfa/enrol").read().decode()
    secret = re.search(r'data-totp-secret="([^"]*)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": field("csrf_token"), "otp": totp(secret, time.time()),
                                   "device_name": "bench"}).encode()
    call(f"{issuer}/mfa/enrol", form).read()
    cb = call(f"{issuer}/mfa/continue").headers["Location"]
code = urllib.parse.parse_qs(urllib.parse.urlparse(cb).query)["code"][0]
basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
tok = json.load(call(f"{issuer}/token", urllib.parse.urlencode({
    "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
    "code_verifier": verifier}).encode(), {"Authorization": f"Basic {basic}"}))
print(tok["access_token"])
refresh = []
for _ in range(n_refresh):
    cb = call(f"{issuer}/authorize?{q}").headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlparse(cb).query)["code"][0]
    t = json.load(call(f"{issuer}/token", urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "code_verifier": verifier}).encode(), {"Authorization": f"Basic {basic}"}))
    refresh.append(t["refresh_token"])
if n_refresh:
    print(",".join(refresh))
