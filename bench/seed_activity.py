"""Notifications, email preferences and the audit log."""

from datetime import timedelta

from portal.audit.models import AuditEvent
from portal.notifications.kinds import KINDS, Delivery
from portal.notifications.models import Notification, NotificationPreference

NOTIFICATION_KINDS = [
    ("training", "Training due in three days: Threat modeling", "/training", 30),
    (
        "enrollment",
        "Your Guardian application was approved",
        "/guardians/application",
        15,
    ),
    ("roles", "You now hold the Guardian role", "/profile", 10),
    ("welcome", "Welcome to the Guardians Portal", "/training", 10),
    ("enrollment", "New reply in a thread you follow", "/notifications", 25),
    ("account_security", "Your password was changed", "/profile", 10),
]
AUDIT_ACTIONS = [
    ("role.grant", "user", 24), ("enrollment.applied", "enrollment", 14),
    ("enrollment.approved", "enrollment", 8),
    ("enrollment.in_training", "enrollment", 7),
    ("enrollment.certified", "enrollment", 5), ("enrollment.active", "enrollment", 5),
    ("enrollment.declined", "enrollment", 3), ("enrollment.withdrawn", "enrollment", 3),
    ("enrollment.nominated", "enrollment", 2), ("role.revoke", "user", 5),
    ("user.create", "user", 6), ("user.deactivate", "user", 4),
    ("user.reactivate", "user", 1), ("team.create", "team", 4),
    ("team.update", "team", 4), ("org.update", "org", 1),
    ("cohort.create", "cohort", 1), ("cohort.due_dates", "cohort", 1),
    ("enrollment.step_down_planned", "enrollment", 1), ("accounts.import", "import", 1),
]  # fmt: skip


def _notification(rng, now, recipient_id, number, engineer):
    kind, title, link, _ = rng.choices(
        NOTIFICATION_KINDS, [k[3] for k in NOTIFICATION_KINDS]
    )[0]
    created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
    grouped = kind == "enrollment"
    count = rng.randint(1, 12) if grouped else 1
    # Most are read; the bench engineer keeps a long unread backlog.
    unread = rng.random() < (0.1 if engineer else 0.25)
    return {
        "recipient_id": recipient_id,
        "kind": kind,
        "title": title,
        "title_many": "{count} new replies in a thread you follow" if grouped else "",
        "link": link,
        # Unique keys: the partial unique index allows one unread row per group.
        "group_key": f"thread:{number}" if grouped else None,
        "count": count,
        "created_at": created,
        "updated_at": created + timedelta(minutes=count * 7),
        "read_at": None if unread else created + timedelta(hours=rng.randint(1, 96)),
        "emailed_at": created if kind == "account_security" else None,
    }


def seed_notifications(
    loader, rng, now, recipients, *, total, engineer_id, engineer_share
):
    """``total`` notifications, ``engineer_share`` of them for the bench engineer;
    the rest skewed so that some people have hundreds and most a handful."""
    weights = [rng.paretovariate(1.5) for _ in recipients]
    others = rng.choices(recipients, weights, k=total - engineer_share)
    owners = [engineer_id] * engineer_share + others
    loader.insert(
        Notification,
        (
            _notification(rng, now, owner, n, owner == engineer_id)
            for n, owner in enumerate(owners)
        ),
    )


def seed_audit(loader, rng, now, total, actor_ids, user_count):
    """Append-only, so ids rise with time as they do in the portal."""
    weights = [a[2] for a in AUDIT_ACTIONS]
    step = timedelta(days=730) / total
    start = now - timedelta(days=730)

    def events():
        for number in range(total):
            action, target_type, _ = rng.choices(AUDIT_ACTIONS, weights)[0]
            target = rng.randint(1, user_count)
            yield {
                "created_at": start + step * number,
                "actor_id": rng.choice(actor_ids) if rng.random() > 0.05 else None,
                "action": action,
                "target_type": target_type,
                "target_id": str(target),
                "details": {"role": "guardian"} if action.startswith("role.") else {},
                "ip": f"10.0.{number % 250}.{rng.randint(1, 254)}",
            }

    loader.insert(AuditEvent, events())


def seed_preferences(loader, rng, recipients):
    """A few percent of people change their email preferences."""
    chosen = rng.sample(recipients, len(recipients) // 15)
    loader.insert(
        NotificationPreference,
        (
            {"user_id": user_id, "kind": kind, "delivery": delivery}
            for user_id in chosen
            for kind in rng.sample(sorted(KINDS), 2)
            for delivery in [rng.choice(list(Delivery))]
        ),
    )
