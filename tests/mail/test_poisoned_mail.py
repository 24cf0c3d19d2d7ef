"""No message poisons the outbox: injected headers never reach the wire, a
message that cannot be built fails alone, and send errors are counted.

People's names reach subjects ("Mallory nominated you ..."); a name stored
with a line break (the forms refuse one, so it is written straight into the
database here) must not add a header, and must not stop other mail.
"""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db as _db
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.mail.services import MAX_ATTEMPTS, _as_email, deliver_pending
from portal.notifications.services import notify
from portal.text import header_text
from tests.helpers import ask_for_reset
from tests.mail.conftest import free_port

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SENDER = "Guardians Portal <guardians@example.com>"
POISON = "Mallory\r\nBcc: x@evil.example"
ALLOWED_HEADERS = {
    "From",
    "To",
    "Subject",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}
# Every character that some mail software treats as the end of a line.
LINE_BREAKS = ["\r\n", "\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"]


@pytest.fixture
def inbox(smtp_server):
    return smtp_server[1]


def smtp_app(app_factory, port):
    return app_factory(
        PORTAL_SMTP_HOST="127.0.0.1",
        PORTAL_SMTP_PORT=port,
        PORTAL_SMTP_STARTTLS=False,
        PORTAL_SMTP_TIMEOUT=5,
    )


def poisoned_user(db, make_user, email="mallory@example.com"):
    user = make_user(email=email, name="Mallory Placeholder")
    db.session.execute(
        update(User).where(User.id == user.id).values(display_name=POISON)
    )
    db.session.commit()
    db.session.refresh(user)
    assert user.display_name == POISON
    return user


def plain(to, subject="A plain message"):
    return OutboxMessage(to_address=to, subject=subject, body_text="Hello.\n")


def add_raw(db, *messages):
    """Rows written straight into the outbox, as a bug or an old version might."""
    db.session.add_all(messages)
    db.session.commit()
    return [message.id for message in messages]


def header_block(raw):
    return raw.split(b"\r\n\r\n", 1)[0].decode()


def header_names(raw):
    """The names of the message's top-level headers, from the raw bytes."""
    return [
        line.split(":", 1)[0]
        for line in header_block(raw).split("\r\n")
        if line and not line[0].isspace()
    ]


def status_of(db, message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_poisoned_name_and_subject_add_no_header(app_factory, inbox, make_user):
    app = smtp_app(app_factory, inbox.port)
    with app.app_context():
        mallory = poisoned_user(_db, make_user)
        reader = make_user(email="reader@example.com")
        # A real path from a name to a subject: an immediate notification.
        notify(
            reader,
            "account_security",
            f"{mallory.display_name} nominated you to become a Guardian.",
            now=NOW,
        )
        _db.session.commit()
        # And rows whose subjects were never cleaned on the way in.
        raw_ids = add_raw(
            _db,
            *[
                plain(f"to{n}@example.com", f"Hello{line}Bcc: x@evil.example")
                for n, line in enumerate(LINE_BREAKS)
            ],
        )
        # Mallory's own account email carries the name in its body.
        response = ask_for_reset(app.test_client(), mallory.email)
        assert response.status_code == 302
        queued = _db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.to_address == mallory.email)
        )
        assert POISON in queued.body_text

        sent = deliver_pending(app.config, NOW)

        total = len(LINE_BREAKS) + 2
        assert sent == total
        for message_id in raw_ids:
            assert status_of(_db, message_id).status is OutboxStatus.SENT
    assert len(inbox.envelopes) == total
    recipients = sorted(r for envelope in inbox.envelopes for r in envelope.rcpt_tos)
    assert "x@evil.example" not in recipients
    assert recipients == sorted(
        ["reader@example.com", "mallory@example.com"]
        + [f"to{n}@example.com" for n in range(len(LINE_BREAKS))]
    )
    for envelope in inbox.envelopes:
        names = header_names(envelope.content)
        assert set(names) <= ALLOWED_HEADERS, names
        assert len(names) == len(set(names)), f"a header repeats: {names}"
        email = message_from_bytes(envelope.content, policy=default_policy)
        assert email["Bcc"] is None
        assert email["To"] == envelope.rcpt_tos[0]
        subject = email["Subject"]
        assert not any(ch in subject for ch in "\r\n\x85\u2028\u2029\x0b\x0c\x1c")
    nomination = next(
        e for e in inbox.envelopes if e.rcpt_tos == ["reader@example.com"]
    )
    subject = message_from_bytes(nomination.content, policy=default_policy)["Subject"]
    assert subject == "Mallory Bcc: x@evil.example nominated you to become a Guardian."


