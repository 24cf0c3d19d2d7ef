"""The weekly digest: each person's unread notifications of the week, by email."""

from datetime import timedelta
from itertools import groupby

from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from portal.accounts.models import User
from portal.extensions import db
from portal.jobs.services import claim_reminder
from portal.mail.links import absolute_url
from portal.mail.services import queue_email
from portal.notifications.kinds import KINDS, Delivery
from portal.notifications.models import Notification, NotificationPreference


def iso_week(now):
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def _digest_rows(since):
    """Unread notifications since ``since`` whose kind the person gets in the digest."""
    default = case(
        {name: k.default.value for name, k in KINDS.items()},
        value=Notification.kind,
        else_=Delivery.DIGEST.value,
    )
    preference = (
        select(NotificationPreference.delivery)
        .where(
            NotificationPreference.user_id == Notification.recipient_id,
            NotificationPreference.kind == Notification.kind,
        )
        .scalar_subquery()
    )
    return db.session.scalars(
        select(Notification)
        .join(Notification.recipient)
        .options(contains_eager(Notification.recipient))
        .where(
            Notification.read_at.is_(None),
            # Already emailed on its own (the person chose "immediately" then).
            Notification.emailed_at.is_(None),
            Notification.updated_at >= since,
            User.active.is_(True),
            func.coalesce(preference, default) == Delivery.DIGEST.value,
        )
        .order_by(Notification.recipient_id, Notification.updated_at.desc())
    )


def send_weekly_digest(now):
    """Queue one digest email per person who has something to read; once per week."""
    week = iso_week(now)
    sent = 0
    for _, group in groupby(
        _digest_rows(now - timedelta(days=7)), lambda n: n.recipient_id
    ):
        notifications = list(group)
        recipient = notifications[0].recipient
        if not claim_reminder(f"digest:{week}:{recipient.id}", recipient.id, now):
            continue
        queue_email(
            recipient.email,
            f"Your Guardians Portal week: {len(notifications)} update"
            + ("s" if len(notifications) != 1 else ""),
            "digest",
            recipient=recipient,
            user=recipient,
            notifications=notifications,
            week=week,
            link=absolute_url,
        )
        sent += 1
    return f"{sent} digest(s) queued for {week}"
