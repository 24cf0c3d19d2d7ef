"""Points from other features' events: training and security reviews. Each
function brings the ledger in line with the event's source (see
ledger.record_points), so that a repeated or concurrent event changes nothing
more, then checks the badges the event may have earned."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.extensions import db
from portal.recognition import points
from portal.recognition.badges import award_badges
from portal.recognition.ledger import holders_of, lock_people, record_points
from portal.reviews.models import Review, ReviewStage, Survey


def credit_module_passed(person, module, now):
    version = module.current_version
    title = version.title if version is not None else module.slug
    record_points(
        person,
        "module_passed",
        module.id,
        points.source("module_passed").points,
        f"Passed “{title}”",
        now,
    )


def _certificate_kind(certificate):
    return "certified" if certificate.sequence == 1 else "recertified"


def credit_certificate(person, certificate, now):
    kind = _certificate_kind(certificate)
    source = points.source(kind)
    record_points(person, kind, certificate.id, source.points, source.label, now)
    award_badges(person, kind, now)


def take_back_certificate(person, certificate, now):
    kind = _certificate_kind(certificate)
    record_points(person, kind, certificate.id, 0, "Certificate revoked", now)


def _review_reason(review):
    if review.score is None:
        return f"“{review.title}” rated (every answer n/a)"
    return f"“{review.title}” rated {review.score:.0f} out of 100"


def credit_review(review, now, *, tell=True):
    """Give each supporting Guardian of a rated review the points its score is
    worth, and take them back from anyone no longer credited (a Guardian
    removed from the review). Nobody earns for a review they also reviewed."""
    rated = db.session.scalar(select(func.count()).where(Survey.review_id == review.id))
    worth = points.review_points(review.score) if rated else 0
    reviewers = set(review.reviewer_ids)
    credited = {g.id: g for g in review.guardians if g.id not in reviewers}
    people = dict(credited)
    for holder_id in holders_of("review_rated", review.id) - set(people):
        people[holder_id] = db.session.get(User, holder_id)
    lock_people(people)
    for person_id in sorted(people):
        person = people[person_id]
        if person_id in credited:
            reason = _review_reason(review)
            record_points(person, "review_rated", review.id, worth, reason, now)
            award_badges(person, "review_rated", now, tell=tell)
        else:
            reason = f"“{review.title}”: no longer credited"
            record_points(person, "review_rated", review.id, 0, reason, now)


def review_signed_off(review, now, *, tell=True):
    for guardian in review.guardians:
        award_badges(guardian, "review_signed_off", now, tell=tell)


def credit_imported_reviews(review_ids, now):
    """Reviews a file brought in or changed: the approved ones are credited and
    earn their badges as in the portal, without telling anyone (an import
    tells nobody)."""
    reviews = db.session.scalars(
        select(Review)
        .where(Review.id.in_(review_ids), Review.stage == ReviewStage.APPROVED)
        .options(selectinload(Review.people))
        .order_by(Review.id)
    )
    for review in reviews:
        review_signed_off(review, now, tell=False)
        credit_review(review, now, tell=False)
