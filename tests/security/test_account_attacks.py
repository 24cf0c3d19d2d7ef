"""Attacks on the account layer found by trying it cold, kept as regressions."""

from email.message import EmailMessage
from email.policy import SMTP

import pytest
from sqlalchemy import func, select

from portal.auth.views import LOGIN_FAILED
from portal.mail.models import OutboxMessage
from portal.text import header_text, name_problem
from tests.helpers import ask_for_reset

PASSWORD_OF_ATTACKER = "violet tugboat humming quietly"
ENCODED_WORD = (
    "=?utf-8?q?Eli=0D=0ABcc:_attacker@evil.test=0D=0A=0D=0AUrgent:_reset_at_"
    "http://evil.test?="
)


def test_an_encoded_word_in_a_name_adds_no_header_and_no_body():
    email = EmailMessage(policy=SMTP)
    email["Subject"] = header_text(f"{ENCODED_WORD} nominated you")
    email.set_content("the real body")

    head, _, body = email.as_bytes().partition(b"\r\n\r\n")

    assert b"Bcc" not in head
    assert b"evil.test" not in body
    assert body.strip() == b"the real body"


@pytest.mark.parametrize(
    "name",
    ["\u3164", "\u115f", "\u2800", "\u0301\u0301", "Alex\u17b4Admin", "\u0301Alex"],
)
def test_invisible_names_are_refused(name):
    assert name_problem(name)


@pytest.mark.parametrize("name", ["Zoë Ødegård", "李小龙", "O'Brien-Smith", "J. R."])
def test_ordinary_names_pass(name):
    assert name_problem(name) is None


def _sign_up_then_in(client, email):
    client.post(
        "/auth/signup",
        data={
            "email": email,
            "display_name": "Mallory",
            "team_id": "0",
            "password": PASSWORD_OF_ATTACKER,
            "confirm": PASSWORD_OF_ATTACKER,
        },
    )
    return client.post(
        "/auth/login", data={"email": email, "password": PASSWORD_OF_ATTACKER}
    )


def test_signing_up_then_in_does_not_tell_whether_an_address_was_used(app, engineer):
    used = _sign_up_then_in(app.test_client(), engineer.email)
    free = _sign_up_then_in(app.test_client(), "free.address@example.com")

    assert used.status_code == free.status_code == 200
    assert LOGIN_FAILED in used.text and LOGIN_FAILED in free.text
    assert used.text.replace(engineer.email, "E") == free.text.replace(
        "free.address@example.com", "E"
    )


def _emails_to(db, address):
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.to_address == address)
    )


def test_strangers_triggering_sign_in_links_do_not_use_up_the_owners_reset_emails(
    app_factory, db, make_user
):
    app = app_factory(PORTAL_LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    owner = make_user(email="owner@example.com")
    for number in range(12):
        stranger = app.test_client()
        stranger.environ_base["REMOTE_ADDR"] = f"203.0.113.{number}"
        stranger.post("/auth/login", data={"email": owner.email, "password": "x"})
    links_sent = _emails_to(db, owner.email)
    assert 0 < links_sent <= 5, "sign-in links are limited per address too"

    ask_for_reset(app.test_client(), owner.email)

    assert _emails_to(db, owner.email) == links_sent + 1, "the reset still arrives"


def test_a_throttled_sign_up_says_when_to_come_back(app_factory):
    app = app_factory(PORTAL_SIGNUP_LIMIT_PER_IP="1 per hour")
    client = app.test_client()
    client.post("/auth/signup", data={})

    refused = client.post("/auth/signup", data={})

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
