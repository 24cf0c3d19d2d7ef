"""Sign-up with a confirmed address, password change and password reset.

Password hashes and checks are slow on purpose (argon2), so these services
end their read-only transaction first (portal.database.end_read_only_transaction):
no lock is held while argon2 runs. Sign-up and reset answer alike, and take
the same path, whether or not an address is in use.
"""

from sqlalchemy import select

from portal.accounts.models import Team, User
from portal.accounts.signals import password_changed
from portal.auth.links import (
    email_link,
    find_live_link,
    send_account_email,
    spend_link,
    spend_links,
)
from portal.auth.models import LinkPurpose, PasswordResetRequest
from portal.auth.passwords import check_password_policy, hash_password, verify_password
from portal.auth.sessions import revoke_all_sessions
from portal.database import end_read_only_transaction
from portal.errors import DomainError, required_name
from portal.extensions import db
from portal.mail.links import absolute_url

LINK_INVALID = "This link is no longer valid. Ask for a new one."


def normalise_email(email):
    """An address as stored: stripped and lowercased."""
    return (email or "").strip().lower()


def find_user_by_email(email):
    """The account using ``email``, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_allowed_domain(email, allowed_domains):
    if email.rpartition("@")[2] not in allowed_domains:
        raise DomainError(
            "email",
            "Sign-up is open to company addresses only: "
            + ", ".join(f"@{d}" for d in allowed_domains)
            + ".",
        )


def sign_up(*, email, display_name, team_id, password, allowed_domains, now):
    """Create a pending engineer account and email it a confirmation link.

    An address already in use gets an email telling its owner that someone
    tried; the caller answers "check your inbox" either way. Anyone may call.
    """
    email = normalise_email(email)
    check_allowed_domain(email, allowed_domains)
    display_name = required_name(display_name, "display_name")
    check_password_policy(password, email=email, display_name=display_name)
    end_read_only_transaction(db.session)
    password_hash = hash_password(password)  # for both answers: same time
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise DomainError("team_id", "Choose a team from the list.")
    existing = find_user_by_email(email)
    if existing is not None:
        send_account_email(
            existing.email,
            "Someone tried to sign up with your address",
            "signup_existing",
            user=existing,
            sign_in_link=absolute_url("/auth/login"),
            reset_link=absolute_url("/auth/reset"),
        )
        return None
    user = User(
        email=email,
        display_name=display_name,
        team_id=team_id,
        password_hash=password_hash,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    send_confirmation(user, now)
    return user


def send_confirmation(user, now):
    """Email the person a link that confirms their address and signs them in."""
    return email_link(
        user,
        LinkPurpose.VERIFY_EMAIL,
        "Confirm your Guardians Portal address",
        "verify_email",
        now,
    )


def end_all_sessions(user, now):
    """End every session and remember cookie the person holds."""
    revoke_all_sessions(user, now)


def _set_password(user, password_hash, now, how):
    user.password_hash = password_hash
    revoke_all_sessions(user, now)
    spend_links(user, now)
    password_changed.send(user, user=user, now=now, how=how)


def change_password(user, *, current_password, new_password, now):
    """Change one's own password, given the current one; every session ends."""
    check_password_policy(
        new_password, email=user.email, display_name=user.display_name
    )
    current_hash = user.password_hash
    end_read_only_transaction(db.session)
    if not verify_password(current_hash, current_password):
        raise DomainError("current_password", "Your current password is not correct.")
    _set_password(user, hash_password(new_password), now, "changed")


def ask_for_password_reset(email, now):
    """Record a reset request for the job to answer; anyone may ask. The same
    one INSERT for every address, so the form's answer tells nothing."""
    db.session.add(
        PasswordResetRequest(email=normalise_email(email)[:254], created_at=now)
    )


def request_password_reset(email, *, now, allowed_domains):
    """Queue the reset email: a single-use link for an active account, or a note
    that no account uses the address (company domains only). Callers show the
    same message either way."""
    email = normalise_email(email)
    user = find_user_by_email(email)
    if user is not None and user.active:
        return email_link(
            user,
            LinkPurpose.RESET,
            "Reset your Guardians Portal password",
            "reset_password",
            now,
        )
    if email.rpartition("@")[2] in allowed_domains:
        return send_account_email(
            email,
            "Guardians Portal password reset",
            "reset_no_account",
            sign_up_link=absolute_url("/auth/signup"),
        )
    return None


def find_valid_reset_link(token, now):
    """The live reset link for ``token``, or None."""
    return find_live_link(token, LinkPurpose.RESET, now)


def reset_password(token, new_password, now):
    """Set a new password from a reset link, which also proves the address;
    every session ends and the person's other links die."""
    row = find_valid_reset_link(token, now)
    if row is None:
        raise DomainError("password", LINK_INVALID)
    user = row.user
    check_password_policy(
        new_password, email=user.email, display_name=user.display_name
    )
    end_read_only_transaction(db.session)
    password_hash = hash_password(new_password)
    # The guarded UPDATE means two concurrent submissions of one link cannot both
    # succeed.
    if not spend_link(row, now):
        raise DomainError("password", LINK_INVALID)
    if user.email_verified_at is None:
        user.email_verified_at = now
    _set_password(user, password_hash, now, "reset")
    return user
