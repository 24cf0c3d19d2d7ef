"""Notifications for account events (see portal/accounts/signals.py)."""

from portal.accounts.signals import password_changed, role_granted, role_revoked
from portal.notifications.services import notify


def _role_granted(sender, *, user, role, now, **_):
    notify(
        user,
        "roles",
        f"You now hold the {role.label} role.",
        now=now,
        link=f"/people/{user.id}",
    )


def _role_revoked(sender, *, user, role, now, **_):
    notify(
        user,
        "roles",
        f"You no longer hold the {role.label} role.",
        now=now,
        link=f"/people/{user.id}",
    )


def _password_changed(sender, *, user, now, how, **_):
    notify(
        user,
        "account_security",
        f"Your password was {how}. If this was not you, reset it now and tell "
        "the security team.",
        now=now,
        link="/auth/reset",
    )


def connect():
    role_granted.connect(_role_granted)
    role_revoked.connect(_role_revoked)
    password_changed.connect(_password_changed)
