"""Queue email in the outbox and deliver it (SMTP when configured, else the console)."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import render_template
from sqlalchemy import select

from portal.extensions import db
from portal.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger("portal.mail")


def queue_email(to_address, subject, template, **context):
    """Add an email to the outbox, rendered from ``templates/email/<template>.txt/.html``."""
    message = OutboxMessage(
        to_address=to_address,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _as_email(message, sender):
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _send_smtp(email, config):
    with smtplib.SMTP(
        config["PORTAL_SMTP_HOST"], config["PORTAL_SMTP_PORT"], timeout=config["PORTAL_SMTP_TIMEOUT"]
    ) as smtp:
        if config["PORTAL_SMTP_STARTTLS"]:
            smtp.starttls()
        if config["PORTAL_SMTP_USERNAME"]:
            smtp.login(config["PORTAL_SMTP_USERNAME"], config["PORTAL_SMTP_PASSWORD"] or "")
        smtp.send_message(email)


def _print_to_console(message):
    print(
        f"\n----- email to {message.to_address} -----\n"
        f"Subject: {message.subject}\n\n{message.body_text}\n"
        "----- end of email -----\n",
        flush=True,
    )


def deliver_message(message, config, now):
    """Send one pending message; record the outcome on the row."""
    email = _as_email(message, config["PORTAL_MAIL_SENDER"])
    message.attempts += 1
    try:
        if config.get("PORTAL_SMTP_HOST"):
            _send_smtp(email, config)
        else:
            _print_to_console(message)
    except (OSError, smtplib.SMTPException) as error:
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        log.warning("Email %s not sent: %s", message.id, message.last_error)
        return False
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.last_error = ""
    return True


def deliver_pending(config, now, limit=100):
    """Send pending messages, oldest first; returns how many were sent."""
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return sum(deliver_message(message, config, now) for message in pending)
