"""The outbox delivery job."""

from flask import current_app

from portal.mail.services import count_due, deliver_pending

IDLE_SUMMARY = "0 email(s) sent"


def deliver_outbox(now):
    """Send what is due in the outbox.

    Each message commits on its own: once sent, it cannot be rolled back.
    """
    sent = deliver_pending(current_app.config, now)
    return f"{sent} email(s) sent"


def preview_outbox(now):
    """What delivery would do now, sending nothing (a sent email cannot be undone)."""
    return f"{count_due(now)} email(s) would be sent"
