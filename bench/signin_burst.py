"""A burst of simultaneous sign-ins against a running portal, over real HTTP.

Starts gunicorn (2 workers, 16 threads each, throttling counters in Redis db
14, which it empties first) on a fresh SQLite database, then sends BURST
sign-ins for one account from one address at the same moment (wrong
passwords, and the right one among them), then BURST sign-ins for as many
different accounts, while a bystander loads a page. Prints how many
passwords were checked, the statuses, and the bystander's slowest wait.
Fails when a response is a server error or more passwords were checked than
the per-account limit allows.

    make bench-signin            # BURST=100 by default
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
BURST = int(os.environ.get("BURST", "100"))
PORT = int(os.environ.get("PORT", "5391"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway accounts
ACCOUNT_LIMIT = 5
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _env(database):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        FLASK_APP="portal",
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="bench-secret-key-long-enough-to-sign-sessions-123",  # noqa: S106
        PORTAL_RATELIMIT_STORAGE_URI=REDIS,
        PORTAL_LOAD_DEMO_DATA="0",
        PORTAL_LOGIN_LIMIT_PER_IP=f"{10 * BURST} per 15 minutes",
    )
    return env


def _prepare(env, people):
    subprocess.run([BIN / "flask", "db", "upgrade"], env=env, check=True)  # noqa: S603
    script = (
        "from portal import create_app\n"
        "from portal.accounts.models import User\n"
        "from portal.auth.passwords import hash_password\n"
        "from portal.database import utcnow\n"
        "from portal.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    hashed = hash_password({PASSWORD!r})\n"
        f"    for n in range({people}):\n"
        "        db.session.add(User(email=f'person{n}@example.com',\n"
        "            display_name=f'Person {n}', password_hash=hashed,\n"
        "            email_verified_at=utcnow(), created_at=utcnow()))\n"
        "    db.session.commit()\n"
    )
    subprocess.run([BIN / "python", "-c", script], env=env, check=True)  # noqa: S603


def _browser():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(browser, path, data=None):
    body = urllib.parse.urlencode(data).encode() if data else None
    try:
        with browser.open(f"http://127.0.0.1:{PORT}{path}", body, timeout=120) as r:
            return r.status, r.headers.get("Location", ""), r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode()


def _burst(emails_and_passwords):
    """Each sign-in from its own browser, all released at once."""
    browsers = []
    for _ in emails_and_passwords:
        browser = _browser()
        token = TOKEN.search(_open(browser, "/auth/login")[2]).group(1)
        browsers.append((browser, token))
    start, results = threading.Barrier(len(browsers) + 1), [None] * len(browsers)

    def sign_in(n):
        browser, token = browsers[n]
        email, password = emails_and_passwords[n]
        start.wait()
        results[n] = _open(
            browser,
            "/auth/login",
            {"csrf_token": token, "email": email, "password": password},
        )

    threads = [
        threading.Thread(target=sign_in, args=(n,)) for n in range(len(browsers))
    ]
    for thread in threads:
        thread.start()
    start.wait()
    waits = _bystander(threads)
    for thread in threads:
        thread.join()
    return results, waits


def _bystander(threads):
    """Load a page over and over while the burst runs; the waits in ms."""
    waits, browser = [], _browser()
    while any(thread.is_alive() for thread in threads):
        started = time.perf_counter()
        status = _open(browser, "/auth/reset")[0]
        waits.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"the bystander got {status}"
    return waits


def _summary(name, results, waits):
    statuses = {}
    for status, location, _ in results:
        key = f"{status} {location}".strip()
        statuses[key] = statuses.get(key, 0) + 1
    checked = sum(
        1
        for status, location, body in results
        if (status == 302 and location == "/") or "do not match" in body
    )
    slowest = max(waits) if waits else 0.0
    print(f"{name}: {len(results)} at once; passwords checked: {checked}")
    print(f"  statuses: {statuses}")
    print(f"  bystander: {len(waits)} page loads, slowest {slowest:.0f} ms")
    return checked, statuses


def main():
    # The counters of an earlier run would still hold this window's attempts.
    redis.Redis.from_url(REDIS).flushdb()
    with tempfile.TemporaryDirectory() as folder:
        env = _env(Path(folder) / "burst.db")
        _prepare(env, BURST)
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [
                BIN / "gunicorn",
                "-w",
                "2",
                "--threads",
                "16",
                "-b",
                f"127.0.0.1:{PORT}",
                "portal:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    _open(_browser(), "/healthz")
                    break
                except OSError:
                    time.sleep(0.2)
            one = [("person0@example.com", f"wrong guess {n}") for n in range(BURST)]
            one[BURST // 2] = ("person0@example.com", PASSWORD)
            checked, statuses = _summary("One account", *_burst(one))
            many = [(f"person{n}@example.com", PASSWORD) for n in range(BURST)]
            _, many_statuses = _summary("Many accounts", *_burst(many))
        finally:
            server.terminate()
            server.wait(timeout=30)
    errors = [s for s in [*statuses, *many_statuses] if s.startswith("5")]
    if errors or checked > ACCOUNT_LIMIT:
        sys.exit(f"FAILED: server errors {errors}, {checked} passwords checked")


if __name__ == "__main__":
    main()
