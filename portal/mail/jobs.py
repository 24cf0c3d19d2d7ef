"""The outbox delivery job."""

from flask import current_app

from portal.mail.services import deliver_pending


def deliver_outbox(now):
    """Send what is due in the outbox.

    Each message commits on its own: once sent, it cannot be rolled back.
    """
    sent = deliver_pending(current_app.config, now)
    return f"{sent} email(s) sent"
