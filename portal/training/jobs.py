"""Training reminders: due dates a few days before and once overdue, and
certificates before they expire."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.extensions import db
from portal.jobs.services import claim_reminder
from portal.notifications.services import notify
from portal.training.models import Certificate, Module, ModuleDueDate, ModuleProgress

REMIND_DAYS_BEFORE = 3


def send_training_reminders(now):
    """Remind people of modules due soon or overdue, and of certificates to renew.

    Each reminder is sent once: the sent-log key decides, whatever runs the job
    and however often.
    """
    due = _send_due_date_reminders(now)
    renewals = _send_renewal_reminders(
        now, current_app.config["PORTAL_CERTIFICATE_RENEWAL_DAYS"]
    )
    return f"{due} training reminder(s) and {renewals} renewal reminder(s) sent"


def _send_due_date_reminders(now):
    """Modules due within REMIND_DAYS_BEFORE days, and once overdue."""
    today = now.date()
    rows = db.session.scalars(
        select(ModuleDueDate)
        .join(User, User.id == ModuleDueDate.user_id)
        .join(Module, Module.id == ModuleDueDate.module_id)
        .outerjoin(
            ModuleProgress,
            and_(
                ModuleProgress.user_id == ModuleDueDate.user_id,
                ModuleProgress.module_id == ModuleDueDate.module_id,
            ),
        )
        .where(
            User.active.is_(True),
            Module.retired.is_(False),
            ModuleProgress.passed_at.is_(None),
            ModuleDueDate.due_on <= today + timedelta(days=REMIND_DAYS_BEFORE),
        )
        .options(joinedload(ModuleDueDate.module).joinedload(Module.current_version))
    ).all()
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({r.user_id for r in rows}))
        )
    }
    sent = 0
    for row in rows:
        stage = "overdue" if row.due_on < today else "soon"
        due = row.due_on.isoformat()
        key = f"training-due:{row.user_id}:{row.module_id}:{due}:{stage}"
        if not claim_reminder(key, row.user_id, now):
            continue
        title = row.module.current_version.title
        message = (
            f"Training overdue: “{title}” was due on {row.due_on:%d %b %Y}."
            if stage == "overdue"
            else f"Training due soon: pass “{title}” by {row.due_on:%d %b %Y}."
        )
        notify(
            users[row.user_id],
            "training",
            message,
            now=now,
            link=f"/training/modules/{row.module.slug}",
        )
        sent += 1
    return sent


def _send_renewal_reminders(now, renewal_days):
    """Each person's latest certificate, once, when renewal opens before expiry."""
    latest = (
        select(Certificate.user_id, func.max(Certificate.sequence).label("sequence"))
        .group_by(Certificate.user_id)
        .subquery()
    )
    certificates = db.session.scalars(
        select(Certificate)
        .join(
            latest,
            and_(
                latest.c.user_id == Certificate.user_id,
                latest.c.sequence == Certificate.sequence,
            ),
        )
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_at > now,
            Certificate.expires_at <= now + timedelta(days=renewal_days),
        )
        .options(joinedload(Certificate.user))
    ).all()
    sent = 0
    for certificate in certificates:
        key = f"certificate-renewal:{certificate.id}"
        if not claim_reminder(key, certificate.user_id, now):
            continue
        notify(
            certificate.user,
            "training",
            "Your Guardian certificate expires on "
            f"{certificate.expires_at:%d %b %Y}: pass the required modules' "
            "current versions again to renew it.",
            now=now,
            link="/training/progress",
        )
        sent += 1
    return sent
