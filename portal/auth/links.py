"""One-time links emailed to people, and the account emails that carry them.

A link's secret is only in the email; the database keeps its SHA-256. Issuing
a link spends the person's older unused links of the same purpose, a password
change spends them all, and a guarded UPDATE spends a link exactly once.
"""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.auth import throttle
from portal.auth.models import AccountLink, LinkPurpose
from portal.auth.sessions import token_hash
from portal.extensions import db
from portal.mail.links import absolute_url
from portal.mail.services import queue_email

LINK_PATHS = {
    LinkPurpose.RESET: "/auth/reset/",
    LinkPurpose.VERIFY_EMAIL: "/auth/confirm/",
    LinkPurpose.SIGN_IN: "/auth/link/",
}


def issue_link(user, purpose, lifetime, now):
    """A new link for ``user``; their older unused ones of this purpose die."""
    spend_links(user, now, purpose)
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    db.session.flush()
    return absolute_url(LINK_PATHS[purpose] + token)


def spend_links(user, now, *purposes):
    """Spend the person's unused links (of ``purposes``, or every purpose)."""
    query = update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.used_at.is_(None)
    )
    if purposes:
        query = query.where(AccountLink.purpose.in_(purposes))
    db.session.execute(query.values(used_at=now))


def find_live_link(token, purpose, now):
    """The unspent, unexpired link of ``purpose`` for ``token``, whose owner is
    active; else None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        select(AccountLink).where(
            AccountLink.token_hash == token_hash(token), AccountLink.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row if row.user.active else None


def spend_link(row, now):
    """Spend one link; False when another request spent it first."""
    return (
        db.session.execute(
            update(AccountLink)
            .where(AccountLink.id == row.id, AccountLink.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        == 1
    )


def send_account_email(to_address, subject, template, **context):
    """Queue an account email (reset, confirmation, sign-in link, notice).

    One address receives at most PORTAL_ACCOUNT_EMAIL_LIMIT of each kind, so
    the forms cannot be used to flood a colleague's inbox; past it nothing is
    queued, and the form answers as it always does. Each kind has its own
    count, so the sign-in links strangers can trigger never use up the
    owner's reset emails.
    """
    if not throttle.count("PORTAL_ACCOUNT_EMAIL_LIMIT", to_address, template):
        return None
    return queue_email(to_address, subject, template, **context)


def email_link(user, purpose, subject, template, now):
    """Email the person a new link of ``purpose`` (its older ones die), within
    the per-address email limit: past it, no link is made either, so the one
    already in their inbox keeps working."""
    if not throttle.count("PORTAL_ACCOUNT_EMAIL_LIMIT", user.email, purpose.value):
        return None
    lifetime = link_lifetime(current_app.config, purpose)
    minutes = int(lifetime.total_seconds() // 60)
    return queue_email(
        user.email,
        subject,
        template,
        user=user,
        link=issue_link(user, purpose, lifetime, now),
        minutes=minutes,
        hours=minutes // 60,
    )


def link_lifetime(config, purpose):
    return {
        LinkPurpose.RESET: timedelta(minutes=config["PORTAL_PASSWORD_RESET_MINUTES"]),
        LinkPurpose.VERIFY_EMAIL: timedelta(hours=config["PORTAL_VERIFY_EMAIL_HOURS"]),
        LinkPurpose.SIGN_IN: timedelta(minutes=config["PORTAL_SIGN_IN_LINK_MINUTES"]),
    }[purpose]
