"""Sign-in throttling holds under concurrent requests, and strangers cannot use
it to lock an owner out.

Attempts are counted before the password is checked, so a burst of requests
checks at most the limit's worth of passwords. Past the per-account limit a
password is checked only from an address the owner signed in from before;
elsewhere the answer is "use the link we emailed".
"""

import re
import threading
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.auth import signin
from portal.auth.models import UserSession
from portal.auth.passwords import hash_password
from portal.auth.views import LINK_SENT, LOGIN_FAILED
from portal.database import utcnow
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.concurrency import run_together
from tests.helpers import PASSWORD

WRONG = "not the right password at all"
BURST = 100
LIMIT = 5
SIGN_IN_LINK = re.compile(r"http://127\.0\.0\.1:5000(/auth/link/[A-Za-z0-9_-]+)")


@pytest.fixture
def checked_passwords(monkeypatch):
    """How many passwords sign-in checks, counted across threads."""
    lock = threading.Lock()
    calls = []
    real = signin.verify_password

    def counting(password_hash, password):
        with lock:
            calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(signin, "verify_password", counting)
    return calls


@pytest.fixture
def limited_app(app_factory):
    """The per-account limits at LIMIT; the address limit out of the way unless
    a test is about it."""
    return app_factory(
        PORTAL_LOGIN_LIMIT_PER_ACCOUNT=f"{LIMIT} per 15 minutes",
        PORTAL_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS=f"{LIMIT} per 15 minutes",
        PORTAL_LOGIN_LIMIT_PER_IP="1000 per 15 minutes",
    )


def browser(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(app, email, password, address="10.0.0.1"):
    client = browser(app, address)
    response = client.post("/auth/login", data={"email": email, "password": password})
    return client, response


def burst(calls, timeout=120):
    """Run ``calls`` in threads released together by a barrier; their results.

    The test's own transaction ends first: on SQLite it would hold the write
    lock the requests need (the threads' requests cannot commit it for us).
    """
    db.session.commit()
    return run_together(*calls, timeout=timeout)


def statuses(responses):
    return sorted({response.status_code for response in responses})


def assert_no_server_errors(responses):
    assert all(response.status_code < 500 for response in responses), statuses(
        responses
    )
    assert not any("database is locked" in response.text for response in responses)


def flashes(client):
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def link_answer(app):
    return LINK_SENT.format(minutes=app.config["PORTAL_SIGN_IN_LINK_MINUTES"])


def is_link_answer(app, client, response):
    return (
        response.status_code == 302
        and response.headers["Location"] == "/auth/login"
        and flashes(client) == [link_answer(app)]
    )


def is_signed_in(client):
    return "Welcome, " in client.get("/").text


def session_count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(UserSession))


def test_a_burst_on_one_account_checks_at_most_the_limits_worth_of_passwords(
    limited_app, db, engineer, checked_passwords
):
    email = engineer.email  # read here: the threads have no app context
    results = burst([lambda: attempt(limited_app, email, WRONG) for _ in range(BURST)])

    responses = [response for _, response in results]
    assert_no_server_errors(responses)
    # Two counters (account, account and address) are taken one after the
    # other, so a request can pass one and miss the other: at most LIMIT.
    assert 1 <= len(checked_passwords) <= LIMIT
    refused = [r for r in responses if LOGIN_FAILED in unescape(r.text)]
    assert len(refused) == len(checked_passwords)
    linked = [c for c, r in results if is_link_answer(limited_app, c, r)]
    assert len(refused) + len(linked) == BURST
    # The limit is spent: the right password from here is not checked either.
    checked = len(checked_passwords)
    client, response = attempt(limited_app, engineer.email, PASSWORD)
    assert is_link_answer(limited_app, client, response)
    assert len(checked_passwords) == checked
    assert not is_signed_in(client)
    assert session_count(db) == 0


