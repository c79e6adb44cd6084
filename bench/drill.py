#!/usr/bin/env python3
"""Fault drills for the scale-out deployment: two replicas sharing PostgreSQL and Redis,
a real SMTP sink, and a load of activations (reset → code by mail → new password → TOTP
enrolment → sign-in) while something breaks.

    bench/drill.sh            (builds with test-hooks, then runs this)

Drills, one after the other, each on its own users:
  kill9  – kill -9 of replica A mid-load, restarted 4 s later
  redis  – the drill's own redis-server killed mid-load, restarted 4 s later
  pg     – the machine's PostgreSQL stopped mid-load, started 4 s later (pg_ctlcluster)

A user's change counts as acknowledged when the answer said it was done (reset code mail
sent, password set, device enrolled). The load balancer is simulated as nginx behaves:
a request that could not connect goes to the other replica; a request that died mid-way
is not retried (the user starts the step again).

Checks afterwards: every acknowledged password and device is in the database; no user
has a device without its secret or two devices (no half or double enrolment); the outbox
drains and no outbox message reached the SMTP server twice (Message-ID per outbox row);
every acknowledged reset code arrived. During the outage: how requests were answered
(status counts, slowest answer) and how long until /readyz and sign-ins recovered.
"""
import base64, hashlib, hmac, http.cookiejar, json, os, random, re, struct, subprocess
import sys, threading, time, urllib.error, urllib.parse, urllib.request, uuid
import warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import asyncore, smtpd  # noqa: E402  (stdlib in 3.11: a real SMTP server on loopback)
smtpd.socket.getfqdn = lambda *a: "localhost"

BIN = sys.argv[1]
USERS_PER_DRILL = int(os.environ.get("USERS", "120"))
THREADS = int(os.environ.get("THREADS", "8"))
PG = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432/test")
PORTS = {"A": 18091, "B": 18092}
SMTP_PORT, REDIS_PORT = 18026, 16379
WORK = f"/tmp/gerbang-drill-{os.getpid()}"
SCHEMA = f"drill_{uuid.uuid4().hex[:8]}"
PASSWORD = "Teduh#Sawah-2026"
os.makedirs(WORK, exist_ok=True)

# ---- SMTP sink: every message with its Message-ID and recipient ----
mails, mail_lock = [], threading.Lock()


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        mid = re.search(r"(?im)^message-id:\s*(\S+)", text)
        with mail_lock:
            mails.append((rcpttos[0].lower(), mid.group(1) if mid else None, text))


Sink(("127.0.0.1", SMTP_PORT), None)
threading.Thread(target=asyncore.loop, daemon=True).start()


def code_for(email):
    """The newest 8-digit reset code mailed to `email`, if any."""
    with mail_lock:
        for to, _, text in reversed(mails):
            if to == email:
                m = re.search(r"(?:Kode Anda|Your code): (\d{8})", text)
                if m:
                    return m.group(1)
    return None


# ---- processes ----
def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def psql(sql):
    e = dict(os.environ, PGOPTIONS=f"-c search_path={SCHEMA}")
    return sh("psql", PG, "-At", "-c", sql, env=e).stdout.strip()


db_url = f"{PG}?options=-c%20search_path%3D{SCHEMA}"
env = dict(os.environ, GERBANG_DATABASE_URL=db_url, GERBANG_REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}",
           GERBANG_REDIS_PREFIX=f"{SCHEMA}:", GERBANG_KEYS_DIR=f"{WORK}/keys",
           GERBANG_ISSUER=f"http://127.0.0.1:{PORTS['A']}", GERBANG_TEST_HOOKS="1",
           GERBANG_RATE_LIMIT__ENABLED="false", GERBANG_SMTP_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
           GERBANG_LOG="warn", GERBANG_LOG_FORMAT="json")
redis_proc = None


def start_redis():
    global redis_proc
    redis_proc = subprocess.Popen(["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    time.sleep(0.3)


replicas = {}


def start_replica(name):
    e = dict(env, GERBANG_LISTEN=f"127.0.0.1:{PORTS[name]}", GERBANG_DATA_DIR=f"{WORK}/data-{name}")
    log = open(f"{WORK}/{name}.log", "a")
    replicas[name] = subprocess.Popen([BIN, "serve"], env=e, stderr=log)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORTS[name]}/healthz", timeout=1)
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"replica {name} did not start")


