"""`make run`'s three steps work from the command line, as a person runs them.

`flask db upgrade`, `flask demo seed` and `flask run` run as real processes on
a SQLite file of their own, so this also runs when the suite uses PostgreSQL.
"""

import http.cookiejar
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from portal.config import PROJECT_ROOT
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.helpers import csrf_token_from

FLASK = Path(sys.executable).parent / "flask"
STARTUP_TIMEOUT = 30


@pytest.fixture
def cli_env(tmp_path):
    """The environment `make run` gives flask, with a database of the test's own."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PORTAL_", "FLASK_"))
        and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env.update(
        FLASK_APP="portal",
        DATABASE_URL=f"sqlite:///{tmp_path / 'make-run.db'}",
        # Set so the run does not write a key into the project's instance/.
        SECRET_KEY="command-line-test-secret-key-long-enough",
    )
    return env


def _flask(env, *args):
    result = subprocess.run(  # noqa: S603 - our own flask binary, fixed arguments
        [str(FLASK), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url, server, log_path):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, "flask run exited:\n" + log_path.read_text()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"{url} not healthy after {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")


def _sign_in(base_url, email, password):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base_url}/auth/login", timeout=10) as page:
        token = csrf_token_from(page.read().decode())
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": email, "password": password}
    ).encode()
    with opener.open(f"{base_url}/auth/login", data=form, timeout=30) as page:
        return page.geturl(), page.read().decode()


def test_make_run_steps_migrate_seed_and_serve(cli_env, tmp_path):
    upgrade_output = _flask(cli_env, "db", "upgrade")
    head = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_current_head()
    assert head in upgrade_output
    database = cli_env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        assert connection.execute(
            "SELECT version_num FROM alembic_version"
        ).fetchall() == [(head,)]

    seed_output = _flask(cli_env, "demo", "seed")
    assert "Demo data loaded." in seed_output
    assert DEMO_PASSWORD in seed_output
    for email, *_ in DEMO_ACCOUNTS:
        assert email in seed_output

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "flask-run.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - as above
            [str(FLASK), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=cli_env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        health = _wait_until_healthy(f"{base_url}/healthz", server, log_path)
        assert '"status":"ok"' in health.replace(" ", "")

        with urllib.request.urlopen(f"{base_url}/auth/login", timeout=10) as page:  # noqa: S310
            assert page.status == 200
            assert "Sign in" in page.read().decode()

        # The real configuration (CSRF on, real password hashing) signs a demo user in.
        final_url, home = _sign_in(base_url, DEMO_ACCOUNTS[0][0], DEMO_PASSWORD)
        assert final_url == f"{base_url}/"
        assert f"Welcome, {DEMO_ACCOUNTS[0][1]}" in home
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
