"""Badges: written rules, each evaluated from the ledger and the portal's
data, awarded once with the date and what earned it.

A feature that adds a badge adds a ``Badge`` here, naming the events
(``triggers``) after which its rule is worth checking, and calls
``award_badges(person, trigger, now)`` after such an event.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.notifications.services import notify
from portal.recognition.models import BadgeAward, PointsEntry
from portal.reviews.models import Part, Review, ReviewPerson, ReviewStage

WELL_RATED_COUNT = 5
WELL_RATED_SCORE = 75  # every answer "Very good" (4 of 5) scores 75


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    rule: str
    icon: str
    triggers: tuple[str, ...]
    # The evidence (what earned it) when the rule holds for the person as of
    # the time given, else None.
    evidence: Callable[[int, datetime], str | None]


def _signed_off(user_id, now):
    return (
        select(Review)
        .join(ReviewPerson, ReviewPerson.review_id == Review.id)
        .where(
            ReviewPerson.user_id == user_id,
            ReviewPerson.part == Part.GUARDIAN,
            Review.stage == ReviewStage.APPROVED,
            Review.closed_on <= now.date(),
        )
    )


def _nth_signed_off(user_id, n, now):
    """The ``n``-th review the person supported to sign-off by ``now``, or None."""
    return db.session.scalar(
        _signed_off(user_id, now)
        .order_by(Review.closed_on, Review.id)
        .offset(n - 1)
        .limit(1)
    )


def _first_review(user_id, now):
    review = _nth_signed_off(user_id, 1, now)
    if review is None:
        return None
    return f"“{review.title}”, signed off on {review.closed_on:%d %B %Y}"


def _ten_reviews(user_id, now):
    review = _nth_signed_off(user_id, 10, now)
    if review is None:
        return None
    return f"The tenth, “{review.title}”, signed off on {review.closed_on:%d %B %Y}"


def _well_rated(user_id, now):
    mean, count = db.session.execute(
        select(func.avg(Review.score), func.count(Review.score))
        .join(ReviewPerson, ReviewPerson.review_id == Review.id)
        .where(
            ReviewPerson.user_id == user_id,
            ReviewPerson.part == Part.GUARDIAN,
            Review.closed_on <= now.date(),
        )
    ).one()
    if count < WELL_RATED_COUNT or mean < WELL_RATED_SCORE:
        return None
    return f"{count} rated reviews averaging {mean:.0f} out of 100"


def _earned(kind):
    def evidence(user_id, now):
        entry = db.session.scalar(
            select(PointsEntry)
            .where(
                PointsEntry.user_id == user_id,
                PointsEntry.source_kind == kind,
                PointsEntry.revision == 0,
                PointsEntry.created_at <= now,
            )
            .order_by(PointsEntry.created_at)
            .limit(1)
        )
        if entry is None:
            return None
        return f"{entry.reason} on {entry.created_at:%d %B %Y}"

    return evidence


BADGES = {
    badge.key: badge
    for badge in [
        Badge(
            "first_review",
            "First review",
            "Support a security review through to its sign-off.",
            "bi-shield-check",
            ("review_signed_off",),
            _first_review,
        ),
        Badge(
            "ten_reviews",
            "Ten reviews",
            "Support ten security reviews through to their sign-off.",
            "bi-shield-fill-check",
            ("review_signed_off",),
            _ten_reviews,
        ),
        Badge(
            "well_rated",
            "Well rated",
            f"Have at least {WELL_RATED_COUNT} rated reviews whose scores average "
            f"{WELL_RATED_SCORE} or more (Very good or better).",
            "bi-star-fill",
            ("review_rated",),
            _well_rated,
        ),
        Badge(
            "certified",
            "Certified Guardian",
            "Earn the Guardian certificate.",
            "bi-patch-check-fill",
            ("certified",),
            _earned("certified"),
        ),
        Badge(
            "recertified",
            "Re-certified",
            "Renew the Guardian certificate.",
            "bi-arrow-repeat",
            ("recertified",),
            _earned("recertified"),
        ),
    ]
}


def award_badges(person, trigger, now, *, tell=True):
    """Award ``person`` every badge ``trigger`` may have earned them and they
    do not hold yet; each is awarded once, whatever two requests do, and told
    to them unless ``tell`` is False. Returns the new awards."""
    held = set(
        db.session.scalars(
            select(BadgeAward.badge).where(BadgeAward.user_id == person.id)
        )
    )
    awarded = []
    for badge in BADGES.values():
        if trigger not in badge.triggers or badge.key in held:
            continue
        evidence = badge.evidence(person.id, now)
        if evidence is None:
            continue
        award = BadgeAward(
            user_id=person.id, badge=badge.key, awarded_at=now, evidence=evidence[:300]
        )
        try:
            with db.session.begin_nested():
                db.session.add(award)
        except IntegrityError:
            continue
        awarded.append(award)
        if not tell:
            continue
        notify(
            person,
            "recognition",
            f"New badge: {badge.name}. {badge.rule}",
            now=now,
            link=f"/recognition/people/{person.id}",
        )
    return awarded
