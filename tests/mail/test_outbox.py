"""The outbox: queued mail is printed, sent over real SMTP, or kept for a retry."""

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy

from sqlalchemy import select

from portal.mail.models import OutboxMessage, OutboxStatus
from portal.mail.services import deliver_pending, queue_email
from tests.mail.conftest import free_port

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


class FakeUser:
    display_name = "Rita Reset"


def queue_reset_email(db, to="rita@example.com"):
    message = queue_email(
        to,
        "Reset your Guardians Portal password",
        "reset_password",
        user=FakeUser(),
        link="http://portal.test/auth/reset/abc123",
        minutes=60,
    )
    db.session.commit()
    return message


def smtp_app(app_factory, port):
    return app_factory(
        PORTAL_SMTP_HOST="127.0.0.1",
        PORTAL_SMTP_PORT=port,
        PORTAL_SMTP_STARTTLS=False,
        PORTAL_SMTP_TIMEOUT=5,
    )


def test_queue_email_renders_text_and_html_into_the_outbox(db):
    queue_reset_email(db)

    message = db.session.scalar(select(OutboxMessage))
    assert message.to_address == "rita@example.com"
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 0
    assert "Hello Rita Reset," in message.body_text
    assert "http://portal.test/auth/reset/abc123" in message.body_text
    assert '<a href="http://portal.test/auth/reset/abc123">' in message.body_html


def test_without_smtp_mail_is_printed_and_marked_sent(app, db, capsys):
    assert not app.config["PORTAL_SMTP_HOST"]
    queue_reset_email(db)

    sent = deliver_pending(app.config, NOW)
    db.session.commit()

    assert sent == 1
    out = capsys.readouterr().out
    assert "----- email to rita@example.com -----" in out
    assert "Subject: Reset your Guardians Portal password" in out
    assert "http://portal.test/auth/reset/abc123" in out
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.SENT
    assert message.sent_at == NOW
    assert message.attempts == 1
    assert message.last_error == ""


def test_sent_mail_is_not_sent_again(app, db, capsys):
    queue_reset_email(db)
    deliver_pending(app.config, NOW)
    db.session.commit()
    capsys.readouterr()

    assert deliver_pending(app.config, NOW) == 0
    assert capsys.readouterr().out == ""


def test_smtp_delivers_text_and_html_parts(app_factory, smtp_server):
    controller, inbox = smtp_server
    app = smtp_app(app_factory, controller.port)
    with app.app_context():
        from portal.extensions import db

        queue_reset_email(db)
        assert deliver_pending(app.config, NOW) == 1
        db.session.commit()
        message = db.session.scalar(select(OutboxMessage))
        assert message.status is OutboxStatus.SENT
        assert message.attempts == 1

    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["rita@example.com"]
    assert envelope.mail_from == "guardians@example.com"
    email = message_from_bytes(envelope.content, policy=default_policy)
    assert email["Subject"] == "Reset your Guardians Portal password"
    assert email["To"] == "rita@example.com"
    assert email.get_content_type() == "multipart/alternative"
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert "http://portal.test/auth/reset/abc123" in text.get_content()
    assert '<a href="http://portal.test/auth/reset/abc123">' in html.get_content()


def test_unreachable_smtp_keeps_the_message_pending(app_factory, smtp_server):
    closed_port = free_port()  # nothing listens here
    app = smtp_app(app_factory, closed_port)
    with app.app_context():
        from portal.extensions import db

        queue_reset_email(db)
        assert deliver_pending(app.config, NOW) == 0
        db.session.commit()

        message = db.session.scalar(select(OutboxMessage))
        assert message.status is OutboxStatus.PENDING
        assert message.sent_at is None
        assert message.attempts == 1
        assert message.last_error.startswith("ConnectionRefusedError")

        # Nothing is lost: once the server answers, the next run sends it.
        retry_at = message.next_attempt_at or NOW
        assert retry_at >= NOW
        controller, inbox = smtp_server
        app.config["PORTAL_SMTP_PORT"] = controller.port
        assert deliver_pending(app.config, retry_at) == 1
        db.session.commit()
        db.session.refresh(message)
        assert message.status is OutboxStatus.SENT
        assert message.attempts == 2
        assert message.last_error == ""
    assert len(inbox.envelopes) == 1
