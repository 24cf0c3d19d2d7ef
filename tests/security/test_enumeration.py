"""Sign-in and password reset do not reveal which addresses have accounts."""

import re

from sqlalchemy import func, select

from portal.auth.views import LOGIN_FAILED
from portal.mail.models import OutboxMessage
from tests.helpers import PASSWORD, ask_for_reset

UNKNOWN = "nobody-here@example.com"


def _outbox_count(db, address=None):
    db.session.expire_all()
    query = select(func.count()).select_from(OutboxMessage)
    if address:
        query = query.where(OutboxMessage.to_address == address)
    return db.session.scalar(query)


def _without(page, email):
    """The page with the echoed email taken out, for a like-for-like comparison."""
    return re.sub(re.escape(email), "EMAIL", page)


def _flashes(client):
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_unknown_email_and_wrong_password_look_the_same(client, engineer):
    unknown = client.post("/auth/login", data={"email": UNKNOWN, "password": PASSWORD})
    wrong = client.post(
        "/auth/login",
        data={"email": engineer.email, "password": "a wrong password here"},
    )

    assert unknown.status_code == wrong.status_code == 200
    assert LOGIN_FAILED in unknown.text and LOGIN_FAILED in wrong.text
    assert _without(unknown.text, UNKNOWN) == _without(wrong.text, engineer.email)


def test_deactivated_account_looks_like_a_wrong_password(client, engineer, make_user):
    closed = make_user(email="closed@example.com", active=False)

    right_password = client.post(
        "/auth/login", data={"email": closed.email, "password": PASSWORD}
    )
    wrong = client.post(
        "/auth/login",
        data={"email": engineer.email, "password": "a wrong password here"},
    )

    assert right_password.status_code == wrong.status_code == 200
    assert _without(right_password.text, closed.email) == _without(
        wrong.text, engineer.email
    )


def test_reset_request_says_the_same_for_known_and_unknown_addresses(app, db, engineer):
    known_client, unknown_client = app.test_client(), app.test_client()
    before = _outbox_count(db)

    known = ask_for_reset(known_client, engineer.email)
    assert _outbox_count(db) == before + 1
    unknown = ask_for_reset(unknown_client, UNKNOWN)

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/auth/login"
    known_flashes, unknown_flashes = _flashes(known_client), _flashes(unknown_client)
    assert known_flashes == unknown_flashes
    assert len(known_flashes) == 1 and "If that address belongs" in known_flashes[0][1]
    # The same work either way: one email each (a link, or a note that no
    # account uses the address).
    assert _outbox_count(db) == before + 2
    assert _outbox_count(db, engineer.email) == 1
    assert _outbox_count(db, UNKNOWN) == 1


def test_reset_request_for_a_deactivated_account_sends_no_link(app, db, make_user):
    closed = make_user(email="closed@example.com", active=False)
    client = app.test_client()

    response = ask_for_reset(client, closed.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "If that address belongs" in _flashes(client)[0][1]
    assert _outbox_count(db) == 1
    body = db.session.scalar(select(OutboxMessage.body_text))
    assert "/auth/reset/" not in body
