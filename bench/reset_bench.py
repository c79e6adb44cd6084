#!/usr/bin/env python3
"""Reset requests end to end: GET /reset, the captcha image (answer from the test hook),
POST /reset; and the time from the POST's answer to the code's arrival at an SMTP server.

Usage: reset_bench.py ISSUER SMTP_PORT NIPS_FILE THREADS
Needs a server built with `--features test-hooks`, run with GERBANG_TEST_HOOKS=1 and
GERBANG_SMTP_URL=smtp://127.0.0.1:SMTP_PORT (bench/reset.sh does all of that).
"""
import http.cookiejar, re, statistics, sys, threading, time, urllib.parse, urllib.request
import warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import asyncore, smtpd, socket  # noqa: E402  (stdlib in 3.11; a real SMTP server on loopback)
# smtpd resolves its own name on every connection (a blocking DNS lookup, ~40 ms here) and
# would measure the sandbox's resolver instead of Gerbang.
smtpd.socket.getfqdn = lambda *a: "localhost"

issuer, smtp_port, nips_file, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
nips = [l.strip() for l in open(nips_file) if l.strip()]
received, posted, lock = {}, {}, threading.Lock()


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        with lock:
            for r in rcpttos:
                received[r.lower()] = time.monotonic()


Sink(("127.0.0.1", smtp_port), None)
threading.Thread(target=asyncore.loop, daemon=True).start()
latencies = []


def worker(mine):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for nip in mine:
        page = op.open(f"{issuer}/reset").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
        cid = re.search(r'name="captcha_id" value="([^"]*)"', page).group(1)
        answer = op.open(f"{issuer}/captcha/{cid}").headers["X-Gerbang-Test-Captcha"]
        body = urllib.parse.urlencode({"csrf_token": csrf, "nip": nip, "email": f"{nip}@bench.go.id",
                                       "captcha_id": cid, "captcha": answer}).encode()
        t0 = time.monotonic()
        op.open(f"{issuer}/reset", body).read()
        t1 = time.monotonic()
        with lock:
            latencies.append(t1 - t0)
            posted[f"{nip}@bench.go.id"] = t1


start = time.monotonic()
ts = [threading.Thread(target=worker, args=(nips[i::threads],)) for i in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
elapsed = time.monotonic() - start
deadline = time.monotonic() + 60
while len(received) < len(posted) and time.monotonic() < deadline:
    time.sleep(0.05)
delivery = sorted(max(0.0, received[k] - posted[k]) for k in posted if k in received)
q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000
latencies.sort()
print(f"| resets | {len(posted)} in {elapsed:.2f}s | {len(posted)/elapsed:.0f} flows/s (3 requests each) "
      f"| POST /reset p50 {q(latencies,.5):.1f}ms p99 {q(latencies,.99):.1f}ms "
      f"| mail delivered {len(delivery)}/{len(posted)}, POST→SMTP p50 {q(delivery,.5):.0f}ms p99 {q(delivery,.99):.0f}ms |")