@pytest.mark.parametrize("line", LINE_BREAKS, ids=[repr(c) for c in LINE_BREAKS])
def test_the_built_email_has_only_its_own_headers(app, line):
    message = OutboxMessage(
        id=7,
        to_address="reader@example.com",
        subject=f"Your role{line}Bcc: x@evil.example{line}{line}Body injection",
        body_text="Hello.\n",
    )

    email = _as_email(message, f"Guardians{line}Bcc: y@evil.example <g@example.com>")

    raw = email.as_bytes()
    assert set(header_names(raw)) <= ALLOWED_HEADERS, header_names(raw)
    assert email["Bcc"] is None
    assert email["Subject"] == header_text(message.subject)
    assert "Body injection" not in raw.split(b"\r\n\r\n", 1)[1].decode()


def test_a_message_that_cannot_be_built_fails_alone(app_factory, inbox):
    app = smtp_app(app_factory, inbox.port)
    with app.app_context():
        ids = add_raw(
            _db,
            plain("first@example.com"),
            plain("bad\naddress"),
            plain("second@example.com"),
            plain("no-at-sign"),
            plain("x@evil.example\r\nBcc: y@evil.example"),
            plain("third@example.com"),
        )

        sent = deliver_pending(app.config, NOW)

        assert sent == 3
        rows = [status_of(_db, message_id) for message_id in ids]
        assert [row.status for row in rows] == [
            OutboxStatus.SENT,
            OutboxStatus.FAILED,
            OutboxStatus.SENT,
            OutboxStatus.FAILED,
            OutboxStatus.FAILED,
            OutboxStatus.SENT,
        ]
        for failed in (rows[1], rows[3], rows[4]):
            assert failed.attempts == 1, "it fails at once, with no retry"
            assert failed.next_attempt_at is None
            assert failed.sent_at is None
            assert failed.last_error, "the error is recorded"
            assert "UnbuildableMessage" not in failed.last_error
        assert "addr-spec" in rows[1].last_error
        assert "Invalid addr_spec" in rows[4].last_error
        # A second run leaves the failed messages alone.
        assert deliver_pending(app.config, NOW + timedelta(hours=1)) == 0
        assert status_of(_db, ids[1]).attempts == 1
    assert sorted(r for e in inbox.envelopes for r in e.rcpt_tos) == [
        "first@example.com",
        "second@example.com",
        "third@example.com",
    ]


def test_send_errors_are_counted_and_end_failed_after_max_attempts(app_factory):
    app = smtp_app(app_factory, free_port())  # nothing listens there
    with app.app_context():
        [message_id] = add_raw(_db, plain("rita@example.com"))
        client = app.test_client()
        now = NOW
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert deliver_pending(app.config, now) == 0
            row = status_of(_db, message_id)
            assert row.attempts == attempt, "the attempt counts despite the rollback"
            assert row.last_error.startswith("ConnectionRefusedError")
            # The reset form keeps answering while mail cannot go out.
            response = ask_for_reset(client, "rita@example.com")
            assert response.status_code == 302
            if attempt < MAX_ATTEMPTS:
                assert row.status is OutboxStatus.PENDING
                assert row.next_attempt_at > now
                # Not retried before its time ...
                assert (
                    deliver_pending(
                        app.config, row.next_attempt_at - timedelta(seconds=1)
                    )
                    == 0
                )
                assert status_of(_db, message_id).attempts == attempt
                now = row.next_attempt_at  # ... and retried at it.

        row = status_of(_db, message_id)
        assert row.status is OutboxStatus.FAILED
        assert row.attempts == MAX_ATTEMPTS
        assert row.sent_at is None
        assert deliver_pending(app.config, now + timedelta(days=1)) == 0
        assert status_of(_db, message_id).attempts == MAX_ATTEMPTS


def test_the_reset_form_answers_while_a_poisoned_account_asks(
    app, client, db, make_user
):
    mallory = poisoned_user(db, make_user)

    response = ask_for_reset(client, mallory.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    [queued] = db.session.scalars(select(OutboxMessage)).all()
    assert "\n" not in queued.subject and "\r" not in queued.subject
    assert deliver_pending(app.config, utcnow()) == 1
