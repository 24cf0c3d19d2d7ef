"""Each badge's rule fires once, when it first holds, with one notification."""

import secrets
from datetime import timedelta

from sqlalchemy import select

from portal.recognition.models import BadgeAward
from portal.reviews import surveys
from portal.reviews.models import ReviewStage
from portal.reviews.signals import review_signed_off
from portal.training.models import Certificate
from portal.training.signals import certified
from tests.recognition.conftest import NOW
from tests.reviews.conftest import notifications

VERY_GOOD = {"q1": 4, "q2": 4, "q3": None, "q4": 4}  # scores 75
MIXED = {"q1": 4, "q2": 4, "q3": None, "q4": 3}  # scores 66.67
EXCELLENT = {"q1": 5, "q2": 5, "q3": 1, "q4": 5}  # scores 100


def badges_of(db, person):
    db.session.expire_all()
    return [
        (award.badge, award.evidence)
        for award in db.session.scalars(
            select(BadgeAward)
            .where(BadgeAward.user_id == person.id)
            .order_by(BadgeAward.id)
        )
    ]


def badge_notices(person):
    return [
        title
        for recipient, _, title, _ in notifications("recognition")
        if recipient == person.id and title.startswith("New badge")
    ]


def test_first_review_and_ten_reviews_on_sign_off(db, guardian, make_review):
    for number in range(1, 11):
        day = NOW + timedelta(days=number)
        review = make_review(
            stage=ReviewStage.APPROVED,
            guardians=[guardian],
            title=f"Service {number}",
            entered_at=day,
        )
        for _ in range(2):  # a sign-off delivered twice
            review_signed_off.send(review, review=review, now=day)
        db.session.commit()
        if number == 9:
            assert [b for b, _ in badges_of(db, guardian)] == ["first_review"]

    assert badges_of(db, guardian) == [
        ("first_review", "“Service 1”, signed off on 03 June 2025"),
        ("ten_reviews", "The tenth, “Service 10”, signed off on 12 June 2025"),
    ]
    assert badge_notices(guardian) == [
        "New badge: First review. Support a security review through to its sign-off.",
        "New badge: Ten reviews. Support ten security reviews through to their "
        "sign-off.",
    ]


def test_a_review_not_signed_off_earns_no_badge(db, guardian, make_review):
    review = make_review(stage=ReviewStage.SUBMITTED, guardians=[guardian])
    review_signed_off.send(review, review=review, now=NOW)
    db.session.commit()

    assert badges_of(db, guardian) == []
    assert badge_notices(guardian) == []


def _rate(db, review, reviewer, answers, now=NOW):
    surveys.submit_survey(reviewer, review, answers, "", "", now)
    db.session.commit()


def test_well_rated_after_five_rated_reviews_averaging_75(
    db, guardian, reviewer, make_review
):
    reviews = [
        make_review(
            stage=ReviewStage.APPROVED, guardians=[guardian], reviewers=[reviewer]
        )
        for _ in range(6)
    ]
    for review in reviews[:4]:
        _rate(db, review, reviewer, VERY_GOOD)
    assert badges_of(db, guardian) == []  # four are not enough
    _rate(db, reviews[4], reviewer, MIXED)
    assert badges_of(db, guardian) == []  # five, averaging 73
    _rate(db, reviews[5], reviewer, EXCELLENT)
    assert badges_of(db, guardian) == [
        ("well_rated", "6 rated reviews averaging 78 out of 100")
    ]
    # Later ratings and edits award nothing more.
    _rate(db, reviews[4], reviewer, EXCELLENT, NOW + timedelta(days=1))
    assert [b for b, _ in badges_of(db, guardian)] == ["well_rated"]
    assert badge_notices(guardian) == [
        "New badge: Well rated. Have at least 5 rated reviews whose scores "
        "average 75 or more (Very good or better)."
    ]


def test_exactly_five_reviews_averaging_75_are_well_rated(
    db, guardian, reviewer, make_review
):
    for _ in range(5):
        review = make_review(
            stage=ReviewStage.APPROVED, guardians=[guardian], reviewers=[reviewer]
        )
        _rate(db, review, reviewer, VERY_GOOD)

    assert badges_of(db, guardian) == [
        ("well_rated", "5 rated reviews averaging 75 out of 100")
    ]


def _certificate(db, person, sequence, issued_at):
    certificate = Certificate(
        user_id=person.id,
        sequence=sequence,
        verification_code=secrets.token_urlsafe(12),
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=365),
        modules=[],
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def test_certified_and_recertified_once_each(db, guardian):
    first = _certificate(db, guardian, 1, NOW)
    for _ in range(2):
        certified.send(guardian, user=guardian, certificate=first, now=NOW)
    db.session.commit()
    assert badges_of(db, guardian) == [
        ("certified", "Certified as a Guardian on 02 June 2025")
    ]
    renewed_at = NOW + timedelta(days=340)
    second = _certificate(db, guardian, 2, renewed_at)
    for _ in range(2):
        certified.send(guardian, user=guardian, certificate=second, now=renewed_at)
    db.session.commit()

    assert badges_of(db, guardian) == [
        ("certified", "Certified as a Guardian on 02 June 2025"),
        ("recertified", "Re-certified on 08 May 2026"),
    ]
    assert badge_notices(guardian) == [
        "New badge: Certified Guardian. Earn the Guardian certificate.",
        "New badge: Re-certified. Renew the Guardian certificate.",
    ]
