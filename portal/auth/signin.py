"""Signing in: with a password (throttled, see portal.auth.throttle), or with a
one-time link from the mailbox.

The password check runs outside any database transaction: the person's row is
read, the read transaction ends, argon2 runs, then a short write records the
session. Anyone may call these; the answer never says whether an address is
in use.
"""

import enum
from dataclasses import dataclass

from flask import current_app

from portal.audit.services import record_audit
from portal.auth import throttle
from portal.auth.links import (
    email_link,
    find_live_link,
    spend_link,
)
from portal.auth.models import LinkPurpose, UserSession
from portal.auth.passwords import verify_password
from portal.auth.permissions import can_manage_session
from portal.auth.services import (
    LINK_INVALID,
    change_password,
    find_user_by_email,
    normalise_email,
    send_confirmation,
)
from portal.auth.sessions import (
    known_address,
    revoke_all_sessions,
    revoke_session,
    start_session,
)
from portal.database import end_read_only_transaction
from portal.errors import DomainError, NotAllowed
from portal.extensions import db


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # no active account with this email and password
    ADDRESS_THROTTLED = "address_throttled"  # too many attempts from this address
    LINK_SENT = "link_sent"  # a password is not checked here now: use the link
    UNCONFIRMED = "unconfirmed"  # right password; the address is not confirmed yet


@dataclass
class SignIn:
    outcome: Outcome
    user: object = None
    retry_after: int = 0


def _needs_link(email, address, user_id, now):
    """Count the attempt against the account's limits, before any password is
    checked; True when it is over them from an address the owner has not used
    (or for any address, past the per-account-and-address limit)."""
    account_ok = throttle.count("PORTAL_LOGIN_LIMIT_PER_ACCOUNT", email)
    pair_ok = throttle.count("PORTAL_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", email, address)
    if not pair_ok:
        return True
    spraying = throttle.over("PORTAL_LOGIN_FAILURE_LIMIT", "all")
    if account_ok and not spraying:
        return False
    return user_id is None or not known_address(user_id, address, now)


def sign_in_with_password(email, password, *, address, user_agent, remember, now):
    """Check a password within the limits and start a session when it is right."""
    email = normalise_email(email)[:254]
    if not throttle.count("PORTAL_LOGIN_LIMIT_PER_IP", address):
        wait = throttle.seconds_until_reset("PORTAL_LOGIN_LIMIT_PER_IP", address)
        return SignIn(Outcome.ADDRESS_THROTTLED, retry_after=wait)
    user = find_user_by_email(email)
    user_id = user.id if user is not None else None
    password_hash = user.password_hash if user is not None else None
    if _needs_link(email, address, user_id, now):
        end_read_only_transaction(db.session)
        if user is not None and user.active:
            send_sign_in_link(user, now)
        return SignIn(Outcome.LINK_SENT)
    end_read_only_transaction(db.session)
    valid = verify_password(password_hash, password)
    if not valid or user is None or not user.active:
        throttle.count("PORTAL_LOGIN_FAILURE_LIMIT", "all")
        return SignIn(Outcome.WRONG)
    if user.email_verified_at is None:
        send_confirmation(user, now)
        return SignIn(Outcome.UNCONFIRMED, user)
    throttle.refund("PORTAL_LOGIN_LIMIT_PER_IP", address)
    throttle.forget("PORTAL_LOGIN_LIMIT_PER_ACCOUNT", email)
    throttle.forget("PORTAL_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", email, address)
    return SignIn(
        Outcome.SIGNED_IN,
        _record_sign_in(user, remember, user_agent, address, now),
    )


def _record_sign_in(user, remember, user_agent, address, now):
    user.last_login_at = now
    start_session(
        user,
        remember=remember,
        user_agent=user_agent,
        address=address,
        now=now,
        config=current_app.config,
    )
    return user


def send_sign_in_link(user, now):
    return email_link(
        user,
        LinkPurpose.SIGN_IN,
        "Your Guardians Portal sign-in link",
        "sign_in_link",
        now,
    )


def sign_in_with_link(token, purpose, *, address, user_agent, now):
    """Follow an emailed sign-in or confirmation link: the link is spent and a
    session starts (a confirmation also marks the address confirmed)."""
    row = find_live_link(token, purpose, now)
    if row is None or not spend_link(row, now):
        raise DomainError("token", LINK_INVALID)
    user = row.user
    if user.email_verified_at is None:
        user.email_verified_at = now
    return _record_sign_in(user, False, user_agent, address, now)


def end_session(session_id, now):
    """Sign-out: the session and its remember cookie end on the server."""
    row = db.session.get(UserSession, session_id) if session_id else None
    if row is not None:
        revoke_session(row, now)


def change_password_here(
    user, *, current_password, new_password, address, user_agent, now
):
    """Change one's own password: every session ends, and this browser gets a
    new one."""
    change_password(
        user, current_password=current_password, new_password=new_password, now=now
    )
    return _record_sign_in(user, False, user_agent, address, now)


def sign_out_everywhere(user, now):
    """End every session the person holds, this one included; the person only."""
    count = revoke_all_sessions(user, now)
    record_audit(
        user, "sessions.revoke_all", "user", user.id, target_name=user.display_name
    )
    return count


def revoke_device(user, row, now):
    """End one of the person's own sessions (and its remember cookie)."""
    if not can_manage_session(user, row):
        raise NotAllowed()
    revoke_session(row, now)
    return row
