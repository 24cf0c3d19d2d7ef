"""A move chosen on a page that has gone stale is refused, and a reviewer who
lost the role is no longer asked for a survey."""

from datetime import timedelta

from sqlalchemy import delete

from portal.accounts.models import Role, RoleGrant
from portal.notifications.models import Notification
from portal.reviews import services
from portal.reviews.jobs import send_survey_reminders
from portal.reviews.models import Review
from portal.reviews.models import ReviewStage as S
from tests.reviews.conftest import NOW, fresh, review_state


def test_a_move_chosen_before_someone_else_moved_the_review_is_refused(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.IN_REVIEW)
    services.move_review(cast.reviewer, review, S.GUIDANCE, note="rework", now=NOW)
    db.session.commit()
    before = review_state(review.id)

    # The page still showed "in review" when the person chose to approve.
    response = signed_in(cast.reviewer).post(
        f"/reviews/{review.id}/stage",
        data={"seen": S.IN_REVIEW.value, "stage": S.APPROVED.value},
        follow_redirects=True,
    )

    assert "The review moved on since you looked" in response.text
    assert review_state(review.id) == before
    assert fresh(Review, review.id).stage == S.GUIDANCE


def test_the_page_sends_the_stage_it_showed(db, cast, make_review, signed_in):
    review = cast.review(make_review, stage=S.SUBMITTED)

    page = signed_in(cast.reviewer).get(f"/reviews/{review.id}").text

    assert '<input type="hidden" name="seen" value="submitted">' in page


def test_a_reviewer_who_lost_the_role_is_neither_asked_nor_reminded(
    db, cast, make_review
):
    review = cast.review(make_review, stage=S.IN_REVIEW)
    db.session.execute(
        delete(RoleGrant).where(
            RoleGrant.user_id == cast.reviewer.id,
            RoleGrant.role == Role.SECURITY_REVIEWER,
        )
    )
    db.session.commit()
    db.session.expire_all()
    review = fresh(Review, review.id)
    other = cast.other_reviewer
    # Kept on the review (people stay when they lose a role), with a colleague.
    services.set_people(
        review, cast.supporter.email, f"{cast.reviewer.email},{other.email}"
    )
    assert set(review.reviewer_ids) == {cast.reviewer.id, other.id}
    services.move_review(other, review, S.APPROVED, now=NOW)
    db.session.commit()
    later = NOW + timedelta(days=30)

    send_survey_reminders(later)
    db.session.commit()

    asked = {
        n.recipient_id
        for n in db.session.query(Notification).filter_by(kind="review_surveys")
    }
    assert asked == {other.id}
