"""The outbox delivery job."""

from flask import current_app

from portal.mail.services import deliver_pending


def deliver_outbox(now):
    """Send what is due in the outbox (each message commits on its own: it left the building)."""
    sent = deliver_pending(current_app.config, now)
    return f"{sent} email(s) sent"
