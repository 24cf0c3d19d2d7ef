"""The review jobs, called with a fixed ``now``: one survey reminder per review
and reviewer however many runs, and stalled reviews flagged to program
managers once per ISO week, which their weekly digest then carries."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.mail.models import OutboxMessage
from portal.notifications.jobs import send_weekly_digest
from portal.reviews.jobs import flag_stuck_reviews, send_survey_reminders
from portal.reviews.models import ReviewStage as S
from portal.reviews.surveys import submit_survey
from tests.concurrency import run_together
from tests.reviews.conftest import ANSWERS, NOW, notifications

REMINDER_DAYS = 3  # PORTAL_SURVEY_REMINDER_DAYS by default
STUCK_DAYS = 30  # PORTAL_REVIEW_STUCK_DAYS by default
STUCK_TITLE = "{count} security review(s) have sat in one stage for 30 days or more."


def reminders():
    return [
        (recipient, title, link)
        for recipient, _, title, link in notifications("review_surveys")
        if title.startswith("Reminder:")
    ]


@pytest.fixture
def due(db, make_review, make_user, reviewer):
    """A review approved at NOW with three reviewers; the third filed the survey."""
    second = make_user(name="Sol Second", roles=["security_reviewer"])
    third = make_user(name="Tia Third", roles=["security_reviewer"])
    review = make_review(
        stage=S.APPROVED, title="Ledger", reviewers=[reviewer, second, third]
    )
    submit_survey(third, review, ANSWERS, "", "", NOW + timedelta(hours=1))
    db.session.commit()
    return review, reviewer, second, third


def test_no_reminder_before_the_days_have_passed(db, due):
    summary = send_survey_reminders(
        NOW + timedelta(days=REMINDER_DAYS) - timedelta(minutes=1)
    )
    db.session.commit()

    assert summary == "0 survey reminder(s) sent"
    assert reminders() == []


def test_each_missing_reviewer_is_reminded_once_however_many_runs(db, due):
    review, reviewer, second, _ = due
    title = "Reminder: the end-of-review survey of “Ledger” is still to fill."
    link = f"/reviews/{review.id}/survey"

    first = send_survey_reminders(NOW + timedelta(days=REMINDER_DAYS))
    db.session.commit()
    again = [
        send_survey_reminders(NOW + timedelta(days=REMINDER_DAYS, hours=hours))
        for hours in (0, 1, 24, 24 * 20)
    ]
    db.session.commit()

    assert first == "2 survey reminder(s) sent"
    assert again == ["0 survey reminder(s) sent"] * 4
    assert sorted(reminders()) == sorted(
        [(reviewer.id, title, link), (second.id, title, link)]
    )


def test_a_reviewer_who_filled_the_survey_meanwhile_is_not_reminded(db, due):
    review, reviewer, second, _ = due
    submit_survey(reviewer, review, ANSWERS, "", "", NOW + timedelta(days=1))
    db.session.commit()

    summary = send_survey_reminders(NOW + timedelta(days=REMINDER_DAYS))
    db.session.commit()

    assert summary == "1 survey reminder(s) sent"
    assert [recipient for recipient, _, _ in reminders()] == [second.id]


@pytest.mark.parametrize("stage", [s for s in S if s != S.APPROVED])
def test_only_approved_reviews_are_reminded(db, make_review, reviewer, stage):
    make_review(stage=stage, reviewers=[reviewer], entered_at=NOW)

    summary = send_survey_reminders(NOW + timedelta(days=REMINDER_DAYS + 1))

    assert summary == "0 survey reminder(s) sent"
    assert reminders() == []


def test_a_review_approved_long_before_it_was_recorded_is_not_chased(
    db, make_review, reviewer
):
    make_review(stage=S.APPROVED, reviewers=[reviewer], entered_at=NOW)

    summary = send_survey_reminders(NOW + timedelta(days=REMINDER_DAYS + 61))

    assert summary == "0 survey reminder(s) sent"


def test_the_reminder_waits_for_the_configured_days(db, app_factory, due):
    review_id = due[0].id
    db.session.commit()
    patient = app_factory(PORTAL_SURVEY_REMINDER_DAYS=7)

    with patient.app_context():
        early = send_survey_reminders(NOW + timedelta(days=6, hours=23))
        on_time = send_survey_reminders(NOW + timedelta(days=7))
        _db.session.commit()

    assert (early, on_time) == (
        "0 survey reminder(s) sent",
        "2 survey reminder(s) sent",
    )
    assert {link for _, _, link in reminders()} == {f"/reviews/{review_id}/survey"}


def test_two_runners_at_once_remind_each_reviewer_once(app, db, due):
    db.session.commit()

    def run():
        with app.app_context():
            summary = send_survey_reminders(NOW + timedelta(days=REMINDER_DAYS))
            _db.session.commit()
            return summary

    summaries = run_together(run, run)

    sent = sorted(int(summary.split()[0]) for summary in summaries)
    assert sum(sent) == 2
    assert len(reminders()) == 2


@pytest.fixture
def managers(make_user, program_manager):
    """Two active program managers, one former one and an admin."""
    return [
        program_manager,
        make_user(name="Pia Second", roles=["program_manager"]),
        make_user(name="Old Manager", roles=["program_manager"], active=False),
        make_user(name="Ad Min", roles=["admin"]),
    ]


def test_no_flag_when_nothing_is_stuck(db, make_review, managers):
    almost = NOW - timedelta(days=STUCK_DAYS) + timedelta(minutes=1)
    make_review(stage=S.IN_REVIEW, entered_at=almost)
    make_review(stage=S.APPROVED, entered_at=NOW - timedelta(days=300))
    make_review(stage=S.CANCELLED, entered_at=NOW - timedelta(days=300))

    summary = flag_stuck_reviews(NOW)

    assert summary == "0 stuck review(s)"
    assert notifications("review_stalls") == []


@pytest.fixture
def stuck(db, make_review):
    """Two open reviews that have sat in one stage for 30 days, one a day short,
    and closed ones long ago."""
    make_review(stage=S.ENGAGED, entered_at=NOW - timedelta(days=STUCK_DAYS))
    make_review(stage=S.IN_REVIEW, entered_at=NOW - timedelta(days=90))
    make_review(stage=S.SUBMITTED, entered_at=NOW - timedelta(days=STUCK_DAYS - 1))
    make_review(stage=S.APPROVED, entered_at=NOW - timedelta(days=300))
    make_review(stage=S.CANCELLED, entered_at=NOW - timedelta(days=300))


def test_program_managers_hear_of_stuck_reviews_once_a_week(db, stuck, managers):
    active = sorted(m.id for m in managers[:2])
    title = STUCK_TITLE.format(count=2)

    monday = flag_stuck_reviews(NOW)
    db.session.commit()
    same_week = [flag_stuck_reviews(NOW + timedelta(days=d)) for d in (0, 3, 6)]
    db.session.commit()

    assert monday == "2 stuck review(s) flagged to 2 program manager(s)"
    # The one a day short sticks on Tuesday: still no second flag that week.
    assert same_week == [
        "2 stuck review(s) flagged to 0 program manager(s)",
        "3 stuck review(s) flagged to 0 program manager(s)",
        "3 stuck review(s) flagged to 0 program manager(s)",
    ]
    assert sorted(notifications("review_stalls")) == [
        (manager_id, "review_stalls", title, "/reviews/stuck") for manager_id in active
    ]

    next_week = flag_stuck_reviews(NOW + timedelta(days=7))
    db.session.commit()

    assert next_week == "3 stuck review(s) flagged to 2 program manager(s)"
    assert len(notifications("review_stalls")) == 4


def test_the_weekly_digest_carries_the_flag(db, stuck, managers):
    flag_stuck_reviews(NOW)
    db.session.commit()

    send_weekly_digest(NOW + timedelta(hours=1))
    db.session.commit()

    digests = {
        m.to_address: m.body_text
        for m in db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.subject.startswith("Your Guardians")
            )
        )
    }
    assert set(digests) == {managers[0].email, managers[1].email}
    for text in digests.values():
        assert STUCK_TITLE.format(count=2) in text


def test_the_stalled_reviews_page_lists_them_for_program_managers(
    db, make_review, managers, reviewer, signed_in
):
    make_review(stage=S.GUIDANCE, title="Forgotten", entered_at=NOW)
    make_review(stage=S.APPROVED, title="Finished", entered_at=NOW)

    page = signed_in(managers[0]).get("/reviews/stuck")

    assert page.status_code == 200
    assert "Forgotten" in page.text and "Finished" not in page.text
    assert signed_in(reviewer).get("/reviews/stuck").status_code == 403
