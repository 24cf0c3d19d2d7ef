"""Queue email in the outbox and deliver it (SMTP when configured, else the console)."""

import logging
import smtplib
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from flask import render_template
from sqlalchemy import func, or_, select, update

from portal.extensions import db
from portal.mail.links import preferences_url
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.text import header_text

log = logging.getLogger("portal.mail")

MAX_ATTEMPTS = 8
SUBJECT_LENGTH = 200
SENDING_STALE_AFTER = timedelta(minutes=15)


def queue_email(to_address, subject, template, *, recipient=None, **context):
    """Add an email to the outbox, rendered from templates/email/<template>.txt/.html.

    With a ``recipient`` the email carries a one-click link to their email preferences.
    """
    if recipient is not None:
        context["preferences_url"] = preferences_url(recipient)
    message = OutboxMessage(
        to_address=to_address,
        subject=header_text(subject, SUBJECT_LENGTH),
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _as_email(message, sender):
    """The message as an email; raises ValueError (or a subclass) when it cannot
    be built. Header values pass through header_text, the one place where
    people's text (names, reasons in subjects) is cleaned of line breaks and
    control characters."""
    email = EmailMessage(policy=SMTP)
    email["From"] = header_text(sender)
    email["To"] = Address(addr_spec=header_text(message.to_address))
    email["Subject"] = header_text(message.subject, SUBJECT_LENGTH)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _send_smtp(email, config):
    with smtplib.SMTP(
        config["PORTAL_SMTP_HOST"],
        config["PORTAL_SMTP_PORT"],
        timeout=config["PORTAL_SMTP_TIMEOUT"],
    ) as smtp:
        if config["PORTAL_SMTP_STARTTLS"]:
            smtp.starttls()
        if config["PORTAL_SMTP_USERNAME"]:
            smtp.login(
                config["PORTAL_SMTP_USERNAME"], config["PORTAL_SMTP_PASSWORD"] or ""
            )
        smtp.send_message(email)


def _print_to_console(message):
    print(
        f"\n----- email to {message.to_address} -----\n"
        f"Subject: {message.subject}\n\n{message.body_text}\n"
        "----- end of email -----\n",
        flush=True,
    )


def retry_delay(attempts):
    """Back-off after a failed attempt: 1, 2, 4 ... minutes, at most 4 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 240))


def _claim(message_id, now):
    """Mark a due message as being sent and count the attempt, and commit: no
    other runner sends it, and the attempt counts even if this process dies."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING
        )
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
    ).rowcount
    db.session.commit()
    return claimed == 1


def _send(message, config):
    try:
        email = _as_email(message, config["PORTAL_MAIL_SENDER"])
    except Exception as error:  # noqa: BLE001 - header and encoding errors vary
        raise UnbuildableMessage(error) from error
    if config.get("PORTAL_SMTP_HOST"):
        _send_smtp(email, config)
    else:
        _print_to_console(message)


class UnbuildableMessage(Exception):
    """The message cannot be made into an email; retrying will not help."""


def deliver_message(message, config, now):
    """Send one claimed message and record the outcome; True when it was sent.

    Any failure (the message cannot be built, the server refuses it, the
    network fails) rolls back what the attempt did and records the error in a
    transaction of its own, so no message blocks the queue or a request. A
    message that cannot be built fails at once; others retry with back-off
    and fail after MAX_ATTEMPTS (counted when the message was claimed).
    """
    message_id = message.id
    try:
        _send(message, config)
    except Exception as error:  # noqa: BLE001 - every failure is recorded, none escapes
        db.session.rollback()
        _record_failure(db.session.get(OutboxMessage, message_id), error, now)
        return False
    message.status, message.sent_at, message.last_error = OutboxStatus.SENT, now, ""
    db.session.commit()
    return True


def _record_failure(message, error, now):
    cause = error.__cause__ if isinstance(error, UnbuildableMessage) else error
    message.last_error = f"{type(cause).__name__}: {cause}"[:2000]
    if isinstance(error, UnbuildableMessage) or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now + retry_delay(message.attempts)
    log.warning(
        "Email %s not sent (attempt %d): %s",
        message.id,
        message.attempts,
        message.last_error,
    )
    db.session.commit()


def _due(now):
    return select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.PENDING,
        or_(
            OutboxMessage.next_attempt_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        ),
    )


def count_due(now):
    """How many messages the next delivery would try to send."""
    return db.session.scalar(select(func.count()).select_from(_due(now).subquery()))


def deliver_pending(config, now, limit=200):
    """Send due messages, oldest first, committing each; returns how many were sent.

    Each message is claimed before it is sent, so two runners never send one
    twice. A message left "sending" by a process that died goes back to the
    queue after SENDING_STALE_AFTER.
    """
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - SENDING_STALE_AFTER,
        )
        .values(status=OutboxStatus.PENDING)
    )
    due = db.session.scalars(_due(now).order_by(OutboxMessage.id).limit(limit)).all()
    db.session.commit()
    sent = 0
    for message_id in due:
        if _claim(message_id, now):
            sent += deliver_message(
                db.session.get(OutboxMessage, message_id), config, now
            )
    return sent
