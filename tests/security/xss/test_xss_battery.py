"""XSS as a standing test.

Every payload in payloads.txt is written into every field a person can fill
(found from the forms on the pages, so a new field is covered without editing
this test): sign-up, profile, orgs, teams, cohorts, applications, nominations,
every reason a decision asks for, and a security review's title, notes,
findings, survey feedback, readiness notes and calibration guide, kudos
notes, award citations, kinds and revocations. Then every
GET route is rendered in one Chromium as a visitor, an engineer, a reviewer,
a program manager and an admin, with a
sentinel any injected script would call: every page that shows a payload both
with the Content Security Policy and without it, the others with it; the pages
of every list that show more payloads; every search form with the corpus in
it; for a route about one object, the objects showing the most payloads (the
HTML of the others is inspected too); and the emails in the outbox.

Nothing may run; no page, no DOM and no stored HTML may carry a script, an
event handler, a ``javascript:`` or ``data:`` URL, a frame, an object or a
style a payload wrote; no template probe may come back evaluated; nothing may
answer 500. A payload planted among the pages must be seen to run, so the
sentinel is known to work. The numbers are in tests/e2e/artifacts/xss-battery.txt.
"""

import base64
import os
import re
import time

import pytest
from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.notifications.jobs import send_weekly_digest
from tests.helpers import PASSWORD, csrf_token_from
from tests.security.xss.browser import CHROMIUM, MODES, Visit, render, serve
from tests.security.xss.corpus import SENTINEL, Packer, load_payloads
from tests.security.xss.crawl import Crawler
from tests.security.xss.markup import Inspector, findings_in
from tests.security.xss.pages import PagePlan, render_params
from tests.security.xss.report import (
    PAYLOAD_MARK,
    coverage,
    write_report,
)
from tests.security.xss.seed import seed
from tests.security.xss.stored import (
    kept_as_addresses,
    stored_html_findings,
    stored_tags,
)

pytestmark = pytest.mark.e2e

# A document planted among the pages: the battery must see it run.
CONTROL = "planted payload"
PLANTED = "<p>x</p><img src=x onerror=__xss(1)><script>__xss(2)</script>"
# Names and locations take 100 characters, the fewest of any text field: the
# seed makes one object of each kind per value such a field needs. Reasons,
# written once per object (a decline, a revocation), take 500 at least.
SHORTEST_FIELD = 100
SHORTEST_REASON = 500
# Fields people fill that others see; the battery must have written into each.
MUST_COVER = {
    "auth.signup.display_name",
    "accounts.profile.display_name",
    "accounts.profile.location",
    "accounts.profile.bio",
    "accounts.close_account.reason",
    "admin.edit_org.name",
    "admin.edit_org.description",
    "admin.edit_team.name",
    "admin.edit_team.description",
    "admin.deactivate.reason",
    "cohorts.new.name",
    "cohorts.edit.name",
    "enrollment.apply.motivation",
    "enrollment.nominate.motivation",
    "enrollment.withdraw.reason",
    "enrollment.step_down.reason",
    "program.decline.reason",
    "program.make_alumni.reason",
    "training.revoke_certificate.reason",
    "training_program.grant_attempts.reason",
    "training_program.reset_module.reason",
    "reviews.new.title",
    "reviews.edit.title",
    "reviews.move.note",
    "reviews.add_finding.title",
    "surveys.fill.feedback",
    "surveys.fill.private_note",
    "surveys.readiness.notes",
    "surveys.edit_guide.q1_5",
    "surveys.edit_guide.q3_applicable",
    "surveys.edit_guide.note",
    "recognition.give_kudos.note",
    "recognition.awards.citation",
    "recognition.define_award.name",
    "recognition.define_award.description",
    "recognition.revoke_award.reason",
}


