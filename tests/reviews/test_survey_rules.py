"""Who files the end-of-review survey and when: only on an approved review,
only by one of its reviewers (never its Guardian), editable for
PORTAL_SURVEY_EDIT_DAYS with every change audited, then locked."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portal.database import utcnow
from portal.errors import DomainError
from portal.reviews import services, surveys
from portal.reviews.models import Part, Review, ReviewPerson, Survey
from portal.reviews.models import ReviewStage as S
from tests.reviews.conftest import (
    ANSWERS,
    NOW,
    TODAY,
    audit_rows,
    fresh,
    notifications,
    row_counts,
    surveys_of,
)

EDIT_DAYS = 14  # PORTAL_SURVEY_EDIT_DAYS by default
CHANGED = {**ANSWERS, "q1": 2, "q3": None}
FORM = {"q1": "4", "q2": "5", "q3": "1", "q4": "3", "feedback": "", "private_note": ""}


@pytest.fixture
def filed(db, cast, make_review):
    """An approved review whose reviewer filed the survey at NOW."""
    review = cast.review(make_review, stage=S.APPROVED)
    survey = surveys.submit_survey(
        cast.reviewer, review, ANSWERS, "**Well** prepared.", "Slow team.", NOW
    )
    db.session.commit()
    return review, survey


def _row(survey_id):
    survey = fresh(Survey, survey_id)
    return (
        survey.answers,
        survey.feedback_markdown,
        survey.private_note,
        survey.score,
        survey.submitted_at,
        survey.updated_at,
    )


def test_submitting_records_the_survey_and_tells_the_supporting_guardian(
    db, cast, filed
):
    review, survey = filed

    saved = fresh(Survey, survey.id)
    assert (saved.answers, saved.submitted_at, saved.updated_at) == (ANSWERS, NOW, NOW)
    assert saved.feedback_html == "<p><strong>Well</strong> prepared.</p>"
    assert saved.score == 81.25
    assert fresh(Review, review.id).score == 81.25
    assert audit_rows(review.id) == [
        ("survey.submit", cast.reviewer.id, ANSWERS),
    ]
    assert notifications("review_feedback") == [
        (
            cast.supporter.id,
            "review_feedback",
            f"A reviewer rated “{review.title}”: read their feedback.",
            "/reviews/mine",
        )
    ]


def test_within_the_edit_window_a_change_is_saved_and_audited(db, cast, filed):
    review, survey = filed
    last_moment = NOW + timedelta(days=EDIT_DAYS) - timedelta(seconds=1)

    surveys.submit_survey(
        cast.reviewer,
        review,
        CHANGED,
        "Well prepared, thin threat model.",
        "",
        last_moment,
    )
    db.session.commit()

    answers, feedback, note, score, submitted_at, updated_at = _row(survey.id)
    assert (answers, feedback, note) == (
        CHANGED,
        "Well prepared, thin threat model.",
        "",
    )
    # Q1 2 -> 0.25, Q2 5 -> 1, Q3 n/a, Q4 3 -> 0.5: 100 x 1.75 / 3
    assert score == pytest.approx(100 * 1.75 / 3)
    assert fresh(Review, review.id).score == pytest.approx(100 * 1.75 / 3)
    assert (submitted_at, updated_at) == (NOW, last_moment)
    assert audit_rows(review.id, "survey.edit") == [
        (
            "survey.edit",
            cast.reviewer.id,
            {
                "q1": [4, 2],
                "q3": [1, None],
                "feedback": "changed",
                "private_note": "changed",
            },
        )
    ]
    # The private note's words stay out of the audit log.
    assert "Slow team" not in str(audit_rows(review.id))
    # An edit is not news for the Guardian: only the submission told them.
    assert len(notifications("review_feedback")) == 1


def test_saving_the_same_answers_again_changes_and_audits_nothing(db, cast, filed):
    review, survey = filed
    before = _row(survey.id)

    surveys.submit_survey(
        cast.reviewer,
        review,
        ANSWERS,
        "**Well** prepared.",
        "Slow team.",
        NOW + timedelta(days=1),
    )
    db.session.commit()

    assert _row(survey.id) == before
    assert audit_rows(review.id, "survey.edit") == []


@pytest.mark.parametrize("after", [timedelta(days=EDIT_DAYS), timedelta(days=400)])
def test_after_the_edit_window_the_survey_is_locked(db, cast, filed, after):
    review, survey = filed
    before, counts = _row(survey.id), row_counts()

    with pytest.raises(DomainError) as raised:
        surveys.submit_survey(cast.reviewer, review, CHANGED, "", "", NOW + after)

    assert raised.value.field == "q1"
    assert raised.value.message == (
        "This survey locked on 16 June 2025: it can no longer change."
    )
    db.session.rollback()
    assert _row(survey.id) == before
    assert row_counts() == counts


def test_the_edit_window_follows_the_setting(db, app_factory, cast, make_review):
    review = cast.review(make_review, stage=S.APPROVED)
    review_id, reviewer_id = review.id, cast.reviewer.id
    db.session.commit()
    short = app_factory(PORTAL_SURVEY_EDIT_DAYS=2)

    with short.app_context():
        reviewer = db.session.get(type(cast.reviewer), reviewer_id)
        target = db.session.get(Review, review_id)
        survey = surveys.submit_survey(reviewer, target, ANSWERS, "", "", NOW)
        edited = surveys.submit_survey(
            reviewer, target, CHANGED, "", "", NOW + timedelta(days=1, hours=23)
        )
        with pytest.raises(DomainError):
            surveys.submit_survey(
                reviewer, target, ANSWERS, "", "", NOW + timedelta(days=2)
            )
        assert surveys.locks_at(survey) == NOW + timedelta(days=2)
        db.session.rollback()

    assert edited is survey
    assert surveys_of(review_id) == []  # rolled back: nothing was committed


def test_the_page_of_a_locked_survey_says_so_and_refuses_changes(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.APPROVED)
    filed_at = utcnow() - timedelta(days=EDIT_DAYS + 1)
    survey = surveys.submit_survey(cast.reviewer, review, ANSWERS, "", "", filed_at)
    db.session.commit()
    before = _row(survey.id)
    client = signed_in(cast.reviewer)
    locked_on = (filed_at + timedelta(days=EDIT_DAYS)).strftime("%d %B %Y")

    page = client.get(f"/reviews/{review.id}/survey").text
    review_page = client.get(f"/reviews/{review.id}").text
    response = client.post(f"/reviews/{review.id}/survey", data={**FORM, "q1": "1"})

    assert f"Your survey locked on {locked_on}: it can no longer change." in page
    assert "Save my changes" not in page and "Submit the survey" not in page
    assert "Change my survey" not in review_page
    assert response.status_code == 200
    assert f"This survey locked on {locked_on}: it can no longer change." in (
        response.text
    )
    assert _row(survey.id) == before


def test_the_page_of_an_open_survey_offers_the_change_until_it_locks(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.APPROVED)
    filed_at = utcnow() - timedelta(days=1)
    survey = surveys.submit_survey(cast.reviewer, review, ANSWERS, "", "", filed_at)
    db.session.commit()
    client = signed_in(cast.reviewer)
    until = (filed_at + timedelta(days=EDIT_DAYS)).strftime("%d %B %Y")

    page = client.get(f"/reviews/{review.id}/survey").text
    review_page = client.get(f"/reviews/{review.id}").text
    response = client.post(f"/reviews/{review.id}/survey", data={**FORM, "q4": "n/a"})

    assert f"You can change it until {until}" in page and "Save my changes" in page
    assert "Change my survey (until" in review_page
    assert response.status_code == 302
    assert fresh(Survey, survey.id).q4 is None
    assert audit_rows(review.id, "survey.edit")[0][2] == {"q4": [3, None]}


@pytest.mark.parametrize("stage", [s for s in S if s != S.APPROVED])
def test_a_survey_only_on_an_approved_review(db, cast, make_review, signed_in, stage):
    review = cast.review(make_review, stage=stage)
    client = signed_in(cast.reviewer)
    counts = row_counts()

    with pytest.raises(DomainError) as raised:
        surveys.submit_survey(cast.reviewer, review, ANSWERS, "", "", NOW)

    assert raised.value.message == (
        "Only the review's reviewers fill its survey, once it is approved."
    )
    db.session.rollback()
    assert client.get(f"/reviews/{review.id}/survey").status_code == 403
    assert client.post(f"/reviews/{review.id}/survey", data=FORM).status_code == 403
    assert row_counts() == counts


@pytest.mark.parametrize(
    "person", ["other_reviewer", "manager", "admin", "supporter", "team_guardian"]
)
def test_a_survey_only_by_one_of_the_reviews_reviewers(
    db, cast, make_review, signed_in, person
):
    review = cast.review(make_review, stage=S.APPROVED)
    client = signed_in(getattr(cast, person))
    counts = row_counts()

    with pytest.raises(DomainError):
        surveys.submit_survey(getattr(cast, person), review, ANSWERS, "", "", NOW)

    db.session.rollback()
    assert client.get(f"/reviews/{review.id}/survey").status_code == 403
    assert client.post(f"/reviews/{review.id}/survey", data=FORM).status_code == 403
    assert row_counts() == counts


def test_a_listed_reviewer_who_lost_the_role_cannot_file_the_survey(
    db, cast, make_review, make_user
):
    former = make_user(name="Fay Former")  # listed, no security reviewer role now
    review = make_review(team=cast.team, stage=S.APPROVED, reviewers=[former])

    with pytest.raises(DomainError):
        surveys.submit_survey(former, review, ANSWERS, "", "", NOW)


@pytest.mark.parametrize(
    "answers",
    [
        {**ANSWERS, "q1": 6},
        {**ANSWERS, "q2": 0},
        {**ANSWERS, "q3": 2},
        {**ANSWERS, "q4": "4"},
    ],
)
def test_answers_out_of_the_choices_are_refused(db, cast, make_review, answers):
    review = cast.review(make_review, stage=S.APPROVED)
    bad = next(key for key in ANSWERS if answers[key] is not ANSWERS[key])

    with pytest.raises(DomainError) as raised:
        surveys.submit_survey(cast.reviewer, review, answers, "", "", NOW)

    assert (raised.value.field, raised.value.message) == (
        bad,
        "Choose one of the answers, or n/a.",
    )
    db.session.rollback()
    assert surveys_of(review.id) == []


def test_a_reviewer_who_is_also_the_supporting_guardian_is_refused(
    db, cast, make_user, make_team
):
    both = make_user(
        name="Bo Both", roles=["guardian", "security_reviewer"], team=make_team()
    )
    counts = row_counts()

    with pytest.raises(DomainError) as raised:
        services.create_review(
            cast.manager,
            title="Ledger",
            team_id=cast.team.id,
            ticket_url="",
            opened_on=TODAY,
            guardians=both.email,
            reviewers=f"{cast.reviewer.email}, {both.email.upper()}",
            now=NOW,
        )

    assert raised.value.field == "reviewers"
    assert raised.value.message.startswith(
        "A reviewer cannot be the review's supporting Guardian"
    )
    db.session.rollback()
    assert row_counts() == counts


def test_editing_a_review_cannot_make_its_guardian_a_reviewer_too(
    db, cast, make_review, make_user, make_team
):
    both = make_user(roles=["guardian", "security_reviewer"], team=make_team())
    review = make_review(
        team=cast.team, stage=S.APPROVED, guardians=[both], reviewers=[cast.reviewer]
    )

    with pytest.raises(DomainError) as raised:
        services.update_review(
            cast.manager,
            review,
            title=review.title,
            team_id=cast.team.id,
            ticket_url="",
            opened_on=review.opened_on,
            closed_on=review.closed_on,
            guardians=both.email,
            reviewers=f"{cast.reviewer.email}\n{both.email}",
            now=NOW,
        )

    assert raised.value.field == "reviewers"
    db.session.rollback()
    assert sorted(fresh(Review, review.id).reviewer_ids) == [cast.reviewer.id]
    # As the supporting Guardian they act as the Guardian: no survey.
    with pytest.raises(DomainError):
        surveys.submit_survey(both, review, ANSWERS, "", "", NOW)


def test_the_database_refuses_one_person_in_two_parts_of_a_review(
    db, cast, make_review
):
    review = cast.review(make_review, stage=S.APPROVED)

    db.session.add(
        ReviewPerson(review_id=review.id, user_id=cast.supporter.id, part=Part.REVIEWER)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert fresh(Review, review.id).reviewer_ids == [cast.reviewer.id]


def test_a_reviewer_who_filled_the_survey_stays_on_the_review(db, cast, filed):
    review, _ = filed

    with pytest.raises(DomainError) as raised:
        services.update_review(
            cast.manager,
            review,
            title=review.title,
            team_id=cast.team.id,
            ticket_url="",
            opened_on=review.opened_on,
            closed_on=review.closed_on,
            guardians=cast.supporter.email,
            reviewers=cast.other_reviewer.email,
            now=NOW,
        )

    assert raised.value.message == (
        "A reviewer who has filled the survey stays on the review."
    )
    db.session.rollback()
    assert fresh(Review, review.id).reviewer_ids == [cast.reviewer.id]


def test_feedback_from_a_browser_is_stored_with_plain_line_ends(db, cast, make_review):
    review = cast.review(make_review, stage=S.APPROVED)

    survey = surveys.submit_survey(
        cast.reviewer,
        review,
        ANSWERS,
        "Good diagram.\r\nName the pipelines.\r\n",
        "",
        NOW,
    )

    assert survey.feedback_markdown == "Good diagram.\nName the pipelines."


def test_feedback_is_shown_only_as_the_sanitized_html_stored_for_it(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.APPROVED)
    hostile = (
        "Nice **work**<script>alert(1)</script>"
        '<img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    )
    survey = surveys.submit_survey(cast.reviewer, review, ANSWERS, hostile, "", NOW)
    db.session.commit()

    pages = [
        signed_in(cast.supporter).get("/reviews/mine").text,
        signed_in(cast.manager).get(f"/reviews/{review.id}").text,
    ]

    assert "<strong>work</strong>" in survey.feedback_html
    for text in (survey.feedback_html, *pages):
        assert "<script>alert" not in text
        assert "onerror" not in text
        assert "javascript:alert" not in text
    for page in pages:
        assert "<strong>work</strong>" in page
