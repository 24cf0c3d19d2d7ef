"""The Guardian's readiness check: only a supporting Guardian, only before
submission, one row per Guardian and review, answers checked, and the
reviewer reading it beside their own rating once their survey is in."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError
from portal.extensions import db as _db
from portal.reviews import lifecycle, services, surveys
from portal.reviews.models import ReadinessCheck
from portal.reviews.models import ReviewStage as S
from portal.reviews.survey import questions
from tests.reviews.conftest import ANSWERS, NOW, row_counts

SELF_RATING = {"q1": 5, "q2": 4, "q3": 1, "q4": None}
FORM = {"q1": "5", "q2": "4", "q3": "1", "q4": "n/a", "notes": "Diagram is new."}
BEFORE_SUBMISSION = [S.ENGAGED, S.GUIDANCE, S.IMPLEMENTED]
REFUSED = "The readiness check is for the review's Guardian before submission."


def checks_of(review_id):
    _db.session.expire_all()
    return _db.session.scalars(
        select(ReadinessCheck)
        .where(ReadinessCheck.review_id == review_id)
        .order_by(ReadinessCheck.id)
    ).all()


def test_the_stages_before_submission_are_the_readiness_stages():
    assert tuple(BEFORE_SUBMISSION) == lifecycle.READINESS_STAGES


@pytest.mark.parametrize("stage", BEFORE_SUBMISSION)
def test_the_supporting_guardian_records_it_before_submission(
    db, cast, make_review, stage
):
    review = cast.review(make_review, stage=stage)

    surveys.record_readiness(cast.supporter, review, SELF_RATING, " Ready. ", NOW)
    db.session.commit()

    [check] = checks_of(review.id)
    assert (check.user_id, check.answers, check.notes) == (
        cast.supporter.id,
        SELF_RATING,
        "Ready.",
    )
    assert (check.created_at, check.updated_at) == (NOW, NOW)
    assert check.guide_edition_id == surveys.latest_guide_edition().id


@pytest.mark.parametrize("stage", [s for s in S if s not in BEFORE_SUBMISSION])
def test_not_once_the_review_is_submitted(db, cast, make_review, signed_in, stage):
    review = cast.review(make_review, stage=stage)
    client = signed_in(cast.supporter)
    counts = row_counts()

    with pytest.raises(DomainError) as raised:
        surveys.record_readiness(cast.supporter, review, SELF_RATING, "", NOW)

    assert (raised.value.field, raised.value.message) == ("q1", REFUSED)
    db.session.rollback()
    assert client.get(f"/reviews/{review.id}/readiness").status_code == 403
    assert client.post(f"/reviews/{review.id}/readiness", data=FORM).status_code == 403
    assert row_counts() == counts


@pytest.mark.parametrize(
    "person", ["team_guardian", "reviewer", "other_reviewer", "manager", "member"]
)
def test_only_a_supporting_guardian_records_it(
    db, cast, make_review, signed_in, person
):
    review = cast.review(make_review, stage=S.GUIDANCE)
    client = signed_in(getattr(cast, person))
    counts = row_counts()

    with pytest.raises(DomainError):
        surveys.record_readiness(getattr(cast, person), review, SELF_RATING, "", NOW)

    db.session.rollback()
    assert client.get(f"/reviews/{review.id}/readiness").status_code == 403
    assert client.post(f"/reviews/{review.id}/readiness", data=FORM).status_code == 403
    assert row_counts() == counts


def test_a_second_save_updates_the_one_check(db, cast, make_review):
    review = cast.review(make_review, stage=S.ENGAGED)
    first = surveys.record_readiness(cast.supporter, review, SELF_RATING, "a", NOW)
    db.session.commit()
    later = NOW + timedelta(days=2)

    second = surveys.record_readiness(cast.supporter, review, ANSWERS, "b", later)
    db.session.commit()

    [check] = checks_of(review.id)
    assert second.id == first.id == check.id
    assert (check.answers, check.notes) == (ANSWERS, "b")
    assert (check.created_at, check.updated_at) == (NOW, later)


def test_each_supporting_guardian_has_a_check_of_their_own(
    db, cast, make_review, make_user
):
    partner = make_user(name="Pat Partner", roles=["guardian"])
    review = make_review(
        team=cast.team, stage=S.GUIDANCE, guardians=[cast.supporter, partner]
    )

    surveys.record_readiness(cast.supporter, review, SELF_RATING, "", NOW)
    surveys.record_readiness(partner, review, ANSWERS, "", NOW)
    db.session.commit()

    assert [(c.user_id, c.answers) for c in checks_of(review.id)] == [
        (cast.supporter.id, SELF_RATING),
        (partner.id, ANSWERS),
    ]


def test_the_database_holds_one_check_per_guardian_and_review(db, cast, make_review):
    review = cast.review(make_review, stage=S.GUIDANCE)
    check = surveys.record_readiness(cast.supporter, review, SELF_RATING, "", NOW)
    db.session.commit()

    db.session.add(
        ReadinessCheck(
            review_id=review.id,
            user_id=cast.supporter.id,
            guide_edition_id=check.guide_edition_id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert len(checks_of(review.id)) == 1


@pytest.mark.parametrize(
    ("answers", "notes", "field"),
    [
        ({**SELF_RATING, "q1": 0}, "", "q1"),
        ({**SELF_RATING, "q2": 9}, "", "q2"),
        ({**SELF_RATING, "q3": 3}, "", "q3"),
        ({**SELF_RATING, "q4": "5"}, "", "q4"),
        (SELF_RATING, "x" * 10_001, "notes"),
    ],
)
def test_bad_answers_are_refused(db, cast, make_review, answers, notes, field):
    review = cast.review(make_review, stage=S.GUIDANCE)

    with pytest.raises(DomainError) as raised:
        surveys.record_readiness(cast.supporter, review, answers, notes, NOW)

    assert raised.value.field == field
    db.session.rollback()
    assert checks_of(review.id) == []


def _checked(page, name):
    """The value of the radio button ``name`` that is checked, or None."""
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        if re.search(r"\schecked", tag):
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def test_through_the_page(db, cast, make_review, signed_in):
    review = cast.review(make_review, stage=S.GUIDANCE)
    client = signed_in(cast.supporter)
    base = f"/reviews/{review.id}"

    offered = client.get(base).text
    form = client.get(f"{base}/readiness").text
    saved = client.post(f"{base}/readiness", data=FORM)
    again = client.get(f"{base}/readiness").text
    offered_again = client.get(base).text

    assert "Do the readiness check" in offered
    # The check's statements and the guide, in content/survey.toml's words.
    for question in questions():
        assert question.readiness in form
    assert "The architecture diagram is complete: all major components" in form
    assert saved.status_code == 302 and saved.headers["Location"] == base
    [check] = checks_of(review.id)
    assert (check.answers, check.notes) == (SELF_RATING, "Diagram is new.")
    assert [_checked(again, key) for key in ("q1", "q2", "q3", "q4")] == [
        "5",
        "4",
        "1",
        "n/a",
    ]
    assert "You saved this check on" in again and "Diagram is new." in again
    assert "Update the readiness check" in offered_again


def test_an_unanswered_question_on_the_page_saves_nothing(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.GUIDANCE)
    client = signed_in(cast.supporter)

    response = client.post(
        f"/reviews/{review.id}/readiness", data={**FORM, "q2": "", "q3": "7"}
    )

    assert response.status_code == 200
    assert "Choose an answer, or n/a." in response.text
    assert "Not a valid choice." in response.text
    assert checks_of(review.id) == []


def _survey_table(page):
    """{header: [cells]} of the review page's survey table, headers first."""
    table = page.split('id="surveys"')[1].split("</table>")[0]
    headers = re.findall(r'<th scope="col">(.*?)</th>', table)
    rows = re.findall(r'<tr><th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', table, re.S)
    cells = {
        re.sub(r"<[^>]+>", "", header).strip(): [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", rest, re.S)
        ]
        for header, rest in rows
    }
    return headers, cells


def test_the_reviewer_reads_it_beside_their_rating_once_their_survey_is_in(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.IMPLEMENTED)
    surveys.record_readiness(cast.supporter, review, SELF_RATING, "", NOW)
    services.move_review(cast.supporter, review, S.SUBMITTED, now=NOW)
    for stage in (S.IN_REVIEW, S.APPROVED):
        services.move_review(cast.reviewer, review, stage, now=NOW)
    surveys.submit_survey(cast.reviewer, review, ANSWERS, "", "", NOW)
    db.session.commit()

    page = signed_in(cast.reviewer).get(f"/reviews/{review.id}").text
    mine = signed_in(cast.supporter).get("/reviews/mine").text

    headers, cells = _survey_table(page)
    assert headers == ["Question", "Rae Reviewer", "Sam Supporter’s self-rating"]
    assert cells["Q1 System design"] == ["Very Good", "Excellent"]
    assert cells["Q2 Resources identified"] == [
        "Excellent (all resources were identified)",
        "Very Good (most resources were identified)",
    ]
    assert cells["Q3 Configurations set up"] == ["Yes", "Yes"]
    assert cells["Q4 Threat model"] == ["Neutral", "n/a"]
    assert "My self-rating" in mine and "Excellent" in mine
