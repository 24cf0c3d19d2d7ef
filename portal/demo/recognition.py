"""The demo's recognition: points from the demo reviews (credited when each
survey came in) and from training, kudos between colleagues, last quarter's
Guardian of the Quarter, and the standings as this week began."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.extensions import db
from portal.recognition import services, sources
from portal.recognition.models import AwardKind
from portal.recognition.points import period_start
from portal.recognition.totals import take_snapshot
from portal.reviews.models import Review, ReviewStage, Survey

KUDOS = [
    # giver, receiver, days ago, note
    (
        "engineer@example.com",
        "guardian@example.com",
        40,
        "Thanks for walking me through **threat modeling** the checkout flow!",
    ),
    (
        "noah.kim@example.com",
        "guardian@example.com",
        12,
        "Your review checklist saved us a week of back and forth.",
    ),
    (
        "kenji.sato@example.com",
        "mentor@example.com",
        20,
        "Patient answers on OAuth scopes, as always.",
    ),
    (
        "reviewer@example.com",
        "mentor@example.com",
        3,
        "The Identity team's submission was the cleanest I saw this month.",
    ),
]
CITATION = (
    "For guiding **every Checkout change** through review last quarter: the "
    "team's medium and high findings halved, and two new engineers learnt to "
    "threat-model along the way."
)


def _person(email):
    return db.session.scalar(select(User).where(User.email == email))


def _credit_reviews():
    """Each rated review as its last survey came in; each sign-off on its day."""
    last_survey = {
        review_id: at
        for review_id, at in db.session.execute(
            select(Survey.review_id, Survey.submitted_at).order_by(Survey.submitted_at)
        )
    }
    reviews = db.session.scalars(
        select(Review)
        .where(Review.stage == ReviewStage.APPROVED)
        .options(selectinload(Review.people))
        .order_by(Review.stage_entered_at)
    ).all()
    for review in reviews:
        sources.review_signed_off(review, review.stage_entered_at)
    for review in sorted(reviews, key=lambda r: last_survey.get(r.id, r.updated_at)):
        if review.id in last_survey:
            sources.credit_review(review, last_survey[review.id])


def _guardian_of_the_quarter(now):
    kind = db.session.scalar(
        select(AwardKind).where(AwardKind.name == "Guardian of the Quarter")
    )
    if kind is None:
        kind = AwardKind(name="Guardian of the Quarter", points=100, created_at=now)
        db.session.add(kind)
        db.session.flush()
    manager = _person("pm@example.com")
    granted = period_start("quarter", now) - timedelta(days=2)
    services.grant_award(
        manager, "guardian@example.com", kind, CITATION, kind.points, granted
    )


def seed_recognition(now):
    """Call after the demo's training and reviews exist."""
    _credit_reviews()
    for giver, receiver, days, note in KUDOS:
        services.give_kudos(
            _person(giver), _person(receiver), note, now - timedelta(days=days)
        )
    _guardian_of_the_quarter(now)
    take_snapshot(now)
    db.session.flush()
