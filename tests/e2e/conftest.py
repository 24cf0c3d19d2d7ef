"""Browser tests: a real portal server, Debian's Chromium and axe-core.

One server runs for the whole session, as `make run` would start it: its own
SQLite file in a temporary folder, `flask db upgrade`, `flask content sync`,
the journeys' data from ``tests/e2e/seed.py``, then `flask devserver` on a free
port. Its console (where email is printed) goes to artifacts/server.log. The
suite's database settings (PORTAL_TEST_DATABASE_URL included) do not reach it.

Playwright drives /usr/bin/chromium; nothing is downloaded. Without it every
test here fails and says how to install it.
"""

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from portal.config import PROJECT_ROOT
from tests.e2e import seed

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 60
# Sign-ins per account before an unknown address needs the emailed link
# (small, so the journey is short).
LOGIN_LIMIT = 3
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session", autouse=True)
def _require_chromium():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}, and it is missing. "
            "Install it with: apt-get update && apt-get install -y chromium "
            "(.ci/run does this when it is absent).",
            pytrace=False,
        )


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database):
    """This machine's environment without the suite's own portal settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PORTAL_", "FLASK_"))
        and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env.update(
        FLASK_APP="portal",
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="e2e-secret-key-long-enough-to-sign-sessions-1234",
        PORTAL_ALLOWED_EMAIL_DOMAINS="example.com",
        PORTAL_TRAINING_COOLDOWN_MINUTES="0.05",
        PORTAL_LOGIN_LIMIT_PER_ACCOUNT=f"{LOGIN_LIMIT} per 15 minutes",
        PYTHONUNBUFFERED="1",
    )
    return env


class PortalServer:
    """The running portal: its address, and a way to add data the journeys need."""

    def __init__(self, base_url, env, log_path, database):
        self.base_url = base_url
        self.env = env
        self.log_path = log_path
        self.database = database

    def url(self, path):
        return self.base_url + path

    def emailed_link(self, address, path_prefix):
        """The newest link under ``path_prefix`` in the outbox for ``address``:
        what the person would open from their inbox."""
        with closing(sqlite3.connect(self.database)) as connection:
            bodies = connection.execute(
                "SELECT body_text FROM outbox_messages WHERE to_address = ? "
                "ORDER BY id DESC",
                (address,),
            ).fetchall()
        for (body,) in bodies:
            match = re.search(re.escape(self.base_url + path_prefix) + r"[\w-]+", body)
            if match:
                return match.group(0)
        raise AssertionError(f"no {path_prefix} link was emailed to {address}")

    def seed(self, *args):
        _run([str(BIN / "python"), "-m", "tests.e2e.seed", *args], self.env)


def _run(command, env):
    result = subprocess.run(  # noqa: S603 - the project's own tools, fixed arguments
        command,
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
    )


def _wait_until_healthy(url, process, log_path):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("The portal server exited:\n" + log_path.read_text())
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"{url} not healthy after {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def portal(tmp_path_factory):
    """A migrated, seeded portal served by `flask devserver` on a free port."""
    database = tmp_path_factory.mktemp("e2e") / "e2e.db"
    env = _server_env(database)
    flask = str(BIN / "flask")
    _run([flask, "db", "upgrade"], env)
    _run([flask, "content", "sync"], env)
    _run([str(BIN / "python"), "-m", "tests.e2e.seed", "setup"], env)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["PORTAL_BASE_URL"] = base_url
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own flask, fixed arguments
            [flask, "devserver", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(base_url + "/healthz", process, log_path)
        yield PortalServer(base_url, env, log_path, database)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):
    """Fresh browser contexts (own cookies), closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def _describe(label, url, violation):
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
    return (
        f"- {label} ({url}): {violation['id']} [{violation['impact']}] "
        f"{violation['help']} -> {targets}"
    )


class Journey:
    """Records every page a journey visits: a full-page screenshot and an axe run.

    Screenshots go to artifacts/<journey>/NN-<name>.png and every axe violation,
    whatever its impact, to artifacts/<journey>/axe.txt. ``assert_accessible``
    fails on those of serious or critical impact.
    """

    def __init__(self, name):
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0
        self.findings = []
        self.axe = Axe()

    def visited(self, page, name):
        page.wait_for_load_state()
        self.count += 1
        label = f"{self.count:02d}-{name}"
        page.screenshot(path=self.folder / f"{label}.png", full_page=True)
        results = self.axe.run(page).response
        assert "violations" in results, f"axe did not run on {page.url}: {results}"
        self.findings += [(label, page.url, v) for v in results["violations"]]
        (self.folder / "axe.txt").write_text(
            "".join(_describe(*finding) + "\n" for finding in self.findings)
        )

    def assert_accessible(self):
        blocking = [f for f in self.findings if f[2]["impact"] in BLOCKING_IMPACTS]
        if blocking:
            lines = [f"{len(blocking)} serious or critical axe violation(s):"]
            lines += [_describe(*finding) for finding in blocking]
            pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def journey(request):
    """A recorder named after the test (test_newcomer_signs_up -> newcomer_signs_up)."""
    return Journey(request.node.name.removeprefix("test_"))


def sign_in(page, portal, email, password=seed.PASSWORD):
    """Sign in through the form, as a person does; returns on the home page."""
    page.goto(portal.url("/auth/login"))
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome, "))).to_be_visible()


def sign_out(page, display_name):
    page.get_by_role("button", name=display_name).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
