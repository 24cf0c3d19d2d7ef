"""The portal's main journeys, walked in Chromium as a person would.

Pages are found by their labels, roles and visible text. Every page visited is
screenshotted into artifacts/<journey>/ and checked with axe-core (see
``Journey`` in conftest.py).

Journeys 1 to 3 follow one newcomer: they sign up and apply (1), a program
manager approves them into a cohort (2), and they train to certification (3).
They run in this order and each needs the one before; journey 4 stands alone.
"""

import http.server
import re
import threading
import time
import tomllib
from html import escape

import pytest
from playwright.sync_api import expect

from portal.config import PROJECT_ROOT
from tests.e2e import seed
from tests.e2e.conftest import LOGIN_LIMIT, sign_in, sign_out

pytestmark = pytest.mark.e2e

NEWCOMER_EMAIL = "nia.newcomer@example.com"
NEWCOMER_NAME = "Nia Newcomer"
NEWCOMER_TEAM = "Checkout"
NEWCOMER_PASSWORD = "copper-kettle-morning-tide"
# Passed for the newcomer by tests/e2e/seed.py; the other two are passed in the browser.
PRESEEDED_MODULES = [
    "guardian-role",
    "threat-modeling",
    "documenting-design",
    "project-resources",
    "findings-severity",
    "secure-code-review",
    "authentication-authorization",
]
FAILED_THEN_PASSED = ("secure-configuration", "Secure configuration")
PASSED_FIRST_TIME = ("secrets-management", "Secrets management")
REQUIRED_MODULES = 9
QUESTIONS_PER_ATTEMPT = 10
COOLDOWN_WAIT_SECONDS = 20
XSS_BIO = '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">'


@pytest.fixture(scope="module")
def story():
    """What the newcomer's journeys have done so far, so later ones can check."""
    return set()


def needs(story, step):
    if step not in story:
        pytest.fail(
            f"This journey continues from an earlier one that did not finish "
            f"({step!r}); run the whole of tests/e2e/test_journeys.py.",
            pytrace=False,
        )


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def open_user_menu(page, display_name, item):
    main_nav(page).get_by_role("button", name=display_name).click()
    main_nav(page).get_by_role("link", name=item).click()


def open_program_menu(page, item):
    main_nav(page).get_by_role("button", name="Program", exact=True).click()
    main_nav(page).get_by_role("link", name=item, exact=True).click()


