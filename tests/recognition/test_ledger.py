"""The ledger: corrections are new entries, nothing is ever changed or
deleted, weekly caps hold, and review points follow the survey score."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from portal.errors import DomainError
from portal.extensions import db as _db
from portal.recognition import points, services
from portal.recognition.ledger import held_points, record_points
from portal.recognition.models import LedgerIsAppendOnly, PointsEntry, PointsTotal
from portal.reviews import surveys
from portal.reviews.models import ReviewStage
from portal.training.certificates import revoke_certificate
from portal.training.models import Certificate
from portal.training.signals import certified
from tests.helpers import fresh
from tests.recognition.conftest import ANSWERS, NOW

ALL_FIVES = {"q1": 5, "q2": 5, "q3": 1, "q4": 5}
ALL_ONES = {"q1": 1, "q2": 1, "q3": 0, "q4": 1}
ALL_NA = {"q1": None, "q2": None, "q3": None, "q4": None}


def entries_of(person_id, kind=None):
    """(kind, source, revision, points, capped) of a person's entries."""
    query = select(
        PointsEntry.source_kind,
        PointsEntry.source_id,
        PointsEntry.revision,
        PointsEntry.points,
        PointsEntry.capped,
    ).where(PointsEntry.user_id == person_id)
    if kind:
        query = query.where(PointsEntry.source_kind == kind)
    return [tuple(row) for row in _db.session.execute(query)]


def total_of(db, scope, subject_id, period="all"):
    db.session.expire_all()
    total = db.session.get(PointsTotal, (scope, period, subject_id))
    return None if total is None else total.points


@pytest.fixture
def person(make_user, make_team):
    return make_user(name="Lee Ledger", roles=["guardian"], team=make_team())


# Review points: the hand-worked examples, and a survey end to end.


def test_review_points_follow_the_hand_worked_examples():
    examples = [(100, 60), (81.25, 51), (50, 35), (0, 10), (None, 20)]
    assert [points.review_points(score) for score, _ in examples] == [
        worth for _, worth in examples
    ]
    # The page shows these very examples; halves round up.
    assert examples == points.REVIEW_EXAMPLES
    assert points.review_points(1) == 11  # 10.5


@pytest.mark.parametrize(
    ("answers", "worth"), [(ALL_FIVES, 60), (ALL_ONES, 10), (ALL_NA, 20)]
)
def test_a_surveys_answers_give_the_guardian_the_points_they_are_worth(
    db, cast, make_review, answers, worth
):
    review = cast.review(make_review, stage=ReviewStage.APPROVED)
    surveys.submit_survey(cast.reviewer, review, answers, "", "", NOW)
    db.session.commit()

    assert entries_of(cast.supporter.id) == [
        ("review_rated", str(review.id), 0, worth, False)
    ]
    assert total_of(db, "person", cast.supporter.id) == worth
    assert entries_of(cast.reviewer.id) == []


# Corrections and reversals.


def test_a_survey_edited_within_its_window_corrects_the_points(db, cast, make_review):
    review = cast.review(make_review, stage=ReviewStage.APPROVED)
    surveys.submit_survey(cast.reviewer, review, ANSWERS, "", "", NOW)
    db.session.commit()
    surveys.submit_survey(cast.reviewer, review, ALL_FIVES, "", "", NOW)
    db.session.commit()
    later = NOW + timedelta(days=13)
    surveys.submit_survey(cast.reviewer, review, ALL_ONES, "", "", later)
    db.session.commit()

    source = str(review.id)
    assert entries_of(cast.supporter.id) == [
        ("review_rated", source, 0, 51, False),
        ("review_rated", source, 1, 9, False),
        ("review_rated", source, 2, -50, False),
    ]
    assert total_of(db, "person", cast.supporter.id) == 10
    assert total_of(db, "team", cast.supporter.team_id) == 10

    with pytest.raises(DomainError, match="locked"):
        surveys.submit_survey(
            cast.reviewer, review, ALL_FIVES, "", "", NOW + timedelta(days=14)
        )
    db.session.rollback()
    assert len(entries_of(cast.supporter.id)) == 3


def test_a_revoked_certificate_takes_its_points_back(db, person, program_manager):
    certificate = Certificate(
        user_id=person.id,
        sequence=1,
        verification_code=secrets.token_urlsafe(12),
        issued_at=NOW,
        expires_at=NOW + timedelta(days=365),
        modules=[],
    )
    db.session.add(certificate)
    db.session.flush()
    certified.send(person, user=person, certificate=certificate, now=NOW)
    db.session.commit()
    revoke_certificate(
        program_manager, certificate, "Issued in error", NOW + timedelta(days=3)
    )
    db.session.commit()

    source = str(certificate.id)
    assert entries_of(person.id) == [
        ("certified", source, 0, 100, False),
        ("certified", source, 1, -100, False),
    ]
    assert total_of(db, "person", person.id) == 0
    assert held_points(person.id, "certified", certificate.id) == 0


