"""Server-side sessions: started at sign-in, checked on every request, ended
for good by sign-out, revocation, a password change or deactivation.

The session cookie and the "keep me signed in" cookie carry one random
secret; the database keeps its SHA-256 with the browser, address, first and
last use, an absolute end and (through ``last_seen_at``) an idle timeout.
"""

import hashlib
import secrets
from datetime import timedelta

import ua_parser
from flask import current_app
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.auth.models import UserSession
from portal.database import request_only_reads, utcnow
from portal.extensions import db

# How stale ``last_seen_at`` may get before a request writes it again: a busy
# reader writes once a minute, not on every page.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def lifetimes(remember, config):
    """(absolute lifetime, idle timeout) of a session."""
    if remember:
        return config["REMEMBER_COOKIE_DURATION"], config["PORTAL_REMEMBER_IDLE"]
    return config["PERMANENT_SESSION_LIFETIME"], config["PORTAL_SESSION_IDLE"]


def start_session(user, *, remember, user_agent, address, now, config):
    """Record a new signed-in session for ``user``; its secret goes on the user
    object for Flask-Login to write into the cookies."""
    token = secrets.token_urlsafe(32)
    lifetime, _ = lifetimes(remember, config)
    row = UserSession(
        user_id=user.id,
        token_hash=token_hash(token),
        remember=remember,
        user_agent=(user_agent or "")[:300],
        address=(address or "")[:45],
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(row)
    db.session.flush()
    user.session_token = token
    return row


def is_live(row, now, config):
    """Whether a session row still signs its browser in."""
    _, idle = lifetimes(row.remember, config)
    return (
        row.revoked_at is None
        and row.expires_at > now
        and row.last_seen_at + idle > now
    )


def load_user(token):
    """Flask-Login's loader: the person a live session belongs to, or None.

    Pages that read begin no write transaction, so ``last_seen_at`` is written
    on a connection of its own, at most once a minute and only by pages that
    read (a form's POST may hold the write lock already; its redirect counts).
    """
    if not token or len(token) > 100:
        return None
    found = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash(token))
    ).one_or_none()
    now = utcnow()
    if found is None:
        return None
    row, user = found
    verified = user.email_verified_at is not None
    if not (user.active and verified and is_live(row, now, current_app.config)):
        return None
    if now - row.last_seen_at > TOUCH_EVERY and request_only_reads():
        _touch(row.id, now)
    user.session_token = token
    user.current_session_id = row.id
    return user


def _touch(session_id, now):
    with db.engine.connect().execution_options(portal_writes=True) as connection:
        connection.execute(
            update(UserSession)
            .where(UserSession.id == session_id)
            .values(last_seen_at=now)
        )
        connection.commit()


def revoke_session(row, now):
    """End one session and its remember cookie for good."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all_sessions(user, now):
    """End every session the person holds (password change, reset, deactivation,
    "sign out everywhere"); returns how many were live."""
    return db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount


def live_sessions(user, now, config):
    """The person's sessions that still sign a browser in, latest first."""
    rows = db.session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [row for row in rows if is_live(row, now, config)]


def known_address(user_id, address, now, days=90):
    """Whether the person signed in from ``address`` within ``days``."""
    return (
        db.session.scalar(
            select(UserSession.id)
            .where(
                UserSession.user_id == user_id,
                UserSession.address == address,
                UserSession.created_at > now - timedelta(days=days),
            )
            .limit(1)
        )
        is not None
    )


def browser_label(user_agent):
    """ "Firefox 128 on Linux" from a User-Agent header; "Unknown browser" when
    it names none."""
    parsed = ua_parser.parse(user_agent or "").with_defaults()
    browser = parsed.user_agent.family
    if browser == "Other":
        return "Unknown browser"
    if parsed.user_agent.major:
        browser = f"{browser} {parsed.user_agent.major}"
    system = parsed.os.family
    return browser if system == "Other" else f"{browser} on {system}"
