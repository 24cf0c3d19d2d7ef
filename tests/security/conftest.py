"""Fixtures for the security tests: signed-in clients, a victim and reset links."""

import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.services import request_password_reset
from portal.database import utcnow
from portal.extensions import db as _db
from portal.mail.models import OutboxMessage
from tests.helpers import login_as

RESET_LINK = re.compile(r"/auth/reset/([A-Za-z0-9_-]+)")


@pytest.fixture
def make_app(app, app_factory):
    """An app with config overrides; the shared app's context stays pushed for
    the test's own queries."""
    return app_factory


@pytest.fixture
def signed_in(app):
    """A new client (a browser of its own) signed in as ``user``."""

    def make(user, remember=False):
        client = app.test_client()
        login_as(client, user, remember=remember)
        return client

    return make


@pytest.fixture
def victim(make_user, make_team):
    """A colleague, holding the guardian role, whom the intruder targets."""
    return make_user(
        email="victim@example.com",
        name="Vera Victim",
        team=make_team(),
        roles=["guardian"],
    )


def newest_reset_token(email):
    """The token in the newest reset email queued for ``email``."""
    message = _db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no email was queued for {email}"
    match = RESET_LINK.search(message.body_text)
    assert match, "the reset email carries no reset link"
    return match.group(1)


@pytest.fixture
def reset_token(app, db):
    """Issue a real reset link for ``user`` through the service; return its token."""

    def issue(user):
        request_password_reset(
            user.email, now=utcnow(), ttl_minutes=60, base_url="http://portal.test"
        )
        db.session.commit()
        return newest_reset_token(user.email)

    return issue


def audit_count():
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(AuditEvent))


def is_signed_in(client):
    """True when the start page greets a signed-in person."""
    page = client.get("/")
    assert page.status_code == 200
    return "Welcome, " in page.text


def shows_landing_page(client):
    page = client.get("/")
    return page.status_code == 200 and "Become a Security Guardian" in page.text
