"""Applying, nominating, deciding and moving Guardians through their lifecycle.

Every status change goes through ``transition``: it checks the move against the
lifecycle table, records it in the enrollment's history and the audit log, and
tells the applicant.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role, Team
from portal.accounts.services import grant_role, revoke_role
from portal.audit.services import record_audit
from portal.auth.services import find_user_by_email
from portal.enrollment import cohorts, lifecycle
from portal.enrollment.models import (
    Cohort,
    Enrollment,
    EnrollmentEvent,
)
from portal.enrollment.models import EnrollmentStatus as S
from portal.enrollment.permissions import acting_role, can_decide, owns_enrollment
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.services import notify
from portal.training.queries import lapsed_certificate_holders, valid_certificate

DECISION_MESSAGES = {
    S.APPROVED: "Your Guardian application is approved: you are in cohort {cohort}.",
    S.IN_TRAINING: "Your Guardian training has started. Open the curriculum to begin.",
    S.DECLINED: "Your Guardian application was declined: {reason}",
    S.ACTIVE: "You are now an active Guardian. Welcome aboard!",
    S.ALUMNI: "You have stepped down as a Guardian. Thank you for your work.",
}


LAPSED_MESSAGE = (
    "You are no longer an active Guardian ({reason}). Pass the required modules "
    "again to return."
)


def open_enrollment(user_id):
    """The person's application that is not closed, or None."""
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == user_id, Enrollment.status.not_in(lifecycle.CLOSED)
        )
    )


def transition(
    enrollment, to_status, *, actor, now, reason="", as_role=None, cause=None
):
    """Move ``enrollment`` to ``to_status`` if the lifecycle allows this actor to.

    An automatic move (``actor`` None) names in ``cause`` the person whose
    action led to it, for the audit log.
    """
    role = as_role or acting_role(actor, enrollment)
    from_status = enrollment.status
    if not lifecycle.allowed(from_status, to_status, role):
        raise DomainError(
            "status",
            f"An application that is {from_status.label.lower()} cannot become "
            f"{to_status.label.lower()}"
            + ("" if role else " (not yours to change)")
            + ".",
        )
    moved = db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id, Enrollment.status == from_status)
        .values(status=to_status, updated_at=now)
    ).rowcount
    if moved != 1:
        raise DomainError("status", "Someone else changed this application just now.")
    db.session.refresh(enrollment)
    db.session.add(
        EnrollmentEvent(
            enrollment_id=enrollment.id,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor.id if actor else None,
            reason=reason,
            created_at=now,
        )
    )
    record_audit(
        actor,
        f"enrollment.{to_status.value}",
        "enrollment",
        enrollment.id,
        target_name=enrollment.user.display_name,
        caused_by=cause,
        user_id=enrollment.user_id,
        cohort=enrollment.cohort.name if enrollment.cohort else "",
        from_status=from_status.value,
        reason=reason,
    )
    _side_effects(enrollment, from_status, to_status, actor, now, reason, cause)
    return enrollment


def _side_effects(enrollment, from_status, to_status, actor, now, reason, cause):
    user = enrollment.user
    if to_status in (S.DECLINED, S.WITHDRAWN) and from_status in (
        S.APPROVED,
        S.IN_TRAINING,
    ):
        cohorts.free_seat(enrollment)
    if to_status == S.ACTIVE and Role.GUARDIAN not in user.roles:
        grant_role(actor, user, Role.GUARDIAN, now, cause=cause)
    if from_status == S.ACTIVE and Role.GUARDIAN in user.roles:
        revoke_role(actor, user, Role.GUARDIAN, now, cause=cause)
    message = DECISION_MESSAGES.get(to_status)
    if from_status == S.ACTIVE and to_status == S.IN_TRAINING:
        message = LAPSED_MESSAGE
    if message:
        cohort = enrollment.cohort.name if enrollment.cohort else ""
        notify(
            user,
            "enrollment",
            message.format(cohort=cohort, reason=reason)[:200],
            now=now,
            link="/guardians/application",
        )


