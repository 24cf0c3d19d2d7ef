"""Read-only queries behind the review pages: each list loads in a fixed
number of statements, and averages are counted in SQL."""

from datetime import timedelta

from sqlalchemy import and_, case, extract, func, or_, select, true
from sqlalchemy.orm import joinedload, lazyload, selectinload

from portal.accounts.models import Team, User
from portal.database import contains
from portal.extensions import db
from portal.reviews.lifecycle import OPEN
from portal.reviews.models import (
    GuideEdition,
    Part,
    ReadinessCheck,
    Review,
    ReviewEvent,
    ReviewPerson,
    ReviewStage,
    Survey,
)
from portal.reviews.permissions import can_record_reviews, guarded_team_ids
from portal.reviews.scoring import average


def _with_team():
    return joinedload(Review.team).joinedload(Team.org)


def visible_condition(user):
    """The reviews ``user`` may see, as a WHERE condition (see can_see_review)."""
    if can_record_reviews(user):
        return true()
    mine = select(ReviewPerson.review_id).where(ReviewPerson.user_id == user.id)
    teams = set(guarded_team_ids(user)) | ({user.team_id} if user.team_id else set())
    return or_(Review.team_id.in_(teams), Review.id.in_(mine))


def reviews_query(user, *, stage=None, team_id=None, supported=None, q=None):
    """The reviews ``user`` may see, newest first, filtered."""
    query = (
        select(Review)
        .where(visible_condition(user))
        .options(_with_team())
        .order_by(Review.opened_on.desc(), Review.id.desc())
    )
    if stage:
        query = query.where(Review.stage == ReviewStage(stage))
    if team_id:
        query = query.where(Review.team_id == team_id)
    if supported is not None:
        guarded = select(ReviewPerson.review_id).where(
            ReviewPerson.part == Part.GUARDIAN
        )
        condition = Review.id.in_(guarded)
        query = query.where(condition if supported else ~condition)
    if q:
        query = query.where(contains(Review.title, q))
    return query


def review_page(review_id):
    """One review with what its page shows, or None."""
    return db.session.scalar(
        select(Review)
        .where(Review.id == review_id)
        .options(
            _with_team(),
            selectinload(Review.events).joinedload(ReviewEvent.actor),
            selectinload(Review.findings),
        )
    )


def surveys_of(review_id):
    return db.session.scalars(
        select(Survey)
        .where(Survey.review_id == review_id)
        .options(joinedload(Survey.reviewer))
        .order_by(Survey.submitted_at)
    ).all()


def readiness_of(review_id):
    return db.session.scalars(
        select(ReadinessCheck)
        .where(ReadinessCheck.review_id == review_id)
        .options(joinedload(ReadinessCheck.user))
        .order_by(ReadinessCheck.id)
    ).all()


def _assigned(user_id, part):
    return select(ReviewPerson.review_id).where(
        ReviewPerson.user_id == user_id, ReviewPerson.part == part
    )


def reviewer_home(user_id):
    """The reviewer's open reviews by stage, and approved ones still waiting
    for their survey."""
    mine = _assigned(user_id, Part.REVIEWER)
    open_reviews = db.session.scalars(
        select(Review)
        .where(Review.id.in_(mine), Review.stage.in_(OPEN))
        .options(_with_team())
        .order_by(Review.stage_entered_at)
    ).all()
    by_stage = {stage: [] for stage in OPEN}
    for review in open_reviews:
        by_stage[review.stage].append(review)
    waiting = db.session.scalars(
        _waiting_for_survey(user_id, select(Review))
        .options(_with_team())
        .order_by(Review.closed_on)
    ).all()
    return by_stage, waiting


def supported_query(user_id):
    """The reviews ``user_id`` supported as a Guardian, newest first (for a
    page of them; the page shows no people, so none are loaded)."""
    return (
        select(Review)
        .where(Review.id.in_(_assigned(user_id, Part.GUARDIAN)))
        .options(_with_team(), lazyload(Review.people))
        .order_by(Review.opened_on.desc(), Review.id.desc())
    )


def with_feedback(reviews, user_id):
    """(review, its surveys, the Guardian's own readiness check) for each of
    ``reviews``, in two queries."""
    ids = [r.id for r in reviews]
    surveys = {}
    for survey in db.session.scalars(
        select(Survey)
        .where(Survey.review_id.in_(ids))
        .options(joinedload(Survey.reviewer).lazyload(User.role_grants))
        .order_by(Survey.submitted_at)
    ):
        surveys.setdefault(survey.review_id, []).append(survey)
    readiness = {
        check.review_id: check
        for check in db.session.scalars(
            select(ReadinessCheck).where(
                ReadinessCheck.review_id.in_(ids), ReadinessCheck.user_id == user_id
            )
        )
    }
    return [(r, surveys.get(r.id, []), readiness.get(r.id)) for r in reviews]