@pytest.fixture
def chromium_present():
    """Fails, saying how to install it, when Debian's Chromium is missing."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"The XSS battery needs Chromium at {CHROMIUM}. Install it with: "
            "apt-get update && apt-get install -y chromium",
            pytrace=False,
        )


@pytest.fixture
def battery_app(app_factory, chromium_present):
    """The portal as it runs, CSRF included, to be served to a real browser."""
    app = app_factory(
        SERVER_NAME=None,
        WTF_CSRF_ENABLED=True,
        # Chromium keeps the static files instead of asking for each page.
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        # It signs many people up from one address.
        PORTAL_SIGNUP_LIMIT_PER_IP="10000 per hour",
        # One account sends every kudos note the corpus needs.
        PORTAL_KUDOS_PER_MONTH=3650,
    )
    with app.app_context():
        yield app


def signer(app):
    def sign_in(user):
        client = app.test_client()
        token = csrf_token_from(client.get("/auth/login").text)
        response = client.post(
            "/auth/login",
            data={"csrf_token": token, "email": user.email, "password": PASSWORD},
        )
        assert response.status_code == 302, f"{user.email} could not sign in"
        return client

    return sign_in


def _sentinels(text):
    encoded = re.findall(r"base64,([A-Za-z0-9+/=]+)", text)
    text += "".join(base64.b64decode(part).decode() for part in encoded)
    return {int(n) for n in SENTINEL.findall(text)}


def test_every_payload_that_can_run_calls_the_sentinel_with_its_number():
    payloads = load_payloads()

    assert len(payloads) >= 100
    assert len({p.text for p in payloads}) == len(payloads), "a payload is repeated"
    for payload in payloads:
        expected = set() if payload.group.startswith("Template") else {payload.number}
        assert _sentinels(payload.text) == expected, payload


def test_the_checks_see_what_a_payload_leaves():
    own = '<script src="/static/js/portal.js"></script><p style="width: 6rem">'
    harmless = own + "<p>&lt;script&gt;__xss(1)&lt;/script&gt;</p>"
    hostile = [
        "<script>__xss(1)</script>",
        "<img src=x onerror=__xss(2)>",
        '<a href=" java&#x09;script:__xss(3)">x</a>',
        '<p style="background:url(javascript:__xss(4))">',
        "<iframe srcdoc=x></iframe>",
        "<object data=x></object>",
        "<svg><a xlink:href=data:text/html,x>y</a></svg>",
    ]

    assert findings_in(harmless) == []
    for html in hostile:
        assert findings_in(own + html), html


def _plan(app, seeded, crawler, inspector, packer):
    """The visits Chromium makes, and the documents it shows besides: a
    planted payload first (it must be seen to run), then the outbox."""
    plan = PagePlan(crawler.rules, render_params(seeded, packer), inspector, packer)
    sign_in = signer(app)
    for role, user in seeded.viewers.items():
        client = app.test_client() if user is None else sign_in(user)
        plan.every_route(role, client)
        if role == "admin":
            plan.objects(role, client)
    viewers = {role: user and user.email for role, user in seeded.viewers.items()}
    visits = [
        Visit(role, viewers[role], mode, path, status)
        for (role, path), (modes, status) in plan.visits.items()
        for mode in modes
    ]
    emails = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.body_html, OutboxMessage.body_text)
    ).all()
    for number, html, text in emails:
        inspector.inspect_text(f"email #{number}", f"{html}\n{text}")
    # The server writes while pages render (sign-ins): this session holds no lock.
    db.session.commit()
    outbox = "<hr>".join(html for _, html, _ in emails if html)
    control = [(CONTROL, PLANTED, mode) for mode in MODES]
    return plan, visits, [*control, ("the outbox", outbox, MODES[1])]


def _control(rendered):
    """The planted payload's entries, taken out of the log."""
    seen = {}
    for name in ("ran", "injected", "blocked"):
        entries = getattr(rendered, name)
        planted = [e for e in entries if _where(e).startswith(CONTROL)]
        setattr(rendered, name, [e for e in entries if e not in planted])
        seen[name] = planted
    return seen


def _where(entry):
    return entry[0] if isinstance(entry, tuple) else entry


def _write_everywhere(app, packer, seeded, inspector):
    """Every form filled; then the weekly digest, as the scheduler sends it,
    puts people's text in email too."""
    crawler = Crawler(app, packer, seeded, signer(app), inspector)
    log = crawler.run()
    send_weekly_digest(utcnow())
    db.session.commit()
    fields = coverage(
        [s for s in log.submissions if not s.probe], stored_tags(), packer
    )
    return crawler, log, fields


def test_no_payload_runs_anywhere(battery_app):
    app, timings, started = battery_app, {}, time.monotonic()
    payloads = load_payloads()
    packer = Packer(payloads)
    seeded = seed(
        packer.needed(SHORTEST_FIELD, multiline=False),
        packer.needed(SHORTEST_REASON, multiline=False) + 3,
        utcnow(),
    )
    db.session.commit()
    timings["seed"] = time.monotonic() - started

    inspector = Inspector(app.config["SECRET_KEY"])
    crawler, log, fields = _write_everywhere(app, packer, seeded, inspector)
    timings["forms"] = time.monotonic() - started - sum(timings.values())

    plan, visits, documents = _plan(app, seeded, crawler, inspector, packer)
    timings["pages fetched"] = time.monotonic() - started - sum(timings.values())
    with serve(app) as base_url:
        app.config["PORTAL_BASE_URL"] = base_url
        rendered = render(base_url, visits, documents)
    control = _control(rendered)
    timings["pages rendered"] = time.monotonic() - started - sum(timings.values())
    stored_findings, stored_documents = stored_html_findings()
    probes = [s.probe for s in log.submissions if s.probe]
    write_report(
        payloads, fields, (probes, kept_as_addresses(probes)), plan, rendered, timings
    )

    # The browser sees a payload run, and the policy stop it.
    assert {call for _, call in control["ran"]} == {"__xss(1)", "__xss(2)"}
    assert len(control["blocked"]) == len(control["injected"]) / 2 == 2, control
    covered = {label for label, entry in fields.items() if entry["kept"]}
    assert covered >= MUST_COVER, f"never written: {sorted(MUST_COVER - covered)}"
    # A field that keeps text kept every payload that fits it: none was
    # overwritten before a page could show it, none left unsent.
    lost = {k: e["missing"] for k, e in fields.items() if e["kept"] and e["missing"]}
    assert not lost, f"payloads a field never kept: {lost}"
    errors = log.server_errors + plan.server_errors
    assert not errors, f"server errors: {errors[:20]}"
    assert not rendered.ran, f"payloads ran: {rendered.ran[:20]}"
    assert not rendered.injected, f"injected: {rendered.injected[:20]}"
    caught = [v for v in rendered.blocked if PAYLOAD_MARK.search(v)]
    assert not caught, f"injected, and stopped by the policy: {caught[:20]}"
    assert not rendered.failed, f"pages did not load: {rendered.failed[:20]}"
    assert not inspector.findings, f"in the HTML: {inspector.findings[:20]}"
    assert inspector.probe_shown, "no page showed a template probe"
    assert stored_documents and not stored_findings, stored_findings[:20]