def _new_enrollment(user, status, *, actor, now, **fields):
    if (
        fields.get("guarded_team_id")
        and db.session.get(Team, fields["guarded_team_id"]) is None
    ):
        raise DomainError("guarded_team_id", "Choose a team from the list.")
    enrollment = Enrollment(
        user_id=user.id, status=status, created_at=now, updated_at=now, **fields
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrollment)
    except IntegrityError as error:
        who = (
            "You already have"
            if actor.id == user.id
            else f"{user.display_name} already has"
        )
        raise DomainError(
            "motivation", f"{who} an open Guardian application."
        ) from error
    db.session.add(
        EnrollmentEvent(
            enrollment_id=enrollment.id,
            from_status=None,
            to_status=status,
            actor_id=actor.id,
            created_at=now,
        )
    )
    return enrollment


def apply(user, *, guarded_team_id, motivation, manager_email, hours_per_week, now):
    """An engineer applies to become a Guardian (one open application each)."""
    return _new_enrollment(
        user,
        S.APPLIED,
        actor=user,
        now=now,
        guarded_team_id=guarded_team_id,
        motivation=motivation.strip(),
        manager_email=manager_email.strip().lower(),
        hours_per_week=hours_per_week,
    )


def nominate(actor, email, *, guarded_team_id, motivation, hours_per_week, now):
    """Anyone signed in nominates a colleague by email; the nominee confirms
    before it is an application."""
    nominee = find_user_by_email(email)
    if nominee is None:
        raise DomainError("email", "No active account uses this address.")
    if nominee.id == actor.id:
        raise DomainError("email", "Apply yourself instead of nominating yourself.")
    if not nominee.active:
        raise DomainError("email", "That account is not active.")
    enrollment = _new_enrollment(
        nominee,
        S.NOMINATED,
        actor=actor,
        now=now,
        guarded_team_id=guarded_team_id,
        motivation=motivation.strip(),
        manager_email=actor.email,
        hours_per_week=hours_per_week,
        nominated_by_id=actor.id,
    )
    notify(
        nominee,
        "enrollment",
        f"{actor.display_name} nominated you to become a Guardian. Confirm to apply.",
        now=now,
        link="/guardians/application",
    )
    return enrollment


def place_in_cohort(actor, enrollment, cohort, now):
    """Approve an application into a cohort: takes a seat, sets training due dates."""
    # Their own application is refused by the lifecycle below, with its reason.
    if not can_decide(actor):
        raise DomainError("cohort", "Only program managers place people in cohorts.")
    if not cohort.is_open:
        raise DomainError("cohort", f"Cohort {cohort.name} is closed.")
    # The cohort is set before the move so that the approval notice names it.
    enrollment.cohort_id = cohort.id
    db.session.flush()
    transition(enrollment, S.APPROVED, actor=actor, now=now)
    cohorts.take_seat(cohort)
    cohorts.assign_due_dates(enrollment, cohort)
    if cohort.start_date <= now.date():
        transition(enrollment, S.IN_TRAINING, actor=None, now=now, cause=actor)
    _catch_up_certification(enrollment, now, cause=actor)
    return enrollment


def place_many(actor, cohort, enrollments, now):
    """Approve several applications into a cohort: all of them or none.

    Program managers only; the caller rolls back on DomainError.
    """
    free = cohort.capacity - cohort.seats_taken
    if len(enrollments) > free:
        raise DomainError(
            "cohort",
            f"Nobody was placed: {free} seat{'s' if free != 1 else ''} free, "
            f"{len(enrollments)} chosen.",
        )
    for enrollment in enrollments:
        try:
            place_in_cohort(actor, enrollment, cohort, now)
        except DomainError as error:
            raise DomainError(
                error.field, f"Nobody was placed: {error.message}"
            ) from error


def decline(actor, enrollment, reason, now):
    """Decline an application with a reason; program managers."""
    if not reason.strip():
        raise DomainError("reason", "Give the applicant a reason.")
    transition(enrollment, S.DECLINED, actor=actor, now=now, reason=reason.strip())
    enrollment.decision_reason = reason.strip()
    return enrollment


