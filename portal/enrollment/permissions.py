"""Who may do what with Guardian applications: pure predicates, and the moves
a person may make on one (from the lifecycle table), so pages offer exactly
the buttons the service will accept."""

from portal.auth.permissions import can_run_program, is_signed_in
from portal.enrollment import lifecycle


def can_decide(user, enrollment=None):
    """Approve, decline, place and move applications: program managers, never
    on their own application."""
    if not can_run_program(user):
        return False
    return enrollment is None or enrollment.user_id != user.id


def owns_enrollment(user, enrollment):
    return is_signed_in(user) and enrollment.user_id == user.id


def acting_role(user, enrollment):
    """How ``user`` acts on ``enrollment`` in the lifecycle table, or None.

    The applicant acts as the owner even when they are also a manager, so
    nobody decides their own application.
    """
    if user is None:
        return "system"
    if owns_enrollment(user, enrollment):
        return "owner"
    return "manager" if can_decide(user, enrollment) else None


def moves_for(user, enrollment):
    """The statuses ``user`` may move ``enrollment`` to."""
    role = acting_role(user, enrollment)
    return set(lifecycle.moves_from(enrollment.status, role)) if role else set()
