"""Cohorts: opened, edited, closed and deleted by program managers, and the seats
and due dates that placing someone in one takes.

Seats are counted with guarded UPDATEs (and a CHECK in the database), so a
cohort is never overbooked and its capacity never drops below the people
seated, however many program managers act at once.
"""

from sqlalchemy import func, select, update

from portal.audit.services import record_audit
from portal.auth.permissions import can_run_program
from portal.enrollment.models import Cohort, CohortDueDate, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.errors import DomainError, required_name
from portal.extensions import db
from portal.training.models import Module, ModuleDueDate


def free_seat(enrollment):
    """Give back the seat an enrollment held (withdrawn or declined after placing)."""
    if enrollment.cohort_id is not None:
        db.session.execute(
            update(Cohort)
            .where(Cohort.id == enrollment.cohort_id, Cohort.seats_taken > 0)
            .values(seats_taken=Cohort.seats_taken - 1)
        )


def take_seat(cohort):
    """Claim one seat; the guarded UPDATE makes capacity hold under concurrency."""
    taken = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.seats_taken < Cohort.capacity)
        .values(seats_taken=Cohort.seats_taken + 1)
    ).rowcount
    if taken != 1:
        raise DomainError("cohort", f"Cohort {cohort.name} is full.")


def assign_due_dates(enrollment, cohort):
    """Copy the cohort's due dates onto the person's training."""
    for due in cohort.due_dates:
        existing = db.session.scalar(
            select(ModuleDueDate).where(
                ModuleDueDate.user_id == enrollment.user_id,
                ModuleDueDate.module_id == due.module_id,
            )
        )
        if existing is None:
            db.session.add(
                ModuleDueDate(
                    user_id=enrollment.user_id,
                    module_id=due.module_id,
                    due_on=due.due_on,
                )
            )
        else:
            existing.due_on = due.due_on


def _check_manager(actor):
    if not can_run_program(actor):
        raise DomainError("name", "Only program managers run cohorts.")


def _check_name(name, cohort=None):
    name = required_name(name, "name")
    clash = db.session.scalar(
        select(Cohort).where(func.lower(Cohort.name) == name.lower())
    )
    if clash is not None and clash is not cohort:
        raise DomainError("name", "Another cohort already has this name.")
    return name


def create_cohort(actor, *, name, start_date, capacity, due_dates, now):
    """A program manager opens a cohort; ``due_dates`` maps module ids to dates."""
    _check_manager(actor)
    name = _check_name(name)
    cohort = Cohort(
        name=name,
        start_date=start_date,
        capacity=capacity,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(cohort)
    db.session.flush()
    set_due_dates(actor, cohort, due_dates)
    record_audit(
        actor,
        "cohort.create",
        "cohort",
        cohort.id,
        target_name=name,
        capacity=capacity,
        start_date=start_date.isoformat(),
    )
    return cohort


def set_due_dates(actor, cohort, due_dates):
    """Replace the cohort's due dates and apply them to everyone already placed."""
    for module_id, due_on in due_dates.items():
        if db.session.get(Module, module_id) is None:
            raise DomainError("due_dates", "Unknown module.")
        if due_on is not None and due_on < cohort.start_date:
            raise DomainError(
                "due_dates", "A due date cannot be before the cohort starts."
            )
    before = {due.module_id: due.due_on for due in cohort.due_dates}
    # A module keeping a date keeps its row: a new row would be inserted before
    # the old one is deleted, against the unique (cohort, module) key.
    current = {due.module_id: due for due in cohort.due_dates}
    for module_id, due_on in due_dates.items():
        if module_id in current and due_on is not None:
            current[module_id].due_on = due_on
    cohort.due_dates = [
        current.get(module_id) or CohortDueDate(module_id=module_id, due_on=due_on)
        for module_id, due_on in due_dates.items()
        if due_on is not None
    ]
    db.session.flush()
    members = db.session.scalars(
        select(Enrollment).where(
            Enrollment.cohort_id == cohort.id,
            Enrollment.status.in_([S.APPROVED, S.IN_TRAINING]),
        )
    )
    for enrollment in members:
        assign_due_dates(enrollment, cohort)
    changes = {
        _module_title(module_id): [_iso(before.get(module_id)), _iso(due_on)]
        for module_id, due_on in due_dates.items()
        if before.get(module_id) != due_on
    }
    if changes:
        record_audit(
            actor,
            "cohort.due_dates",
            "cohort",
            cohort.id,
            target_name=cohort.name,
            due=changes,
        )


def _iso(day):
    return day.isoformat() if day else None


def _module_title(module_id):
    module = db.session.get(Module, module_id)
    return module.current_version.title if module.current_version else module.slug


def edit_cohort(actor, cohort, *, name, capacity, start_date, due_dates, now, **flags):
    """Change a cohort's name, capacity, start date and due dates; program managers.

    Capacity never goes below the people seated (a guarded UPDATE, so a
    placement at the same moment cannot slip past). A start date moved into
    the past needs ``confirm_past_start``. The changes are audited as before
    and after.
    """
    _check_manager(actor)
    name = _check_name(name, cohort)
    before = {
        "name": cohort.name,
        "start_date": cohort.start_date,
        "capacity": cohort.capacity,
    }
    if (
        start_date != cohort.start_date
        and start_date < now.date()
        and not flags.get("confirm_past_start")
    ):
        raise DomainError(
            "confirm_past_start",
            f"{start_date:%d %B %Y} is in the past: tick the box to confirm that "
            "the cohort started then (its approved people start training at once).",
        )
    resized = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.seats_taken <= capacity)
        .values(capacity=capacity)
    ).rowcount
    db.session.refresh(cohort)
    if not resized:
        raise DomainError(
            "capacity",
            f"{cohort.seats_taken} people are seated: the capacity cannot be lower.",
        )
    after = {"name": name, "start_date": start_date, "capacity": capacity}
    changes = {
        field: [_text(before[field]), _text(value)]
        for field, value in after.items()
        if before[field] != value
    }
    cohort.name, cohort.start_date = name, start_date
    set_due_dates(actor, cohort, due_dates)
    if changes:
        record_audit(
            actor, "cohort.update", "cohort", cohort.id, target_name=name, **changes
        )
    return cohort


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def close_cohort(actor, cohort, now):
    """Close a cohort to new placements; its members go on. Program managers."""
    _check_manager(actor)
    closed = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.closed_at.is_(None))
        .values(closed_at=now)
    ).rowcount
    if not closed:
        raise DomainError("cohort", f"Cohort {cohort.name} is already closed.")
    db.session.refresh(cohort)
    record_audit(actor, "cohort.close", "cohort", cohort.id, target_name=cohort.name)
    return cohort


def reopen_cohort(actor, cohort, now):
    """Open a closed cohort to placements again. Program managers."""
    _check_manager(actor)
    if cohort.closed_at is None:
        raise DomainError("cohort", f"Cohort {cohort.name} is open.")
    cohort.closed_at = None
    record_audit(actor, "cohort.reopen", "cohort", cohort.id, target_name=cohort.name)
    return cohort


def delete_cohort(actor, cohort):
    """Delete a cohort nobody was ever placed in. Program managers."""
    _check_manager(actor)
    placed = db.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.cohort_id == cohort.id)
    )
    if placed:
        raise DomainError(
            "cohort",
            f"{placed} people were placed in {cohort.name}: close it instead.",
        )
    record_audit(actor, "cohort.delete", "cohort", cohort.id, target_name=cohort.name)
    db.session.delete(cohort)
    db.session.flush()
