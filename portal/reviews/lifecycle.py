"""The security review's stages: every legal move, and who may make it.

engaged -> guidance -> implemented (with the Guardian) -> submitted ->
in review (and penetration testing) -> approved, or cancelled from any open
stage. A review without a Guardian goes from guidance straight to
submitted; the reviewer may send a submission back to guidance.

Who acts (see permissions.acting_role): "reviewer" is a security reviewer
recorded on the review, "recorder" another security reviewer or a program
manager, "guardian" a supporting Guardian of the review.
"""

from portal.reviews.models import ReviewStage as S

OPEN = (S.ENGAGED, S.GUIDANCE, S.IMPLEMENTED, S.SUBMITTED, S.IN_REVIEW)
RECORDERS = {"reviewer", "recorder"}

TRANSITIONS = {
    (S.ENGAGED, S.GUIDANCE): RECORDERS,
    (S.GUIDANCE, S.IMPLEMENTED): RECORDERS | {"guardian"},
    (S.GUIDANCE, S.SUBMITTED): RECORDERS,
    (S.IMPLEMENTED, S.SUBMITTED): RECORDERS | {"guardian"},
    (S.SUBMITTED, S.IN_REVIEW): {"reviewer"},
    (S.SUBMITTED, S.GUIDANCE): {"reviewer"},
    (S.IN_REVIEW, S.GUIDANCE): {"reviewer"},
    (S.IN_REVIEW, S.APPROVED): {"reviewer"},
    **{(stage, S.CANCELLED): RECORDERS for stage in OPEN},
}

# Before submission the supporting Guardian records the readiness check.
READINESS_STAGES = (S.ENGAGED, S.GUIDANCE, S.IMPLEMENTED)


def allowed(from_stage, to_stage, role):
    return role in TRANSITIONS.get((from_stage, to_stage), set())


def moves_from(stage, role):
    """The stages ``role`` may move a review in ``stage`` to, in process order."""
    return sorted(
        (
            to
            for (frm, to), roles in TRANSITIONS.items()
            if frm == stage and role in roles
        ),
        key=list(S).index,
    )
