"""The job that answers password reset requests, before the outbox sends them."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from portal.auth.models import PasswordResetRequest
from portal.auth.services import request_password_reset
from portal.extensions import db

BATCH = 500
KEPT_FOR = timedelta(days=1)


def answer_reset_requests(now):
    """Queue the email each waiting reset request gets (a link, or a note that
    no account uses the address); answered requests older than a day go."""
    waiting = db.session.scalars(
        select(PasswordResetRequest)
        .where(PasswordResetRequest.answered_at.is_(None))
        .order_by(PasswordResetRequest.id)
        .limit(BATCH)
    ).all()
    domains = current_app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"]
    for row in waiting:
        request_password_reset(row.email, now=now, allowed_domains=domains)
        row.answered_at = now
    db.session.execute(
        delete(PasswordResetRequest).where(
            PasswordResetRequest.answered_at < now - KEPT_FOR
        )
    )
    return f"{len(waiting)} reset request(s) answered"


def preview_reset_requests(now):
    """How many requests the next run would answer, changing nothing."""
    count = len(
        db.session.scalars(
            select(PasswordResetRequest.id)
            .where(PasswordResetRequest.answered_at.is_(None))
            .limit(BATCH)
        ).all()
    )
    return f"{count} reset request(s) would be answered"