def test_a_revoked_award_takes_its_points_back(db, person, program_manager, award_kind):
    award = services.grant_award(
        program_manager, person.email, award_kind, "For *all* of it", 100, NOW
    )
    db.session.commit()
    assert total_of(db, "person", person.id) == 100
    services.revoke_award(program_manager, award, "Wrong person", NOW)
    db.session.commit()

    assert entries_of(person.id) == [
        ("award", str(award.id), 0, 100, False),
        ("award", str(award.id), 1, -100, False),
    ]
    assert total_of(db, "person", person.id) == 0
    assert total_of(db, "org", person.team.org_id) == 0


def test_a_correction_stays_with_the_team_that_earned_the_points(
    db, person, program_manager, award_kind, make_team
):
    award = services.grant_award(
        program_manager, person.email, award_kind, "Thanks", 100, NOW
    )
    db.session.commit()
    earned_in, moved_to = person.team, make_team()
    person.team = moved_to
    db.session.commit()
    services.revoke_award(program_manager, award, "Wrong person", NOW)
    db.session.commit()

    assert total_of(db, "team", earned_in.id) == 0
    assert total_of(db, "org", earned_in.org_id) == 0
    assert total_of(db, "team", moved_to.id) is None
    assert total_of(db, "org", moved_to.org_id) is None


def test_entries_are_never_changed_or_deleted(db, person):
    entry = record_points(person, "award", 1, 40, "An award", NOW)
    db.session.commit()
    entry_id = entry.id

    entry.points = 400
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(fresh(PointsEntry, entry_id))
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    for statement in (
        update(PointsEntry).values(points=400),
        delete(PointsEntry).where(PointsEntry.id == entry_id),
    ):
        with pytest.raises(LedgerIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()

    assert entries_of(person.id) == [("award", "1", 0, 40, False)]
    assert total_of(db, "person", person.id) == 40


# Weekly caps.


def _pass(person, module_id, at):
    entry = record_points(
        person, "module_passed", module_id, 10, f"Passed module {module_id}", at
    )
    _db.session.commit()
    return entry


CAP = points.source("module_passed").weekly_cap


def test_a_module_passed_past_the_weeks_cap_earns_nothing_and_stays_at_nothing(
    db, person
):
    assert CAP is not None
    monday = NOW  # 09:00 on a Monday
    for number in range(1, CAP + 2):
        _pass(person, number, monday + timedelta(hours=number * 14))
    past = str(CAP + 1)
    assert entries_of(person.id)[-1] == ("module_passed", past, 0, 0, True)
    reason = db.session.scalar(
        select(PointsEntry.reason).where(PointsEntry.source_id == past)
    )
    assert reason == f"Passed module {past} (past this week's cap of {CAP})"
    assert total_of(db, "person", person.id) == 10 * CAP

    # Corrections of the capped source change nothing, even once one is undone.
    record_points(person, "module_passed", 1, 0, "Taken back", NOW)
    assert record_points(person, "module_passed", past, 10, "Again", NOW) is None
    assert record_points(person, "module_passed", past, 25, "More", NOW) is None
    db.session.commit()
    assert held_points(person.id, "module_passed", past) == 0
    assert total_of(db, "person", person.id) == 10 * (CAP - 1)

    # Sunday night is still this week; Monday midnight (UTC) starts the next.
    sunday = datetime(2025, 6, 8, 23, 59, 59, tzinfo=UTC)
    assert _pass(person, CAP + 2, sunday).capped
    next_monday = datetime(2025, 6, 9, 0, 0, tzinfo=UTC)
    assert _pass(person, CAP + 3, next_monday).points == 10
    assert total_of(db, "person", person.id) == 10 * CAP


def test_a_weeks_cap_counts_only_that_weeks_entries(db, person):
    next_week = NOW + timedelta(days=7)
    for number in range(1, CAP + 1):
        _pass(person, number, next_week)
    # An event of the week before, recorded later, has that week's cap.
    late = _pass(person, CAP + 1, NOW + timedelta(days=1))

    assert (late.points, late.capped) == (10, False)
    assert total_of(db, "person", person.id) == 10 * (CAP + 1)