def pg_cluster(action):
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    sh("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action)


# ---- a user's journey, through the simulated load balancer ----
class Answer:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers
        self.location = headers.get("Location")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


outage = {"log": [], "on": False}


def request(opener, path, data=None):
    """One request to a random replica; on a refused connection, the other one (nginx's
    proxy_next_upstream). Returns None when the request died mid-way."""
    order = random.sample(list(PORTS.values()), 2)
    for i, port in enumerate(order):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        t0 = time.monotonic()
        try:
            r = opener.open(f"http://127.0.0.1:{port}{path}", body, timeout=30)
            a = Answer(r.status, r.read().decode("utf-8", "replace"), r.headers)
        except urllib.error.HTTPError as e:
            a = Answer(e.code, e.read().decode("utf-8", "replace"), e.headers)
        except (ConnectionRefusedError, urllib.error.URLError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, ConnectionRefusedError) and i == 0:
                continue
            a = None
        except Exception as ex:
            if os.environ.get("DEBUG"):
                print("request failed", path, repr(ex)[:200], file=sys.stderr)
            a = None
        if outage["on"]:
            outage["log"].append((a.status if a else "died", time.monotonic() - t0))
        return a
    return None


def field(html, name):
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else None


def totp(secret_b32, t=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int((t or time.time()) // 30)), hashlib.sha1).digest()
    o = mac[-1] & 15
    return f"{(struct.unpack('>I', mac[o:o + 4])[0] & 0x7fffffff) % 1000000:06d}"


acks = {}  # nip -> {"password": bool, "device": secret or None, "codes": [codes mailed]}
ack_lock = threading.Lock()


def trace(*a):
    if os.environ.get("DEBUG"):
        print(*a, file=sys.stderr, flush=True)


def journey(nip):
    """Runs one activation to the end, starting steps again when they failed."""
    email = f"{nip}@drill.go.id"
    for _attempt in range(40):
        jar = http.cookiejar.CookieJar()
        op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        st = acks.setdefault(nip, {"password": False, "device": None, "requested": 0})
        try:
            if not st["password"]:
                p = request(op, "/reset")
                if not p or p.status != 200:
                    time.sleep(0.3); continue
                cid = field(p.body, "captcha_id")
                # The captcha answer comes from the test hook header of the image.
                c = request(op, f"/captcha/{cid}")
                if not c:
                    time.sleep(0.3); continue
                answer = c.headers.get("X-Gerbang-Test-Captcha")
                before = code_for(email)
                r = request(op, "/reset", {"csrf_token": field(p.body, "csrf_token"), "nip": nip,
                                           "email": email, "captcha_id": cid, "captcha": answer or ""})
                trace(nip, "reset", r and r.status)
                if not r or r.status != 200:
                    time.sleep(0.3); continue
                with ack_lock:
                    st["requested"] += 1
                code = None
                for i in range(150):
                    code = code_for(email)
                    if code and code != before:
                        break
                    # A live code less than 60 s old is not sent again: it is still the one.
                    if before and i >= 30:
                        code = before
                        break
                    time.sleep(0.1)
                trace(nip, "code", code)
                if not code:
                    continue
                page = request(op, f"/reset/confirm?nip={nip}&code={code}")
                if not page or page.status != 200:
                    time.sleep(0.3); continue
                r = request(op, "/reset/confirm", {"csrf_token": field(page.body, "csrf_token"), "nip": nip,
                                                   "code": code, "password": PASSWORD, "password_confirm": PASSWORD})
                trace(nip, "confirm", r and r.status)
                if not r or r.status != 303:
                    time.sleep(0.3); continue
                with ack_lock:
                    st["password"] = True
            if not st["device"]:
                p = request(op, "/login")
                if not p or p.status != 200:
                    time.sleep(0.3); continue
                r = request(op, "/login", {"csrf_token": field(p.body, "csrf_token"), "nip": nip,
                                           "password": PASSWORD, "otp": ""})
                trace(nip, "login", r and r.status, r and r.location)
                if not r or r.status != 303 or r.location != "/mfa/enrol":
                    time.sleep(0.3); continue
                e = request(op, "/mfa/enrol")
                if not e or e.status != 200:
                    time.sleep(0.3); continue
                secret = re.search(r'data-totp-secret="([A-Z2-7]+)"', e.body).group(1)
                r = request(op, "/mfa/enrol", {"csrf_token": field(e.body, "csrf_token"),
                                               "otp": totp(secret), "device_name": "HP Dinas"})
                trace(nip, "enrol", r and r.status)
                if not r or r.status != 200 or "/mfa/continue" not in r.body:
                    time.sleep(0.3); continue
                with ack_lock:
                    st["device"] = secret
            return True
        except Exception as ex:  # a page we did not expect: try the journey again
            print("journey error", nip, repr(ex), file=sys.stderr)
            time.sleep(0.3)
    return False


def ready(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).status == 200
    except Exception:
        return False


def run_drill(name, nips, fault, heal):
    outage["log"].clear()
    threads = [threading.Thread(target=lambda part: [journey(n) for n in part], args=(nips[i::THREADS],))
               for i in range(THREADS)]
    t0 = time.monotonic()
    [t.start() for t in threads]
    time.sleep(3)
    outage["on"] = True
    fault()
    t_fault = time.monotonic()
    not_ready = any(not ready(p) for n, p in PORTS.items() if replicas[n].poll() is None)
    time.sleep(4)
    heal()
    t_heal = time.monotonic()
    while not all(ready(p) for p in PORTS.values()) and time.monotonic() - t_heal < 60:
        time.sleep(0.1)
    recovered = time.monotonic() - t_heal
    outage["on"] = False
    [t.join() for t in threads]
    elapsed = time.monotonic() - t0
    statuses = {}
    for s, _ in outage["log"]:
        statuses[s] = statuses.get(s, 0) + 1
    slowest = max((d for _, d in outage["log"]), default=0)
    return {"drill": name, "users": len(nips), "seconds": round(elapsed, 1),
            "readyz_false_during": not_ready, "ready_again_after_s": round(recovered, 2),
            "answers_during_outage": statuses, "slowest_answer_during_outage_s": round(slowest, 2),
            "fault_to_heal_s": round(t_heal - t_fault, 1)}


def verify(nips):
    done = {n: acks.get(n, {}) for n in nips}
    rows = psql("SELECT u.nip, u.password_hash IS NOT NULL, COUNT(t.id), "
                "COALESCE(SUM(CASE WHEN t.id IS NOT NULL AND COALESCE(t.secret_enc, '') = '' THEN 1 ELSE 0 END), 0) "
                "FROM users u LEFT JOIN totp_credentials t ON t.user_id = u.id "
                f"WHERE u.nip IN ({','.join(repr(n) for n in nips)}) GROUP BY u.nip, u.password_hash")
    db = {r.split("|")[0]: r.split("|")[1:] for r in rows.splitlines()}
    lost_pw = [n for n, a in done.items() if a.get("password") and db[n][0] != "t"]
    lost_dev = [n for n, a in done.items() if a.get("device") and int(db[n][1]) < 1]
    double_dev = [n for n in nips if int(db[n][1]) > 1]
    half_dev = [n for n in nips if int(db[n][2]) > 0]
    return {"acknowledged_passwords": sum(1 for a in done.values() if a.get("password")),
            "acknowledged_devices": sum(1 for a in done.values() if a.get("device")),
            "lost_passwords": lost_pw, "lost_devices": lost_dev,
            "users_with_two_devices": double_dev, "half_enrolled_devices": half_dev,
            "journeys_completed": sum(1 for a in done.values() if a.get("password") and a.get("device"))}


def main():
    total = USERS_PER_DRILL * 3
    nips = [f"19800101200501{1 + i // 999}{i % 999 + 1:03d}" for i in range(total)]
    with open(f"{WORK}/users.csv", "w") as f:
        f.write("nip,name,email,instansi_id,unit_kerja,jabatan\n")
        for n in nips:
            f.write(f"{n},Pegawai Drill,{n}@drill.go.id,4011,,\n")
    sh("psql", PG, "-c", f"CREATE SCHEMA {SCHEMA}")
    sh(BIN, "keys", "init", env=env)
    sh(BIN, "user", "import", f"{WORK}/users.csv", env=env)
    start_redis()
    start_replica("A")
    start_replica("B")
    groups = [nips[i * USERS_PER_DRILL:(i + 1) * USERS_PER_DRILL] for i in range(3)]
    results = []

    def kill_a():
        replicas["A"].kill()  # SIGKILL
        replicas["A"].wait()

    results.append(run_drill("kill9", groups[0], kill_a, lambda: start_replica("A")))
    results[-1].update(verify(groups[0]))

    def stop_redis():
        redis_proc.kill()
        redis_proc.wait()

    results.append(run_drill("redis", groups[1], stop_redis, start_redis))
    results[-1].update(verify(groups[1]))
    results.append(run_drill("pg", groups[2], lambda: pg_cluster("stop"), lambda: pg_cluster("start")))
    results[-1].update(verify(groups[2]))

    # The outbox drains, and no outbox row reached the SMTP server twice.
    deadline = time.monotonic() + 120
    while psql("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL") != "0" and time.monotonic() < deadline:
        time.sleep(0.5)
    unsent = int(psql("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL"))
    with mail_lock:
        ids = [m for _, m, _ in mails]
    dup = len(ids) - len(set(ids))
    requested = sum(a.get("requested", 0) for a in acks.values())
    summary = {"mails_received": len(ids), "duplicate_deliveries": dup, "outbox_unsent_after_2_min": unsent,
               "missing_message_ids": ids.count(None), "acknowledged_reset_requests": requested}
    for p in replicas.values():
        p.terminate()
    redis_proc.kill()
    print(json.dumps({"drills": results, "mail": summary}, indent=2))
    bad = any(r["lost_passwords"] or r["lost_devices"] or r["users_with_two_devices"] or r["half_enrolled_devices"]
              for r in results) or dup or unsent
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in replicas.values():
            if p.poll() is None:
                p.kill()
        if redis_proc and redis_proc.poll() is None:
            redis_proc.kill()