def _catch_up_certification(enrollment, now, cause):
    """Someone who already holds a certificate moves straight on to active."""
    certified = valid_certificate(enrollment.user_id, now)
    if certified is not None and enrollment.status in (S.APPROVED, S.IN_TRAINING):
        transition(enrollment, S.CERTIFIED, actor=None, now=now, cause=cause)
        transition(enrollment, S.ACTIVE, actor=None, now=now, cause=cause)


def on_certificate_lapsed(user, now, reason, cause=None):
    """Training revoked (or the calendar found expired) the person's certificate:
    an active Guardian goes back to training and loses the Guardian role."""
    enrollment = open_enrollment(user.id)
    if enrollment is not None and enrollment.status == S.ACTIVE:
        transition(
            enrollment, S.IN_TRAINING, actor=None, now=now, reason=reason, cause=cause
        )


def on_certified(user, now):
    """Training certified the person: the enrollment becomes certified, then active."""
    enrollment = open_enrollment(user.id)
    if enrollment is not None:
        _catch_up_certification(enrollment, now, cause=user)


def step_down(actor, enrollment, on_date, now, reason=""):
    """An active Guardian steps down on ``on_date`` (today: at once)."""
    if enrollment.status != S.ACTIVE:
        raise DomainError("status", "Only an active Guardian can step down.")
    if not (owns_enrollment(actor, enrollment) or can_decide(actor, enrollment)):
        raise DomainError(
            "status", "Only the Guardian or a program manager can do this."
        )
    if on_date < now.date():
        raise DomainError("steps_down_on", "Choose today or a later date.")
    enrollment.steps_down_on = on_date
    record_audit(
        actor,
        "enrollment.step_down_planned",
        "enrollment",
        enrollment.id,
        target_name=enrollment.user.display_name,
        on=on_date.isoformat(),
        reason=reason,
    )
    if on_date == now.date():
        transition(enrollment, S.ALUMNI, actor=actor, now=now, reason=reason)


def edit_cohort(actor, cohort, *, now, **fields):
    """Edit a cohort (see cohorts.edit_cohort); program managers. When its start
    date has come, its approved people start training at once."""
    cohorts.edit_cohort(actor, cohort, now=now, **fields)
    _start_begun_cohort(cohort, now, actor)
    return cohort


def _start_begun_cohort(cohort, now, cause):
    if cohort.start_date > now.date():
        return
    waiting = db.session.scalars(
        select(Enrollment).where(
            Enrollment.cohort_id == cohort.id, Enrollment.status == S.APPROVED
        )
    ).all()
    for enrollment in waiting:
        transition(enrollment, S.IN_TRAINING, actor=None, now=now, cause=cause)


def run_enrollment_calendar(now):
    """Daily: cohorts that have started move their people into training,
    Guardians whose step-down date has come become alumni, and Guardians whose
    certificate expired go back to training."""
    started = db.session.scalars(
        select(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.status == S.APPROVED, Cohort.start_date <= now.date())
    ).all()
    for enrollment in started:
        transition(enrollment, S.IN_TRAINING, actor=None, now=now)
    leaving = db.session.scalars(
        select(Enrollment).where(
            Enrollment.status == S.ACTIVE, Enrollment.steps_down_on <= now.date()
        )
    ).all()
    for enrollment in leaving:
        transition(enrollment, S.ALUMNI, actor=None, now=now, reason="step-down date")
    lapsed = db.session.scalars(
        select(Enrollment).where(
            Enrollment.status == S.ACTIVE,
            Enrollment.user_id.in_(lapsed_certificate_holders(now)),
        )
    ).all()
    for enrollment in lapsed:
        transition(
            enrollment, S.IN_TRAINING, actor=None, now=now, reason="certificate expired"
        )
    return (
        f"{len(started)} started training, {len(leaving)} stepped down, "
        f"{len(lapsed)} certificate(s) lapsed"
    )
