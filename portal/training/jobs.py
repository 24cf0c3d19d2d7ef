"""Training due-date reminders: a few days before, and once overdue."""

from datetime import timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.extensions import db
from portal.jobs.services import claim_reminder
from portal.notifications.services import notify
from portal.training.models import Module, ModuleDueDate, ModuleProgress

REMIND_DAYS_BEFORE = 3


def send_training_reminders(now):
    """Remind people of modules due within REMIND_DAYS_BEFORE days or overdue.

    Each (person, module, due date, soon|overdue) reminder is sent once: the
    sent-log key decides, whatever runs the job and however often.
    """
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
    return f"{sent} training reminder(s) sent"
