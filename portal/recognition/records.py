"""Read-only queries for the recognition wall and a person's record."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from portal.accounts.models import Team, User
from portal.extensions import db
from portal.recognition.badges import BADGES
from portal.recognition.models import (
    Award,
    AwardKind,
    BadgeAward,
    Kudos,
    PointsEntry,
    PointsTotal,
    RecognitionPreference,
)
from portal.recognition.points import PERIODS, period_keys
from portal.reviews.models import Part, Review, ReviewPerson, ReviewStage
from portal.reviews.queries import guardian_average, visible_condition
from portal.training.models import Certificate, ModuleProgress

WALL_SIZE = 30
HISTORY_PAGE = 50


@dataclass
class WallItem:
    at: datetime
    kind: str  # award, badge or kudos
    person: User
    hidden: bool
    title: str
    html: str = ""
    by: User | None = None


def _hidden_ids(user_ids):
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(RecognitionPreference.user_id).where(
                RecognitionPreference.user_id.in_(user_ids),
                RecognitionPreference.hide_name.is_(True),
            )
        )
    )


def wall():
    """The latest awards, badges and kudos, newest first (four queries)."""
    awards = db.session.scalars(
        select(Award)
        .where(Award.revoked_at.is_(None))
        .options(joinedload(Award.kind), joinedload(Award.user))
        .order_by(Award.granted_at.desc())
        .limit(WALL_SIZE)
    ).all()
    badges = db.session.scalars(
        select(BadgeAward)
        .options(joinedload(BadgeAward.user))
        .order_by(BadgeAward.awarded_at.desc())
        .limit(WALL_SIZE)
    ).all()
    kudos = db.session.scalars(
        select(Kudos)
        .options(joinedload(Kudos.giver), joinedload(Kudos.receiver))
        .order_by(Kudos.created_at.desc())
        .limit(WALL_SIZE)
    ).all()
    people = {a.user_id for a in awards} | {b.user_id for b in badges}
    people |= {k.receiver_id for k in kudos} | {k.giver_id for k in kudos}
    hidden = _hidden_ids(people)
    items = [
        WallItem(
            a.granted_at,
            "award",
            a.user,
            a.user_id in hidden,
            a.kind.name,
            a.citation_html,
        )
        for a in awards
    ]
    items += [
        WallItem(
            b.awarded_at, "badge", b.user, b.user_id in hidden, BADGES[b.badge].name
        )
        for b in badges
        if b.badge in BADGES
    ]
    items += [
        WallItem(
            k.created_at,
            "kudos",
            k.receiver,
            k.receiver_id in hidden,
            "Kudos",
            k.note_html,
            k.giver,
        )
        for k in kudos
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:WALL_SIZE], hidden


@dataclass
class Record:
    person: User
    totals: dict
    average: object
    supported: int
    signed_off: int
    reviews: list
    badges: list
    awards: list
    kudos: list
    certificates: list
    modules_passed: int
    # Kudos givers who hide their name: "a colleague" to others.
    hidden_givers: set


def _totals(person_id, now):
    keys = period_keys(now)
    stored = dict(
        db.session.execute(
            select(PointsTotal.period, PointsTotal.points).where(
                PointsTotal.scope == "person",
                PointsTotal.subject_id == person_id,
                PointsTotal.period.in_(list(keys.values())),
            )
        ).all()
    )
    return {period: stored.get(keys[period], 0) for period in PERIODS}


def _supported(person_id):
    return select(ReviewPerson.review_id).where(
        ReviewPerson.user_id == person_id, ReviewPerson.part == Part.GUARDIAN
    )


def record(person, viewer, now):
    """What the person's recognition page shows; reviews only those the viewer
    may see (the counts and the average cover them all)."""
    supported, signed_off = db.session.execute(
        select(
            func.count(),
            func.count().filter(Review.stage == ReviewStage.APPROVED),
        ).where(Review.id.in_(_supported(person.id)))
    ).one()
    reviews = db.session.scalars(
        select(Review)
        .where(Review.id.in_(_supported(person.id)), visible_condition(viewer))
        .options(joinedload(Review.team).joinedload(Team.org), lazyload(Review.people))
        .order_by(Review.opened_on.desc(), Review.id.desc())
        .limit(100)
    ).all()
    kudos = db.session.scalars(
        select(Kudos)
        .where(Kudos.receiver_id == person.id)
        .options(joinedload(Kudos.giver))
        .order_by(Kudos.created_at.desc())
        .limit(50)
    ).all()
    return Record(
        person=person,
        totals=_totals(person.id, now),
        average=guardian_average(person.id),
        supported=supported,
        signed_off=signed_off,
        reviews=reviews,
        badges=db.session.scalars(
            select(BadgeAward)
            .where(BadgeAward.user_id == person.id)
            .order_by(BadgeAward.awarded_at)
        ).all(),
        awards=db.session.scalars(
            select(Award)
            .where(Award.user_id == person.id, Award.revoked_at.is_(None))
            .options(joinedload(Award.kind))
            .order_by(Award.granted_at.desc())
        ).all(),
        kudos=kudos,
        certificates=db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == person.id)
            .order_by(Certificate.issued_at)
        ).all(),
        modules_passed=db.session.scalar(
            select(func.count()).where(
                ModuleProgress.user_id == person.id,
                ModuleProgress.passed_at.is_not(None),
            )
        ),
        hidden_givers=_hidden_ids({k.giver_id for k in kudos}),
    )


def history_query(person_id):
    """A person's ledger, newest first (paginated by the view)."""
    return (
        select(PointsEntry)
        .where(PointsEntry.user_id == person_id)
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
    )


def award_kinds():
    return db.session.scalars(select(AwardKind).order_by(AwardKind.name)).all()


def recent_awards():
    """Awards for the program managers' page, revoked ones included."""
    return db.session.scalars(
        select(Award)
        .options(
            joinedload(Award.kind), joinedload(Award.user), joinedload(Award.granted_by)
        )
        .order_by(Award.granted_at.desc())
        .limit(100)
    ).all()