def flash(page, text):
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def test_newcomer_signs_up_edits_profile_and_applies(page, portal, journey, story):
    page.goto(portal.url("/"))
    expect(
        page.get_by_role("heading", name="Become a Security Guardian")
    ).to_be_visible()
    journey.visited(page, "landing")

    page.get_by_role("link", name="Create your account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_text("Open to company addresses (@example.com)")).to_be_visible()
    page.get_by_label("Work email").fill(NEWCOMER_EMAIL)
    page.get_by_label("Your name").fill(NEWCOMER_NAME)
    page.get_by_label("Team").select_option(label=NEWCOMER_TEAM)
    page.get_by_label("Password", exact=True).fill(NEWCOMER_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEWCOMER_PASSWORD)
    journey.visited(page, "signup")
    page.get_by_role("button", name="Create account").click()

    # Nothing opens until the address is proven: the link comes by email.
    flash(page, "Check your inbox")
    journey.visited(page, "signup-check-inbox")
    page.goto(portal.emailed_link(NEWCOMER_EMAIL, "/auth/confirm/"))
    expect(page.get_by_role("heading", name="Confirm your address")).to_be_visible()
    journey.visited(page, "confirm-address")
    page.get_by_role("button", name="Confirm and sign in").click()

    flash(page, f"Welcome to the Guardians Portal, {NEWCOMER_NAME}.")
    expect(
        page.get_by_role("heading", name=f"Welcome, {NEWCOMER_NAME}")
    ).to_be_visible()
    expect(page.get_by_text(f"Payments / {NEWCOMER_TEAM}")).to_be_visible()
    journey.visited(page, "home")

    open_user_menu(page, NEWCOMER_NAME, "Edit profile")
    expect(page.get_by_role("heading", name="Edit your profile")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {NEWCOMER_EMAIL}")).to_be_visible()
    page.get_by_label("Location").fill("Porto")
    page.get_by_label("Seniority").select_option(label="Mid")
    page.get_by_label("About you").fill(
        "Backend engineer on **Checkout**.\n\n- payments APIs\n- threat modeling"
    )
    journey.visited(page, "profile-edit")
    page.get_by_role("button", name="Save profile").click()
    flash(page, "Your profile is saved.")
    expect(page.get_by_label("Location")).to_have_value("Porto")
    journey.visited(page, "profile-saved")

    page.get_by_role("link", name="Signed-in devices").click()
    expect(page.get_by_role("heading", name="Signed-in devices")).to_be_visible()
    expect(page.get_by_text("this device")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    journey.visited(page, "devices")
    page.goto(portal.url("/profile"))

    page.get_by_role("link", name="See your public profile").click()
    expect(page.get_by_role("heading", name=NEWCOMER_NAME, level=1)).to_be_visible()
    expect(page.get_by_text("Porto")).to_be_visible()
    expect(page.get_by_text("Mid", exact=True)).to_be_visible()
    expect(page.get_by_text("Backend engineer on Checkout.")).to_be_visible()
    expect(page.get_by_role("strong").filter(has_text="Checkout")).to_be_visible()
    journey.visited(page, "public-profile")

    main_nav(page).get_by_role("link", name="Guardian program").click()
    expect(page.get_by_text("You have not applied yet.")).to_be_visible()
    journey.visited(page, "application-none")
    page.get_by_role("link", name="Apply to become a Guardian").click()
    expect(
        page.get_by_role("heading", name="Apply to become a Guardian")
    ).to_be_visible()
    expect(page.get_by_label("The team you will guard")).to_have_value(
        re.compile(r"^\d+$")
    )
    page.get_by_label("Why do you want to be a Guardian?").fill(
        "Checkout handles card data; I want to help my team design it securely."
    )
    page.get_by_label("Your manager's email").fill("manager@example.com")
    page.get_by_label("Hours a week you can give").fill("3")
    journey.visited(page, "apply")
    page.get_by_role("button", name="Send my application").click()

    flash(page, "Your application is in. A program manager will review it.")
    expect(page.get_by_role("heading", name="My Guardian application")).to_be_visible()
    expect(page.get_by_text("Applied", exact=True).first).to_be_visible()
    expect(page.get_by_text(f"Payments / {NEWCOMER_TEAM}")).to_be_visible()
    journey.visited(page, "application-sent")
    story.add("applied")
    journey.assert_accessible()


def test_program_manager_approves_a_balanced_cohort(page, portal, journey, story):
    needs(story, "applied")
    sign_in(page, portal, seed.PROGRAM_MANAGER.email)
    expect(page.get_by_text("3 application(s) waiting for a decision.")).to_be_visible()
    journey.visited(page, "pm-home")

    open_program_menu(page, "Applications")
    expect(page.get_by_role("heading", name="Guardian applications")).to_be_visible()
    expect(page.get_by_text("3 waiting for a decision, oldest first.")).to_be_visible()
    queue = page.get_by_role("table")
    expect(queue.get_by_role("row").filter(has_text=NEWCOMER_NAME)).to_contain_text(
        "Porto"
    )
    journey.visited(page, "queue")
    queue.get_by_role("link", name=NEWCOMER_NAME).click()
    expect(page.get_by_role("heading", name=NEWCOMER_NAME)).to_be_visible()
    expect(page.get_by_text("Checkout handles card data")).to_be_visible()
    journey.visited(page, "application")

    open_program_menu(page, "Cohorts")
    expect(page.get_by_role("heading", name="Cohorts")).to_be_visible()
    journey.visited(page, "cohorts")
    page.get_by_role("link", name=seed.COHORT).click()
    expect(page.get_by_role("heading", name=f"Cohort {seed.COHORT}")).to_be_visible()
    expect(page.get_by_text("0 of 4 seats taken")).to_be_visible()
    expect(page.get_by_text("Nobody is placed yet.")).to_be_visible()
    journey.visited(page, "cohort-empty")

    page.get_by_role("link", name="Suggest a balanced cohort").click()
    expect(
        page.get_by_role("heading", name=f"A balanced cohort for {seed.COHORT}")
    ).to_be_visible()
    newcomer = page.get_by_role("checkbox", name=NEWCOMER_NAME)
    newcomer.check()
    expect(newcomer).to_be_checked()
    ticked = [
        person.name
        for person in seed.APPLICANTS
        if page.get_by_role("checkbox", name=person.name).is_checked()
    ]
    journey.visited(page, "suggestion")
    page.get_by_role("button", name="Approve the ticked applicants").click()

    flash(page, f"{len(ticked) + 1} applicant(s) approved into {seed.COHORT}.")
    members = page.get_by_role("table").filter(has_text="Status")
    expect(members.get_by_role("row").filter(has_text=NEWCOMER_NAME)).to_contain_text(
        "In training"
    )
    expect(page.get_by_text(f"{len(ticked) + 1} of 4 seats taken")).to_be_visible()
    journey.visited(page, "cohort-approved")
    sign_out(page, seed.PROGRAM_MANAGER.name)

    sign_in(page, portal, NEWCOMER_EMAIL, NEWCOMER_PASSWORD)
    bell = main_nav(page).get_by_role(
        "link", name=re.compile(r"^Notifications, \d+ unread$")
    )
    expect(bell).to_be_visible()
    unread = int(re.search(r"\d+", bell.get_attribute("aria-label")).group())
    assert unread >= 1
    expect(bell).to_contain_text(str(unread))
    journey.visited(page, "newcomer-bell")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    notifications = page.get_by_role("main").get_by_role("listitem")
    for text in (
        f"Your Guardian application is approved: you are in cohort {seed.COHORT}.",
        "Your Guardian training has started.",
    ):
        expect(notifications.filter(has_text=text)).to_contain_text("New")
    journey.visited(page, "notifications")
    story.add("approved")
    journey.assert_accessible()


def quiz_questions(slug):
    path = PROJECT_ROOT / "content" / "modules" / slug / "quiz.toml"
    return tomllib.loads(path.read_text())["questions"]


def plain(text):
    """A prompt as the page reads it: Markdown marks gone, spaces collapsed."""
    return " ".join(re.sub(r"[`*]", "", text).split())


def answer_quiz(page, slug, correctly):
    """Answer each question the page asks, found by its prompt; choices by text."""
    by_prompt = {plain(q["prompt"]): q for q in quiz_questions(slug)}
    groups = page.locator("div[role=group]")
    expect(groups).to_have_count(QUESTIONS_PER_ATTEMPT)
    for index in range(QUESTIONS_PER_ATTEMPT):
        group = groups.nth(index)
        shown = plain(group.locator(".quiz-prompt").inner_text())
        question = by_prompt[re.sub(r"^\d+\.\s*", "", shown)]
        expect(group).to_have_accessible_name(re.compile(r"^\d+\. "))
        kind = question["type"]
        if kind in ("single", "multiple"):
            right = [c for c in question["choices"] if c.get("correct")]
            wrong = [c for c in question["choices"] if not c.get("correct")]
            for choice in right if correctly else wrong[:1]:
                group.get_by_label(choice["text"], exact=True).check()
        elif kind == "true_false":
            value = question["answer"] if correctly else not question["answer"]
            group.get_by_label("True" if value else "False", exact=True).check()
        else:
            answer = question["answer"] if correctly else question["answer"] + 1000
            group.get_by_role("textbox").fill(str(answer))


def open_module(page, title):
    main_nav(page).get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Training", level=1)).to_be_visible()
    page.get_by_role("link", name=title, exact=True).click()
    # The module's own text starts with its title too, so there are two.
    expect(
        page.get_by_role("heading", name=title, exact=True, level=1).first
    ).to_be_visible()


def take_quiz(page, journey, slug, title, attempt, correctly):
    page.get_by_role("button", name=f"Start attempt {attempt} of 3").click()
    expect(page.get_by_role("heading", name=f"Quiz: {title}")).to_be_visible()
    answer_quiz(page, slug, correctly)
    journey.visited(page, f"{slug}-quiz-{attempt}")
    page.get_by_role("button", name="Submit answers").click()


def test_newcomer_trains_to_certification(page, portal, journey, story, new_context):
    needs(story, "approved")
    portal.seed("pass-modules", NEWCOMER_EMAIL, *PRESEEDED_MODULES)
    sign_in(page, portal, NEWCOMER_EMAIL, NEWCOMER_PASSWORD)
    slug, title = FAILED_THEN_PASSED

    main_nav(page).get_by_role("link", name="Training").click()
    expect(
        page.get_by_text("Pass every required module to become a certified Guardian.")
    ).to_be_visible()
    journey.visited(page, "training")
    open_module(page, title)
    expect(page.get_by_role("heading", name="Encryption", exact=True)).to_be_visible()
    expect(page.get_by_text("Required for certification")).to_be_visible()
    journey.visited(page, f"{slug}-module")

    take_quiz(page, journey, slug, title, attempt=1, correctly=False)
    expect(page.get_by_role("heading", name="Not passed: 0%")).to_be_visible()
    # Straight back to the module while the 3-second cool-down still runs; the
    # result page is recorded below, from the module's list of attempts.
    page.get_by_role("link", name="Back to the module").click()
    expect(
        page.get_by_text(re.compile(r"Your next attempt opens at .* UTC"))
    ).to_be_visible()
    start = page.get_by_role("button", name=re.compile("^Start attempt"))
    expect(start).to_have_count(0)
    journey.visited(page, f"{slug}-cooldown")
    page.get_by_role("link", name="Attempt 1").click()
    expect(page.get_by_role("heading", name="Not passed: 0%")).to_be_visible()
    expect(
        page.get_by_text("0 of 10 questions fully right; to revisit:")
    ).to_be_visible()
    journey.visited(page, f"{slug}-result-1")

    page.get_by_role("link", name="Back to the module").click()
    retake = page.get_by_role("button", name="Start attempt 2 of 3")
    deadline = time.monotonic() + COOLDOWN_WAIT_SECONDS
    while not retake.is_visible():
        assert time.monotonic() < deadline, "the cool-down never ended"
        time.sleep(1)
        page.reload()
    journey.visited(page, f"{slug}-cooldown-over")
    take_quiz(page, journey, slug, title, attempt=2, correctly=True)
    expect(page.get_by_role("heading", name="Passed: 100%")).to_be_visible()
    journey.visited(page, f"{slug}-result-2")

    main_nav(page).get_by_role("link", name="Training").click()
    page.get_by_role("link", name="My progress").click()
    expect(
        page.get_by_text(f"Required modules passed: 8 of {REQUIRED_MODULES}")
    ).to_be_visible()
    progress = page.get_by_role("progressbar", name="Required modules passed")
    expect(progress).to_have_attribute("aria-valuenow", "8")
    expect(
        page.get_by_role("row").filter(has_text=title).filter(has_text="Passed")
    ).to_contain_text("2 / 3")
    journey.visited(page, "progress-8-of-9")

    slug, title = PASSED_FIRST_TIME
    open_module(page, title)
    journey.visited(page, f"{slug}-module")
    take_quiz(page, journey, slug, title, attempt=1, correctly=True)
    expect(page.get_by_role("heading", name="Passed: 100%")).to_be_visible()
    journey.visited(page, f"{slug}-result-1")

    page.get_by_role("link", name="See your Guardian certificate").click()
    expect(
        page.get_by_role("heading", name="Certified Security Guardian")
    ).to_be_visible()
    certificate_url = page.url
    journey.visited(page, "certificate")
    main_nav(page).get_by_role("link", name="Training").click()
    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_text(re.compile("Certified Guardian since"))).to_be_visible()
    journey.visited(page, "progress-certified")

    stranger = new_context().new_page()
    stranger.goto(certificate_url)
    expect(
        stranger.get_by_role("heading", name="Certified Security Guardian")
    ).to_be_visible()
    expect(stranger.get_by_text(NEWCOMER_NAME, exact=True)).to_be_visible()
    expect(
        stranger.get_by_text(re.compile("^passed every required module"))
    ).to_be_visible()
    expect(main_nav(stranger).get_by_role("link", name="Sign in")).to_be_visible()
    journey.visited(stranger, "certificate-signed-out")

    open_user_menu(page, NEWCOMER_NAME, "My public profile")
    expect(page.get_by_text("Guardian", exact=True)).to_be_visible()
    page.get_by_role("link", name=NEWCOMER_TEAM, exact=True).click()
    guardians = page.get_by_role("region", name="Guardians of this team")
    expect(guardians.get_by_role("link", name=NEWCOMER_NAME)).to_be_visible()
    journey.visited(page, "team-guardians")
    main_nav(page).get_by_role("link", name="Guardian program").click()
    expect(page.get_by_text("Active Guardian", exact=True)).to_be_visible()
    journey.visited(page, "application-active")
    journey.assert_accessible()


@pytest.fixture
def attacker_site(portal):
    """Another local site (a second port) whose pages post forms to the portal."""
    forms = {
        "/profile.html": (
            "/profile",
            {"display_name": "Hacked", "team_id": "0", "location": "Hacked"},
        ),
        "/logout.html": ("/auth/logout", {}),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            action, fields = forms[self.path]
            inputs = "".join(
                f'<input type="hidden" name="{name}" value="{escape(value)}">'
                for name, value in {**fields, "csrf_token": "forged"}.items()
            )
            body = (
                '<!doctype html><html lang="en"><title>You won!</title>'
                "<main><h1>You won a prize</h1>"
                f'<form method="post" action="{portal.url(action)}">{inputs}'
                "<button>Claim your prize</button></form></main></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_security_basics(page, portal, journey, attacker_site, new_context):
    person = seed.SECURITY_TESTER
    sign_in(page, portal, person.email)

    # A forged cross-site post carries the session cookie (same site, other port)
    # but no valid CSRF token, and is refused.
    page.goto(attacker_site + "/profile.html")
    page.get_by_role("button", name="Claim your prize").click()
    expect(page.get_by_role("heading", name="Bad request")).to_be_visible()
    expect(
        page.get_by_text("This form has expired or did not come from the portal")
    ).to_be_visible()
    journey.visited(page, "forged-profile-post")
    page.goto(portal.url("/profile"))
    expect(page.get_by_label("Location")).to_have_value(person.location)
    expect(page.get_by_label("Name", exact=True)).to_have_value(person.name)

    page.goto(attacker_site + "/logout.html")
    page.get_by_role("button", name="Claim your prize").click()
    expect(
        page.get_by_text("This form has expired or did not come from the portal")
    ).to_be_visible()
    journey.visited(page, "forged-logout-post")
    page.goto(portal.url("/"))
    expect(page.get_by_role("heading", name=f"Welcome, {person.name}")).to_be_visible()

    # A script in the bio is neither run nor kept.
    page.goto(portal.url("/profile"))
    page.get_by_label("About you").fill(XSS_BIO)
    page.get_by_role("button", name="Save profile").click()
    flash(page, "Your profile is saved.")
    page.get_by_role("link", name="See your public profile").click()
    expect(page.get_by_role("heading", name=person.name, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="About")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    assert page.get_by_role("img").count() == 0
    journey.visited(page, "xss-bio-inert")

    # Wrong passwords for one account are throttled: past the limit, a new
    # address gets no password check, only the offer of an emailed link.
    visitor = new_context().new_page()
    visitor.goto(portal.url("/auth/login"))
    for _ in range(LOGIN_LIMIT):
        visitor.get_by_label("Work email").fill(seed.THROTTLED.email)
        visitor.get_by_label("Password", exact=True).fill("not-the-right-password")
        visitor.get_by_role("button", name="Sign in").click()
        expect(
            visitor.get_by_text(
                "That email and password do not match an active account."
            )
        ).to_be_visible()
    journey.visited(visitor, "wrong-password")
    visitor.get_by_label("Work email").fill(seed.THROTTLED.email)
    visitor.get_by_label("Password", exact=True).fill("not-the-right-password")
    visitor.get_by_role("button", name="Sign in").click()
    flash(visitor, "needs a link from its inbox")
    journey.visited(visitor, "throttled")
    journey.assert_accessible()


LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffvoralternwarenge" * 2  # 102, no space


def test_a_long_unbroken_name_wraps_instead_of_widening_tables(page, portal, journey):
    page.goto(portal.url("/auth/signup"))
    page.get_by_label("Work email").fill("long.name@example.com")
    page.get_by_label("Your name").fill(LONG_NAME[:100])
    page.get_by_label("Team").select_option(label="Billing")
    page.get_by_label("Password", exact=True).fill(NEWCOMER_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEWCOMER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.goto(portal.emailed_link("long.name@example.com", "/auth/confirm/"))
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome, "))).to_be_visible()

    open_user_menu(page, LONG_NAME[:100], "My public profile")
    page.get_by_role("link", name="Billing", exact=True).click()
    expect(page.get_by_role("link", name=LONG_NAME[:100])).to_be_visible()
    journey.visited(page, "long-name-team")

    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.table-responsive')]
            .filter(box => box.scrollWidth > box.clientWidth + 1).length"""
    )
    assert overflowing == 0, "a table is wider than the page"
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
    ), "the page scrolls sideways"
