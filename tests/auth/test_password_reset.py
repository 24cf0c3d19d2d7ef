"""Password reset: emailed single-use links, expiry, siblings spent, tokens hashed."""

import hashlib
import re
from datetime import timedelta
from html import unescape

import pytest
from flask import current_app
from sqlalchemy import select, text

from portal.auth import services
from portal.auth.models import AccountLink
from portal.auth.passwords import verify_password
from portal.database import utcnow
from portal.errors import DomainError
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.mail.services import deliver_pending
from tests.helpers import PASSWORD, ask_for_reset, login_as

NEW_PASSWORD = "lantern meadow copper fox"
RESET_LINK = re.compile(r"http://127\.0\.0\.1:5000/auth/reset/([A-Za-z0-9_-]+)")


def latest_token(db, email):
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, "no reset email in the outbox"
    match = RESET_LINK.search(message.body_text)
    assert match, "the email has no reset link"
    return match.group(1)


def issue_token(db, email, now=None, ttl_minutes=60):
    current_app.config["PORTAL_PASSWORD_RESET_MINUTES"] = ttl_minutes
    services.request_password_reset(
        email, now=now or utcnow(), allowed_domains=["example.com"]
    )
    db.session.commit()
    return latest_token(db, email)


def set_password(client, token, password=NEW_PASSWORD):
    return client.post(
        f"/auth/reset/{token}", data={"password": password, "confirm": password}
    )


def password_is(db, user, password):
    db.session.refresh(user)
    return verify_password(user.password_hash, password)


def test_reset_link_is_emailed_through_the_outbox(app, client, db, engineer, capsys):
    response = ask_for_reset(client, "Engineer@Example.com")

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    message = db.session.scalar(select(OutboxMessage))
    assert message.to_address == engineer.email
    assert message.subject == "Reset your Guardians Portal password"
    # Queued, not sent inside the request: a known address answers as fast as
    # an unknown one, and one request never drains the queue.
    assert message.status is OutboxStatus.PENDING
    assert deliver_pending(app.config, utcnow()) == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    token = latest_token(db, engineer.email)
    assert token in message.body_html
    assert "within 60 minutes" in message.body_text
    assert token in capsys.readouterr().out


def test_unknown_address_gets_the_same_answer_and_a_note_instead(client, db, engineer):
    known = ask_for_reset(client, engineer.email)
    unknown = ask_for_reset(client, "nobody@example.com")

    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert "If that address belongs to an active account" in unescape(
        client.get("/auth/login").text
    )
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    (reset, note) = messages.all()
    assert (reset.to_address, note.to_address) == (engineer.email, "nobody@example.com")
    assert RESET_LINK.search(reset.body_text)
    assert not RESET_LINK.search(note.body_text)
    assert "no active account uses it" in note.body_text


def test_an_address_outside_the_company_gets_no_email(client, db):
    ask_for_reset(client, "someone@elsewhere.org")

    assert db.session.scalar(select(OutboxMessage)) is None


def test_reset_link_sets_the_password_and_works_once(client, db, engineer):
    ask_for_reset(client, engineer.email)
    token = latest_token(db, engineer.email)

    assert client.get(f"/auth/reset/{token}").status_code == 200
    response = set_password(client, token)

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert password_is(db, engineer, NEW_PASSWORD)
    assert login_as(client, engineer, password=NEW_PASSWORD)

    # The second use is refused, by the page and by the service.
    second = set_password(client, token, password="another fine passphrase")
    assert second.status_code == 302
    assert second.headers["Location"] == "/auth/reset"
    assert password_is(db, engineer, NEW_PASSWORD)
    with pytest.raises(DomainError):
        services.reset_password(token, "another fine passphrase", utcnow())


def test_reset_applies_the_password_policy(client, db, engineer):
    token = issue_token(db, engineer.email)

    response = set_password(client, token, password="short")

    assert response.status_code == 200
    assert "Use at least 12 characters." in response.text
    assert password_is(db, engineer, PASSWORD)
    assert services.find_valid_reset_link(token, utcnow()) is not None, "not spent"


def test_expired_token_is_refused(client, db, engineer):
    token = issue_token(db, engineer.email, now=utcnow() - timedelta(minutes=61))

    page = client.get(f"/auth/reset/{token}")
    post = set_password(client, token)

    assert page.status_code == post.status_code == 302
    assert page.headers["Location"] == "/auth/reset"
    assert password_is(db, engineer, PASSWORD)
    with pytest.raises(DomainError, match="no longer valid"):
        services.reset_password(token, NEW_PASSWORD, utcnow())


def test_token_is_valid_until_it_expires(db, engineer):
    issued = utcnow()
    token = issue_token(db, engineer.email, now=issued, ttl_minutes=30)

    assert services.find_valid_reset_link(token, issued + timedelta(minutes=29))
    assert services.find_valid_reset_link(token, issued + timedelta(minutes=30)) is None


def test_using_a_newer_token_spends_the_older_ones(client, db, engineer):
    older = issue_token(db, engineer.email)
    newer = issue_token(db, engineer.email)
    assert older != newer

    assert set_password(client, newer).status_code == 302

    assert password_is(db, engineer, NEW_PASSWORD)
    assert client.get(f"/auth/reset/{older}").status_code == 302
    set_password(client, older, password="older link should not work")
    assert password_is(db, engineer, NEW_PASSWORD)
    assert all(
        row.used_at is not None for row in db.session.scalars(select(AccountLink))
    )


def test_reset_of_a_deactivated_person_is_refused(client, db, engineer):
    token = issue_token(db, engineer.email)
    engineer.active = False
    db.session.commit()

    assert client.get(f"/auth/reset/{token}").status_code == 302
    set_password(client, token)

    assert password_is(db, engineer, PASSWORD)
    with pytest.raises(DomainError):
        services.reset_password(token, NEW_PASSWORD, utcnow())


def test_deactivated_person_gets_no_reset_link(client, db, make_user):
    user = make_user(email="left@example.com", active=False)

    ask_for_reset(client, user.email)

    message = db.session.scalar(select(OutboxMessage))
    assert "no active account uses it" in message.body_text
    assert not RESET_LINK.search(message.body_text)
    assert db.session.scalar(select(AccountLink)) is None


def test_token_is_stored_hashed(db, engineer):
    token = issue_token(db, engineer.email)

    row = db.session.scalar(select(AccountLink))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.token_hash != token
    # No column of any stored token row holds the raw token.
    raw_rows = db.session.execute(text("SELECT * FROM account_links")).all()
    assert raw_rows
    assert not any(token in str(value) for row in raw_rows for value in row)


def test_reset_ends_existing_sessions(app, db, engineer):
    signed_in = app.test_client()
    login_as(signed_in, engineer)
    token = issue_token(db, engineer.email)

    assert set_password(app.test_client(), token).status_code == 302

    assert "Welcome, " not in signed_in.get("/").text