def guardian_average(user_id):
    """The mean score of the reviews the Guardian supported, and how many."""
    value, count = db.session.execute(
        select(func.avg(Review.score), func.count(Review.score)).where(
            Review.id.in_(_assigned(user_id, Part.GUARDIAN))
        )
    ).one()
    return average(value, count)


def _quarter(column):
    month = extract("month", column)
    return case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)


def guardian_trend(user_id):
    """Per quarter (of approval): how many rated reviews, the mean answer to
    each rating question, the share of Yes to Q3 and the mean review score
    (as in guardian_average); each hidden below the minimum number of reviews."""
    year = extract("year", Review.closed_on).label("year")
    quarter = _quarter(Review.closed_on).label("quarter")
    supported = (
        Review.id.in_(_assigned(user_id, Part.GUARDIAN)),
        Review.closed_on.is_not(None),
    )
    rows = db.session.execute(
        select(
            year,
            quarter,
            func.count(func.distinct(Review.id)),
            func.avg(Survey.q1),
            func.avg(Survey.q2),
            func.avg(Survey.q3),
            func.avg(Survey.q4),
        )
        .join(Survey, Survey.review_id == Review.id)
        .where(*supported)
        .group_by(year, quarter)
        .order_by(year, quarter)
    ).all()
    # The score is the reviews' own (one per review, however many surveys).
    scores = {
        (y, q): (value, count)
        for y, q, value, count in db.session.execute(
            select(year, quarter, func.avg(Review.score), func.count(Review.score))
            .where(*supported)
            .group_by(year, quarter)
        )
    }
    return [_trend_row(y, q, count, answers, scores) for y, q, count, *answers in rows]


def _trend_row(year, quarter, count, answers, scores):
    return {
        "quarter": f"{int(year)} Q{int(quarter)}",
        "count": count,
        **{
            key: average(value, count)
            for key, value in zip(("q1", "q2", "q3", "q4"), answers, strict=True)
        },
        "score": average(*scores.get((year, quarter), (None, 0))),
    }


REMIND_WITHIN = timedelta(days=60)


def surveys_due(now, days):
    """(review, reviewer) pairs: approved at least ``days`` ago, no survey yet."""
    return db.session.execute(
        select(Review, ReviewPerson)
        .join(ReviewPerson, ReviewPerson.review_id == Review.id)
        .outerjoin(
            Survey,
            and_(
                Survey.review_id == Review.id,
                Survey.reviewer_id == ReviewPerson.user_id,
            ),
        )
        .where(
            Review.stage == ReviewStage.APPROVED,
            Review.stage_entered_at <= now - timedelta(days=days),
            # Reviews imported long after approval are not chased.
            Review.stage_entered_at > now - timedelta(days=days) - REMIND_WITHIN,
            ReviewPerson.part == Part.REVIEWER,
            Survey.id.is_(None),
        )
        .options(joinedload(ReviewPerson.user))
    ).all()


def stuck_review_count(now, days):
    """Open reviews that have sat in one stage for ``days`` days or more."""
    return db.session.scalar(
        select(func.count())
        .select_from(Review)
        .where(
            Review.stage.in_(OPEN),
            Review.stage_entered_at <= now - timedelta(days=days),
        )
    )


def stuck_reviews_query(now, days):
    return (
        select(Review)
        .where(
            Review.stage.in_(OPEN),
            Review.stage_entered_at <= now - timedelta(days=days),
        )
        .options(_with_team())
        .order_by(Review.stage_entered_at)
    )


def guide_editions():
    return db.session.scalars(
        select(GuideEdition)
        .options(joinedload(GuideEdition.created_by))
        .order_by(GuideEdition.number.desc())
    ).all()


def _waiting_for_survey(user_id, query):
    """``query`` narrowed to approved reviews of this reviewer without their
    survey: from the reviewer's own rows, so it does not walk every approved
    review of the company."""
    return (
        query.join(ReviewPerson, ReviewPerson.review_id == Review.id)
        .outerjoin(
            Survey,
            and_(Survey.review_id == Review.id, Survey.reviewer_id == user_id),
        )
        .where(
            ReviewPerson.user_id == user_id,
            ReviewPerson.part == Part.REVIEWER,
            Review.stage == ReviewStage.APPROVED,
            Survey.id.is_(None),
        )
    )


def surveys_waiting_count(user_id):
    """How many approved reviews still wait for this reviewer's survey."""
    return db.session.scalar(
        _waiting_for_survey(user_id, select(func.count()).select_from(Review))
    )
