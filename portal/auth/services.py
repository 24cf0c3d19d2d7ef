"""Sign-up, sign-in, password change and password reset."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.models import Team, User
from portal.accounts.signals import password_changed
from portal.auth.models import PasswordResetToken
from portal.auth.passwords import check_password_policy, hash_password, verify_password
from portal.errors import DomainError, required_text
from portal.extensions import db
from portal.mail.services import queue_email


def normalise_email(email):
    """An address as stored: stripped and lowercased."""
    return (email or "").strip().lower()


def find_user_by_email(email):
    """The account using ``email``, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def sign_up(*, email, display_name, team_id, password, allowed_domains, now):
    """Create an engineer account; the email must be on an allowed domain."""
    email = normalise_email(email)
    domain = email.rpartition("@")[2]
    if domain not in allowed_domains:
        raise DomainError(
            "email",
            "Sign-up is open to company addresses only: "
            + ", ".join(f"@{d}" for d in allowed_domains)
            + ".",
        )
    if find_user_by_email(email) is not None:
        raise DomainError(
            "email",
            "An account already uses this address. Sign in or reset your password.",
        )
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise DomainError("team_id", "Choose a team from the list.")
    check_password_policy(password, email=email, display_name=display_name)
    user = User(
        email=email,
        display_name=required_text(display_name, "display_name"),
        team_id=team_id,
        password_hash=hash_password(password),
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email, password, now):
    """The active user with this email and password, or None (same cost either way)."""
    user = find_user_by_email(email)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        return None
    user.last_login_at = now
    return user


def end_all_sessions(user):
    """Invalidate every session and remember cookie the user holds."""
    user.session_version = User.session_version + 1
    db.session.flush()
    db.session.refresh(user, ["session_version"])


def change_password(user, *, current_password, new_password, now):
    """Change one's own password, given the current one; every other session ends."""
    if not verify_password(user.password_hash, current_password):
        raise DomainError("current_password", "Your current password is not correct.")
    check_password_policy(
        new_password, email=user.email, display_name=user.display_name
    )
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    password_changed.send(user, user=user, now=now, how="changed")


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email, *, now, ttl_minutes, base_url):
    """Email a single-use reset link when the address belongs to an active account.

    Says nothing about whether it does: callers show the same message either way.
    """
    user = find_user_by_email(email)
    if user is None or not user.active:
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=now + timedelta(minutes=ttl_minutes),
            created_at=now,
        )
    )
    return queue_email(
        user.email,
        "Reset your Guardians Portal password",
        "reset_password",
        recipient=user,
        user=user,
        link=f"{base_url.rstrip('/')}/auth/reset/{token}",
        minutes=ttl_minutes,
    )


def find_valid_reset_token(token, now):
    """The unspent, unexpired reset token row for ``token``, or None."""
    row = db.session.scalar(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == _token_hash(token)
        )
    )
    if (
        row is None
        or row.used_at is not None
        or row.expires_at <= now
        or not row.user.active
    ):
        return None
    return row


def reset_password(token, new_password, now):
    """Set a new password from a reset token; the token and its siblings are spent."""
    row = find_valid_reset_token(token, now)
    if row is None:
        raise DomainError(
            "password", "This reset link is no longer valid. Ask for a new one."
        )
    user = row.user
    check_password_policy(
        new_password, email=user.email, display_name=user.display_name
    )
    # The guarded UPDATE means two concurrent submissions of one link cannot both
    # succeed; the user's other open links are spent with it.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise DomainError(
            "password", "This reset link is no longer valid. Ask for a new one."
        )
    db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    password_changed.send(user, user=user, now=now, how="reset")
    return user
