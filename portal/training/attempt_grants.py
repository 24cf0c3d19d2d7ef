"""Unblocking people who used every attempt: more attempts, a fresh start, a request.

A program manager may grant more attempts in the person's current round, or
reset the module so that a new round starts with the module's own attempts;
each needs a reason, is audited and tells the person. The person may ask for
more attempts once per round and allowance; program managers are told.
"""

from sqlalchemy import select, update

from portal.accounts.models import Role, RoleGrant, User
from portal.audit.services import record_audit
from portal.errors import DomainError, required_text
from portal.extensions import db
from portal.jobs.services import claim_reminder
from portal.notifications.services import notify
from portal.training.models import ModuleProgress
from portal.training.permissions import can_unblock_training

MAX_EXTRA_AT_ONCE = 5
REASON_MAX = 500


def _progress_row(user, module):
    row = db.session.scalar(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user.id, ModuleProgress.module_id == module.id
        )
    )
    if row is None:
        row = ModuleProgress(user_id=user.id, module_id=module.id)
        db.session.add(row)
        db.session.flush()
    return row


def _check(actor, user, standing, reason):
    if not can_unblock_training(actor):
        raise DomainError("reason", "Only a program manager can do this.")
    if not can_unblock_training(actor, user):
        raise DomainError(
            "reason", "Another program manager decides on your own attempts."
        )
    reason = required_text(reason, "reason", "Give the reason.")
    if len(reason) > REASON_MAX:
        raise DomainError("reason", f"Keep the reason under {REASON_MAX} characters.")
    if standing.status == "passed":
        raise DomainError("reason", "This person has already passed the module.")
    return reason


def grant_attempts(actor, user, standing, count, reason, now):
    """Give ``user`` ``count`` more attempts at the module in their current round.

    Program managers only; audited; the person is told.
    """
    reason = _check(actor, user, standing, reason)
    if not 1 <= count <= MAX_EXTRA_AT_ONCE:
        raise DomainError("count", f"Grant from 1 to {MAX_EXTRA_AT_ONCE} attempts.")
    row = _progress_row(user, standing.module)
    db.session.execute(
        update(ModuleProgress)
        .where(ModuleProgress.id == row.id)
        .values(
            round=standing.round,
            extra_attempts=ModuleProgress.extra_attempts + count,
        )
    )
    title = standing.version.title
    record_audit(
        actor,
        "training.attempts_granted",
        "user",
        user.id,
        target_name=user.display_name,
        module=standing.version.title,
        attempts=count,
        reason=reason,
    )
    notify(
        user,
        "training",
        f"{actor.display_name} gave you {count} more attempt(s) at “{title}”.",
        now=now,
        link=f"/training/modules/{standing.module.slug}",
    )


def reset_module(actor, user, standing, reason, now):
    """Start ``user`` afresh on the module: a new round with its own attempts.

    Program managers only; audited; the person is told. Earlier attempts stay
    on record, and their answers stay hidden while the person has not passed.
    """
    reason = _check(actor, user, standing, reason)
    row = _progress_row(user, standing.module)
    db.session.execute(
        update(ModuleProgress)
        .where(ModuleProgress.id == row.id)
        .values(round=standing.round + 1, extra_attempts=0)
    )
    record_audit(
        actor,
        "training.module_reset",
        "user",
        user.id,
        target_name=user.display_name,
        module=standing.version.title,
        reason=reason,
    )
    notify(
        user,
        "training",
        f"{actor.display_name} reset “{standing.version.title}” for you: "
        "your attempts start again.",
        now=now,
        link=f"/training/modules/{standing.module.slug}",
    )


def program_managers():
    """Everyone who can unblock training, program managers first."""
    managers = db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.active.is_(True), RoleGrant.role == Role.PROGRAM_MANAGER)
    ).all()
    if managers:
        return managers
    return db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.active.is_(True), RoleGrant.role == Role.ADMIN)
    ).all()


def request_more_attempts(user, standing, now):
    """The person, out of attempts, asks program managers for more; once per
    round and allowance. Returns False when they had asked already."""
    if standing.status != "exhausted":
        raise DomainError("attempt", "You still have attempts at this module.")
    key = (
        f"attempts-request:{user.id}:{standing.module.id}:{standing.version.id}:"
        f"{standing.round}:{standing.attempts_allowed}"
    )
    if not claim_reminder(key, user.id, now):
        return False
    for manager in program_managers():
        notify(
            manager,
            "training",
            f"{user.display_name} used every attempt at “{standing.version.title}” "
            "and asks for more.",
            now=now,
            link=f"/program/people/{user.id}/training",
        )
    return True
