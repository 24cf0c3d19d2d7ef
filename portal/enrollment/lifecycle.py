"""The enrollment state machine: every legal move, and who may make it.

nominated -> applied -> approved -> in_training -> certified -> active -> alumni
with declined and withdrawn possible from the early states. Everything else
is refused with a clear error.
"""

from portal.enrollment.models import EnrollmentStatus as S

EARLY = (S.NOMINATED, S.APPLIED, S.APPROVED, S.IN_TRAINING)
CLOSED = (S.ALUMNI, S.DECLINED, S.WITHDRAWN)

# (from, to) -> who may make the move: "owner" (the applicant), "manager" (a
# program manager or admin) or "system" (the portal itself, from training).
TRANSITIONS = {
    (S.NOMINATED, S.APPLIED): {"owner"},
    (S.APPLIED, S.APPROVED): {"manager"},
    (S.APPROVED, S.IN_TRAINING): {"system", "manager"},
    (S.APPROVED, S.CERTIFIED): {"system"},
    (S.IN_TRAINING, S.CERTIFIED): {"system"},
    (S.CERTIFIED, S.ACTIVE): {"system", "manager"},
    # A certificate revoked or expired: back to training until passed again.
    (S.ACTIVE, S.IN_TRAINING): {"system"},
    (S.ACTIVE, S.ALUMNI): {"owner", "manager", "system"},
    **{(state, S.DECLINED): {"manager"} for state in EARLY},
    **{(state, S.WITHDRAWN): {"owner"} for state in EARLY},
}


def allowed(from_status, to_status, role):
    return role in TRANSITIONS.get((from_status, to_status), set())


def moves_from(status, role):
    return [
        to
        for (frm, to), roles in TRANSITIONS.items()
        if frm == status and role in roles
    ]
