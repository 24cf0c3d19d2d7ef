"""Helpers the tests share: the test configuration, signing in, CSRF tokens,
counting SQL statements and reading rows as the database has them."""

import contextvars
import os
import re
from contextlib import contextmanager

from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from portal.auth.jobs import answer_reset_requests
from portal.database import utcnow
from portal.extensions import db

PASSWORD = "correct horse battery staple"


class IsolatedRequestsClient(FlaskClient):
    """A test client whose every request runs as it would in production.

    Tests keep an app context pushed, and Flask reuses a pushed context for
    each request of the same app, so ``g`` (the signed-in person, the CSRF
    token) and the database session would carry over from one request, and
    one client, to the next. Each request here runs in an empty
    ``contextvars`` context instead: its own app context, ``g`` and session.
    The test's session is committed first, so the request sees what the test
    set up (and SQLite's write lock is free).
    """

    def open(self, *args, **kwargs):
        if has_app_context():  # not when following a redirect inside a request
            db.session.commit()
        kwargs["buffered"] = True  # finish streamed bodies inside the request
        return contextvars.Context().run(super().open, *args, **kwargs)


def test_config(url, **overrides):
    config = {
        "TESTING": True,
        "PORTAL_ENV": "test",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "PORTAL_ALLOWED_EMAIL_DOMAINS": ["example.com", "guardians.test"],
        "PORTAL_FAST_PASSWORD_HASHING": True,
        "PORTAL_LOAD_DEMO_DATA": False,
        "PORTAL_TRAINING_COOLDOWN_MINUTES": None,
        # Redis on the PostgreSQL run of .ci/run, so throttling is proven on both.
        "RATELIMIT_STORAGE_URI": os.environ.get(
            "PORTAL_TEST_RATELIMIT_STORAGE_URI", "memory://"
        ),
        "SERVER_NAME": "portal.test",
    }
    config.update(overrides)
    return config


def login_as(client, user, password=PASSWORD, remember=False):
    response = client.post(
        "/auth/login",
        data={
            "email": user.email,
            "password": password,
            "remember": "y" if remember else "",
        },
    )
    assert response.status_code == 302, "sign-in failed"
    return response


def csrf_token_from(html):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@contextmanager
def counting_statements(engine):
    """The SQL statements ``engine`` runs inside the block, as a growing list."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def ask_for_reset(client, email):
    """The reset form, then the job that answers it (as the scheduler would,
    within a minute): the email is in the outbox afterwards."""
    response = client.post("/auth/reset", data={"email": email})
    answer_reset_requests(utcnow())
    db.session.commit()
    return response


def change_password(client, new, current=PASSWORD):
    """The change-password form, as the signed-in person fills it in."""
    return client.post(
        "/auth/password",
        data={"current_password": current, "password": new, "confirm": new},
    )


def fresh(model, object_id):
    """The row as the database has it now, not as the session remembers it."""
    db.session.expire_all()
    return db.session.get(model, object_id)


def row_counts():
    """Rows in every table, to prove that something changed nothing."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
