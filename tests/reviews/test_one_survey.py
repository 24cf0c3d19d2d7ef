"""One survey per review and reviewer, whatever two requests do at once, held
by the database even when the service's check is skipped."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.reviews import surveys
from portal.reviews.models import Review, Survey
from portal.reviews.models import ReviewStage as S
from tests.concurrency import run_together
from tests.helpers import login_as
from tests.reviews.conftest import (
    ANSWERS,
    NOW,
    audit_rows,
    first_guide_edition,
    meeting_before,
    surveys_of,
)

FORM = {"q1": "4", "q2": "5", "q3": "1", "q4": "3", "feedback": "Well prepared."}
TOLD = "Your survey of this review was submitted a moment ago."


@pytest.fixture
def approved(db, make_review, reviewer, make_user):
    """An approved review of ours, with the guide's first edition stored (as
    after any earlier survey), and nothing of the test's session left open."""
    guardian = make_user(roles=["guardian"])
    review = make_review(stage=S.APPROVED, guardians=[guardian], reviewers=[reviewer])
    first_guide_edition()
    ids = review.id, reviewer.id
    db.session.commit()
    return ids


def test_two_submits_at_once_make_one_survey_and_the_second_is_told(app, db, approved):
    review_id, reviewer_id = approved

    def submit():
        with app.app_context():
            actor = _db.session.get(User, reviewer_id)
            review = _db.session.get(Review, review_id)
            try:
                survey = surveys.submit_survey(
                    actor, review, ANSWERS, "Well prepared.", "", NOW
                )
                _db.session.commit()
            except DomainError as error:
                _db.session.rollback()
                return ("refused", error.field, error.message)
            return ("saved", survey.id)

    with meeting_before(db.engine, "INSERT INTO review_surveys") as both_checked:
        results = run_together(submit, submit)

    [survey] = surveys_of(review_id)
    if both_checked:
        # Both found no survey; the unique key let one in, the other is told.
        assert sorted(results) == [("refused", "q1", TOLD), ("saved", survey.id)]
    else:
        # The second waited for the first, found its survey and left it as is.
        assert results == [("saved", survey.id), ("saved", survey.id)]
    assert survey.answers == ANSWERS
    assert len(audit_rows(review_id, "survey.submit")) == 1
    assert audit_rows(review_id, "survey.edit") == []


def test_two_survey_pages_posted_at_once_make_one_survey_and_no_error(
    app, db, approved
):
    review_id, reviewer_id = approved
    browsers = []
    for _ in range(2):
        browser = app.test_client()
        login_as(browser, db.session.get(User, reviewer_id))
        browsers.append(browser)
    db.session.commit()

    def post(browser):
        return lambda: browser.post(f"/reviews/{review_id}/survey", data=FORM)

    with meeting_before(db.engine, "INSERT INTO review_surveys") as both_checked:
        responses = run_together(*(post(browser) for browser in browsers))

    statuses = sorted(response.status_code for response in responses)
    assert len(surveys_of(review_id)) == 1
    assert statuses == ([200, 302] if both_checked else [302, 302])
    for response in responses:
        if response.status_code == 200:
            assert TOLD in response.text
        else:
            assert response.headers["Location"] == f"/reviews/{review_id}#surveys"


def _survey_row(review_id, reviewer_id, edition_id):
    return Survey(
        review_id=review_id,
        reviewer_id=reviewer_id,
        q1=3,
        guide_edition_id=edition_id,
        submitted_at=NOW,
        updated_at=NOW,
    )


def test_the_database_refuses_a_second_survey_by_the_same_reviewer(
    db, make_review, reviewer
):
    review = make_review(stage=S.APPROVED, reviewers=[reviewer])
    edition = first_guide_edition()
    db.session.add(_survey_row(review.id, reviewer.id, edition.id))
    db.session.commit()

    db.session.add(_survey_row(review.id, reviewer.id, edition.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert len(surveys_of(review.id)) == 1


def test_another_reviewer_or_another_review_is_a_survey_of_its_own(
    db, make_review, reviewer, make_user
):
    second = make_user(roles=["security_reviewer"])
    review = make_review(stage=S.APPROVED, reviewers=[reviewer, second])
    other = make_review(stage=S.APPROVED, reviewers=[reviewer])
    edition = first_guide_edition()

    db.session.add_all(
        [
            _survey_row(review.id, reviewer.id, edition.id),
            _survey_row(review.id, second.id, edition.id),
            _survey_row(other.id, reviewer.id, edition.id),
        ]
    )
    db.session.commit()

    assert db.session.scalars(select(Survey.review_id)).all().count(review.id) == 2


@pytest.mark.parametrize(
    ("column", "value"), [("q1", 6), ("q2", 0), ("q4", -1), ("q3", 2), ("score", 101)]
)
def test_the_database_refuses_answers_out_of_range(
    db, make_review, reviewer, column, value
):
    review = make_review(stage=S.APPROVED, reviewers=[reviewer])
    row = _survey_row(review.id, reviewer.id, first_guide_edition().id)
    setattr(row, column, value)
    db.session.add(row)

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert surveys_of(review.id) == []