def test_with_the_shipped_limits_a_burst_from_one_address_is_cut_short(
    app, db, engineer, checked_passwords
):
    per_address = int(app.config["PORTAL_LOGIN_LIMIT_PER_IP"].split()[0])
    per_account = int(app.config["PORTAL_LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    assert per_account < per_address < BURST
    email = engineer.email

    results = burst([lambda: attempt(app, email, WRONG) for _ in range(BURST)])

    responses = [response for _, response in results]
    assert_no_server_errors(responses)
    assert 1 <= len(checked_passwords) <= per_account
    throttled = [r for r in responses if r.status_code == 429]
    assert len(throttled) == BURST - per_address
    assert all(int(r.headers["Retry-After"]) >= 1 for r in throttled)
    assert session_count(db) == 0


def test_the_right_password_in_a_burst_does_not_get_in_once_the_limit_is_spent(
    limited_app, db, engineer, checked_passwords
):
    for _ in range(LIMIT):
        _, response = attempt(limited_app, engineer.email, WRONG)
        assert LOGIN_FAILED in unescape(response.text)
    assert len(checked_passwords) == LIMIT
    email = engineer.email

    results = burst(
        [
            lambda password=password: attempt(limited_app, email, password)
            for password in [PASSWORD, WRONG] * (BURST // 2)
        ]
    )

    assert_no_server_errors([response for _, response in results])
    assert len(checked_passwords) == LIMIT, "no password was checked in the burst"
    assert all(is_link_answer(limited_app, c, r) for c, r in results)
    assert session_count(db) == 0
    assert not any(is_signed_in(client) for client, _ in results[:4])


def test_parallel_sign_ins_to_many_accounts_all_succeed(app, db, make_user):
    people = [make_user() for _ in range(BURST)]
    emails = [person.email for person in people]

    results = burst(
        [
            lambda email=email, n=n: attempt(
                app, email, PASSWORD, address=f"10.1.{n // 250}.{n % 250}"
            )
            for n, email in enumerate(emails)
        ]
    )

    responses = [response for _, response in results]
    assert_no_server_errors(responses)
    assert statuses(responses) == [302]
    assert {response.headers["Location"] for response in responses} == {"/"}
    assert session_count(db) == BURST
    client, _ = results[BURST // 2]
    assert f"Welcome, {people[BURST // 2].display_name}" in client.get("/").text


def test_a_bystander_reads_pages_while_a_burst_is_in_flight(
    limited_app, db, engineer, make_user, monkeypatch
):
    bystander_user = make_user(email="bystander@example.com", name="Bea Bystander")
    bystander = browser(limited_app, "10.9.9.9")
    bystander.post(
        "/auth/login", data={"email": bystander_user.email, "password": PASSWORD}
    )
    # The first password check of the burst waits until the bystander is done,
    # so the burst is still in flight for every one of the bystander's pages.
    burst_started, bystander_done = threading.Event(), threading.Event()
    real = signin.verify_password
    lock = threading.Lock()

    def held_check(password_hash, password):
        with lock:
            first = not burst_started.is_set()
            burst_started.set()
        if first:
            assert bystander_done.wait(timeout=60), "the bystander never finished"
        return real(password_hash, password)

    monkeypatch.setattr(signin, "verify_password", held_check)
    pages = []
    email, person_path = engineer.email, f"/people/{engineer.id}"

    def read_pages():
        assert burst_started.wait(timeout=60)
        try:
            for path in ("/", "/profile", person_path, "/orgs"):
                pages.append(bystander.get(path))
        finally:
            bystander_done.set()
        return None

    results = burst(
        [read_pages]
        + [
            lambda n=n: attempt(limited_app, email, WRONG, f"10.2.0.{n}")
            for n in range(BURST - 1)
        ]
    )

    assert_no_server_errors([response for _, response in results[1:]])
    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert "Welcome, Bea Bystander" in pages[0].text
    assert "Eli Engineer" in pages[2].text


def test_strangers_spending_the_account_limit_do_not_lock_the_owner_out(
    limited_app, db, engineer, checked_passwords
):
    owner_address = "10.0.0.1"
    client, _ = attempt(limited_app, engineer.email, PASSWORD, owner_address)
    assert is_signed_in(client)
    for n in range(LIMIT):
        _, response = attempt(limited_app, engineer.email, WRONG, f"10.0.0.{100 + n}")
        assert LOGIN_FAILED in unescape(response.text)
    checked = len(checked_passwords)

    # From an address the owner never used: no password check, a link instead.
    traveller, response = attempt(limited_app, engineer.email, PASSWORD, "10.0.0.200")
    assert is_link_answer(limited_app, traveller, response)
    assert len(checked_passwords) == checked
    assert not is_signed_in(traveller)
    # From the owner's usual address the right password still works.
    at_desk, response = attempt(limited_app, engineer.email, PASSWORD, owner_address)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(at_desk)

    db.session.expire_all()
    [email] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == engineer.email)
    ).all()
    [path] = SIGN_IN_LINK.findall(email.body_text)
    assert traveller.get(path).status_code == 200
    followed = traveller.post(path)
    assert followed.status_code == 302
    assert followed.headers["Location"] == "/"
    assert is_signed_in(traveller)
    # The link worked once.
    again = limited_app.test_client().post(path)
    assert again.status_code == 302
    assert again.headers["Location"] == "/auth/login"


def test_past_the_global_failure_limit_unknown_addresses_get_a_link_for_every_account(
    app_factory, db, make_user, checked_passwords
):
    sprayed = app_factory(PORTAL_LOGIN_FAILURE_LIMIT="5 per 15 minutes")
    people = [make_user() for _ in range(8)]
    regular = people[7]
    client, _ = attempt(sprayed, regular.email, PASSWORD, "10.3.0.7")
    assert is_signed_in(client)
    for person in people[:5]:
        _, response = attempt(sprayed, person.email, WRONG, "203.0.113.9")
        assert LOGIN_FAILED in unescape(response.text)
    checked = len(checked_passwords)

    for n, person in enumerate(people):
        # Sprayed or not, from an address its owner never used.
        client, response = attempt(sprayed, person.email, PASSWORD, f"10.4.0.{n}")
        assert is_link_answer(sprayed, client, response), person.email
        assert not is_signed_in(client)
    unknown, response = attempt(sprayed, "nobody@example.com", PASSWORD, "10.4.1.1")
    assert is_link_answer(sprayed, unknown, response)
    assert len(checked_passwords) == checked, "no password was checked"
    # An owner at an address they used before still signs in with a password.
    client, response = attempt(sprayed, regular.email, PASSWORD, "10.3.0.7")
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_the_address_limit_answers_429_with_retry_after(
    app_factory, db, engineer, checked_passwords
):
    limited = app_factory(PORTAL_LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    for n in range(3):
        _, response = attempt(limited, f"someone{n}@example.com", WRONG, "10.5.0.1")
        assert response.status_code == 200
    checked = len(checked_passwords)

    _, blocked = attempt(limited, engineer.email, PASSWORD, "10.5.0.1")

    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "Too many sign-in attempts from your network" in unescape(blocked.text)
    assert len(checked_passwords) == checked
    client, elsewhere = attempt(limited, engineer.email, PASSWORD, "10.5.0.2")
    assert elsewhere.headers["Location"] == "/"
    assert is_signed_in(client)


def test_with_throttling_turned_off_sign_in_still_works(app_factory):
    """PORTAL_RATELIMIT_ENABLED=0 (a trial, never production) counts nothing
    and still signs people in; the only app here is the one without limits."""
    app = app_factory(RATELIMIT_ENABLED=False)
    with app.app_context():
        user = User(
            email="trial@example.com",
            display_name="Tia Trial",
            password_hash=hash_password(PASSWORD),
            email_verified_at=utcnow(),
            created_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    for _ in range(3):
        client.post("/auth/login", data={"email": "trial@example.com", "password": "x"})

    response = client.post(
        "/auth/login", data={"email": "trial@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
