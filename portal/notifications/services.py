"""Notify people in the app and by email, honouring their preferences."""

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError
from portal.extensions import db
from portal.mail.links import absolute_url
from portal.mail.services import queue_email
from portal.notifications.kinds import KINDS, Delivery, kind
from portal.notifications.models import Notification, NotificationPreference


def delivery_for(user_id, kind_name):
    """How this person wants email about this kind: their choice or the default."""
    chosen = db.session.scalar(
        select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user_id,
            NotificationPreference.kind == kind_name,
        )
    )
    if kind(kind_name).fixed:
        return kind(kind_name).default
    return chosen or kind(kind_name).default


def preferences_for(user_id):
    """``{kind name: Delivery}`` for the person, defaults filled in."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {
        name: k.default if k.fixed else chosen.get(name, k.default)
        for name, k in KINDS.items()
    }


def set_preferences(user, choices):
    """Save ``{kind name: Delivery}`` for the person; the person themself only.

    Unknown kinds, and a choice a kind does not offer, are refused.
    """
    existing = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id == user.id
            )
        )
    }
    for name, delivery in choices.items():
        if delivery not in kind(name).choices:
            raise DomainError(name, f"{kind(name).label} email cannot be turned off.")
        if name in existing:
            existing[name].delivery = delivery
        else:
            db.session.add(
                NotificationPreference(user_id=user.id, kind=name, delivery=delivery)
            )
    db.session.flush()


def turn_down_email(user, choices, current):
    """Save choices made from an emailed link: each may only send less email
    than ``current`` (the person's choices now), and "Account security" cannot
    be touched at all."""
    for name, delivery in choices.items():
        if kind(name).fixed:
            raise DomainError(name, f"{kind(name).label} email cannot be changed here.")
        if delivery.amount > current[name].amount:
            raise DomainError(
                name,
                "From an email link you can only turn email down. "
                "Sign in to ask for more.",
            )
    set_preferences(user, choices)


def _bump_unread_group(recipient_id, group_key, now):
    return db.session.execute(
        update(Notification)
        .where(
            Notification.recipient_id == recipient_id,
            Notification.group_key == group_key,
            Notification.read_at.is_(None),
        )
        .values(count=Notification.count + 1, updated_at=now)
    ).rowcount


def notify(recipient, kind_name, title, *, now, link="", group_key=None, title_many=""):
    """Tell ``recipient`` something; every feature calls this.

    With a ``group_key``, repeats fold into the person's unread notification for
    that group ("10 new replies", from ``title_many`` with ``{count}``). Email
    follows the person's preference for the kind: sent now, left for the weekly
    digest, or never. Returns the notification, or None when it was folded.
    """
    kind(kind_name)
    if not recipient.active:
        return None
    if group_key and _bump_unread_group(recipient.id, group_key, now):
        return None
    notification = Notification(
        recipient_id=recipient.id,
        kind=kind_name,
        title=title[:200],
        link=link,
        group_key=group_key,
        title_many=title_many,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(notification)
    except IntegrityError:
        # Another request created the unread group row a moment ago: fold into it.
        _bump_unread_group(recipient.id, group_key, now)
        return None
    if delivery_for(recipient.id, kind_name) == Delivery.IMMEDIATELY:
        queue_email(
            recipient.email,
            title[:200],
            "notification",
            recipient=recipient,
            user=recipient,
            notification=notification,
            link=absolute_url(link) if link else absolute_url("/notifications"),
        )
        notification.emailed_at = now
    return notification


def unread_count(user_id):
    """How many unread notifications the person has (one COUNT)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
    )


def notifications_query(user_id):
    """The person's notifications, newest first, for a page."""
    return (
        select(Notification)
        .where(Notification.recipient_id == user_id)
        .order_by(
            Notification.read_at.is_not(None),
            Notification.updated_at.desc(),
            Notification.id.desc(),
        )
    )


def mark_read(user, notification_id, now):
    """Mark one of the person's own notifications read; returns it, or None."""
    notification = db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.recipient_id == user.id
        )
    )
    if notification is not None and notification.read_at is None:
        notification.read_at = now
    return notification


def mark_all_read(user, now):
    """Mark every unread notification of the person read."""
    return db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    ).rowcount
