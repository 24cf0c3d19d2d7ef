"""Who may see and change security reviews, their surveys and readiness
checks: pure predicates (the team Guardians a person is comes from one query,
kept on the person for the request)."""

from sqlalchemy import select

from portal.accounts.models import Role
from portal.auth.permissions import can_run_program, is_signed_in
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.extensions import db
from portal.reviews import lifecycle
from portal.reviews.models import ReviewStage


def can_record_reviews(user):
    """Create reviews and edit any of them: security reviewers and program
    managers (admins too)."""
    return is_signed_in(user) and (
        Role.SECURITY_REVIEWER in user.roles or can_run_program(user)
    )


def can_edit_guide(user):
    """Edit the survey's calibration guide: program managers."""
    return can_run_program(user)


def can_read_private_notes(user):
    """Reviewers' private notes to the program: program managers."""
    return can_run_program(user)


def guarded_team_ids(user):
    """The teams ``user`` guards as an active Guardian (one query per request)."""
    if "_guarded_team_ids" not in user.__dict__:
        user.__dict__["_guarded_team_ids"] = set(
            db.session.scalars(
                select(Enrollment.guarded_team_id).where(
                    Enrollment.user_id == user.id,
                    Enrollment.status == EnrollmentStatus.ACTIVE,
                    Enrollment.guarded_team_id.is_not(None),
                )
            )
        )
    return user.__dict__["_guarded_team_ids"]


def is_team_guardian(user, review):
    return is_signed_in(user) and review.team_id in guarded_team_ids(user)


def can_see_review(user, review):
    """Recorders see every review; the owning team's members and Guardians,
    and the people on the review, see it; nobody else (404)."""
    if not is_signed_in(user):
        return False
    return (
        can_record_reviews(user)
        or user.team_id == review.team_id
        or user.id in {p.user_id for p in review.people}
        or is_team_guardian(user, review)
    )


def acting_role(user, review):
    """How ``user`` acts on ``review`` in the lifecycle table, or None.

    A supporting Guardian acts as the Guardian even when they could record
    reviews, so nobody edits or signs off the review they supported.
    """
    if not is_signed_in(user):
        return None
    if user.id in review.guardian_ids:
        return "guardian"
    if user.id in review.reviewer_ids and Role.SECURITY_REVIEWER in user.roles:
        return "reviewer"
    return "recorder" if can_record_reviews(user) else None


def can_edit_review(user, review):
    """Edit the details, people and findings: reviewers and program managers
    who are not the review's supporting Guardian."""
    return acting_role(user, review) in lifecycle.RECORDERS


def moves_for(user, review):
    role = acting_role(user, review)
    return lifecycle.moves_from(review.stage, role) if role else []


def can_fill_survey(user, review):
    """The end-of-review survey: one of the review's security reviewers, once
    it is approved."""
    return (
        acting_role(user, review) == "reviewer" and review.stage == ReviewStage.APPROVED
    )


def can_record_readiness(user, review):
    """The readiness check: a supporting Guardian, before submission."""
    return (
        acting_role(user, review) == "guardian"
        and review.stage in lifecycle.READINESS_STAGES
    )


def can_read_feedback(user, review):
    """The reviewers' written feedback: the supporting Guardians, the team's
    Guardians, the reviewers and those who record reviews."""
    return can_see_review(user, review) and (
        can_record_reviews(user)
        or user.id in {p.user_id for p in review.people}
        or is_team_guardian(user, review)
    )


def can_see_team_reviews(user, team):
    """The list of a team's reviews: as for each review, by team."""
    return is_signed_in(user) and (
        can_record_reviews(user)
        or user.team_id == team.id
        or team.id in guarded_team_ids(user)
    )
