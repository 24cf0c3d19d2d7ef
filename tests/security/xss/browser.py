"""The portal served on a free port and rendered in Debian's Chromium, with a
sentinel any injected script would call.

One browser for the run. Each role gets two contexts: one that obeys the
portal's Content Security Policy and one that ignores it (``bypass_csp``), so
that a payload the policy would stop still shows up as having run.
"""

import asyncio
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import async_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.security import CONTENT_SECURITY_POLICY
from tests.helpers import PASSWORD
from tests.security.xss.markup import DOM_RULES

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-extensions",
    "--no-first-run",
    "--disable-sync",
]
MODES = ("with CSP", "without CSP")
# Pages rendered at once: Chromium draws one while the portal serves another.
WORKERS = 3

HERE = Path(__file__).parent
SENTINEL = (HERE / "sentinel.js").read_text()
PAGE_CHECK = (HERE / "page_check.js").read_text()


class _Quiet(WSGIRequestHandler):
    def log(self, *args):
        """Requests are not printed; failures are reported by the battery."""


@contextmanager
def serve(app):
    """The app on a free local port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@dataclass
class RenderLog:
    loads: int = 0
    ran: list = field(default_factory=list)  # (where, call)
    injected: list = field(default_factory=list)
    blocked: list = field(default_factory=list)  # CSP violations
    failed: list = field(default_factory=list)  # pages that did not load


@dataclass(frozen=True)
class Visit:
    role: str
    email: str | None  # who is signed in; None for a visitor
    mode: str
    path: str
    status: int = 200


async def _sign_in(browser, base_url, email):
    """The cookies of a session signed in through the login form."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(base_url + "/auth/login")
    await page.get_by_label("Work email").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(base_url + "/")
    state = await context.storage_state()
    await context.close()
    return state


async def _context(browser, visit, log, state=None):
    context = await browser.new_context(
        bypass_csp=visit.mode == MODES[1], storage_state=state
    )
    context.set_default_timeout(30_000)
    await context.add_init_script(SENTINEL)
    where = f"{visit.role}, {visit.mode}"
    await context.expose_binding(
        "__xssReport",
        lambda source, what: log.ran.append((f"{where}, {source['frame'].url}", what)),
    )
    return context


async def _read(page, where, log):
    seen = await page.evaluate(PAGE_CHECK, DOM_RULES)
    log.ran += [(where, call) for call in seen["calls"]]
    log.injected += [f"{where}: {found}" for found in seen["injected"]]
    log.blocked += [f"{where}: {v}" for v in seen["violations"]]


async def _visit(page, base_url, visit, log):
    where = f"{visit.role}, {visit.mode}, {visit.path}"
    response = await page.goto(base_url + visit.path, wait_until="load")
    log.loads += 1
    if response is None or response.status != visit.status:
        log.failed.append(f"{where}: {response and response.status}")
        return
    await _read(page, where, log)


async def _show(browser, base_url, documents, log):
    """Documents the portal does not serve (its emails), each (name, html,
    mode) in a context of its own; "with CSP" sends the portal's policy."""
    for name, html, mode in documents:
        context = await _context(browser, Visit(name, None, mode, ""), log)
        page, url = await context.new_page(), f"{base_url}/document-preview"
        await page.route(url, _fulfil_with(html, mode))
        await page.goto(url, wait_until="load")
        log.loads += 1
        await _read(page, f"{name}, {mode}", log)
        await context.close()


def _fulfil_with(html, mode):
    policy = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    headers = policy if mode == MODES[0] else {}
    return lambda route: route.fulfill(
        body=html, content_type="text/html", headers=headers
    )


async def _render(base_url, visits, documents, log):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            contexts, sessions = {}, {}
            for visit in visits:
                if visit.email is not None and visit.role not in sessions:
                    sessions[visit.role] = await _sign_in(
                        browser, base_url, visit.email
                    )
                key = (visit.role, visit.mode)
                if key not in contexts:
                    state = sessions.get(visit.role)
                    contexts[key] = await _context(browser, visit, log, state)
            pending = list(visits)

            async def worker():
                pages = {}
                while pending:
                    visit = pending.pop(0)
                    key = (visit.role, visit.mode)
                    if key not in pages:
                        pages[key] = page = await contexts[key].new_page()
                        page.on("dialog", lambda d, k=key: _dialog(d, k, log))
                    await _visit(pages[key], base_url, visit, log)

            await asyncio.gather(*(worker() for _ in range(WORKERS)))
            await _show(browser, base_url, documents, log)
        finally:
            await browser.close()


async def _dialog(dialog, key, log):
    log.ran.append((", ".join(key), f"{dialog.type}({dialog.message})"))
    await dialog.dismiss()


def render(base_url, visits, documents=()):
    """Every visit in one Chromium, a few pages at a time; then ``documents``
    (where, html, mode). Returns what ran, what was injected and what failed."""
    log = RenderLog()
    failures = []

    def run():
        try:
            asyncio.run(_render(base_url, visits, documents, log))
        except BaseException as error:  # noqa: BLE001 - raised again below
            failures.append(error)

    # A thread of its own: the browser journeys' Playwright keeps an event loop
    # running in the main thread for the whole test run.
    thread = threading.Thread(target=run, name="xss-browser")
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
    return log
