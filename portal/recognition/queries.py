"""The boards: people, teams and orgs by points (quarter, year, all time),
with the change in rank since the week began and the viewer's own place;
and the board of average survey scores.

Each board is a fixed number of queries however many people it ranks: the
page of rows, the total for the pager, last week's ranks of the rows shown,
and the viewer's own row.
"""

from dataclasses import dataclass

from sqlalchemy import and_, false, func, literal, or_, select

from portal.accounts.models import Org, Role, RoleGrant, Team, User
from portal.extensions import db
from portal.notifications.jobs import iso_week
from portal.recognition import points
from portal.recognition.models import (
    PointsSnapshot,
    PointsTotal,
    RecognitionPreference,
)
from portal.reviews.models import Part, Review, ReviewPerson
from portal.reviews.scoring import minimum_rated

BOARD_SIZE = 50
HIDDEN_NAME = "a Guardian"


def on_boards():
    """Who is ranked, as a condition on ``User`` (permissions.ranks_on_boards)."""
    managers = select(RoleGrant.user_id).where(
        RoleGrant.role.in_([Role.ADMIN, Role.PROGRAM_MANAGER])
    )
    return and_(User.active.is_(True), User.id.not_in(managers))


def _hidden():
    return func.coalesce(RecognitionPreference.hide_name, false())


@dataclass
class Row:
    rank: int
    subject_id: int
    name: str
    detail: str
    points: int
    hidden: bool = False
    mine: bool = False
    last_rank: int | None = None
    # Whether a snapshot of last week exists at all (else no change is shown).
    compared: bool = False

    @property
    def change(self):
        """Places gained since the week began (negative: lost); None for new."""
        return None if self.last_rank is None else self.last_rank - self.rank


class Board:
    """One board's rows: ``scope`` person, team or org; ``period`` quarter,
    year or all; ``org_id`` narrows people and teams to one org."""

    def __init__(self, scope, period, now, org_id=None):
        self.scope, self.period, self.now = scope, period, now
        self.key = points.period_keys(now)[period]
        self.org_id = org_id if scope != "org" else None

    # What a total row joins to, per scope: (columns, joins, conditions).
    def _subject(self, table):
        if self.scope == "person":
            columns = (User.display_name, Team.name, _hidden())
            query = (
                select(table.subject_id, table.points, *columns)
                .join(User, User.id == table.subject_id)
                .outerjoin(Team, Team.id == User.team_id)
                .outerjoin(
                    RecognitionPreference,
                    RecognitionPreference.user_id == User.id,
                )
                .where(on_boards())
            )
            if self.org_id:
                query = query.where(Team.org_id == self.org_id)
            return query
        if self.scope == "team":
            query = (
                select(table.subject_id, table.points, Team.name, Org.name, false())
                .join(Team, Team.id == table.subject_id)
                .join(Org, Org.id == Team.org_id)
            )
            if self.org_id:
                query = query.where(Team.org_id == self.org_id)
            return query
        return select(
            table.subject_id, table.points, Org.name, literal(""), false()
        ).join(Org, Org.id == table.subject_id)

    def _totals(self):
        return self._subject(PointsTotal).where(
            PointsTotal.scope == self.scope,
            PointsTotal.period == self.key,
            PointsTotal.points > 0,
        )

    @staticmethod
    def _order(table):
        return (table.points.desc(), table.reached_at.asc(), table.subject_id.asc())

    def page(self, number, viewer_id=None):
        """Rows ``number`` (from 1) of BOARD_SIZE, and how many are ranked."""
        query = self._totals()
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        offset = (number - 1) * BOARD_SIZE
        rows = db.session.execute(
            query.order_by(*self._order(PointsTotal)).offset(offset).limit(BOARD_SIZE)
        ).all()
        board = [
            self._row(offset + i + 1, row, viewer_id) for i, row in enumerate(rows)
        ]
        return board, total

    def _row(self, rank, row, viewer_id):
        subject_id, amount, name, detail, hidden = row
        mine = self.scope == "person" and subject_id == viewer_id
        return Row(
            rank=rank,
            subject_id=subject_id,
            name=HIDDEN_NAME if hidden and not mine else name,
            detail="" if hidden and not mine else (detail or ""),
            points=amount,
            hidden=bool(hidden),
            mine=mine,
        )

    def own_row(self, subject_id):
        """The viewer's (or their team's) row wherever it ranks, or None."""
        mine = db.session.execute(
            self._totals()
            .add_columns(PointsTotal.reached_at)
            .where(PointsTotal.subject_id == subject_id)
        ).first()
        if mine is None:
            return None
        *row, reached_at = mine
        ahead = or_(
            PointsTotal.points > mine.points,
            and_(
                PointsTotal.points == mine.points,
                or_(
                    PointsTotal.reached_at < reached_at,
                    and_(
                        PointsTotal.reached_at == reached_at,
                        PointsTotal.subject_id < subject_id,
                    ),
                ),
            ),
        )
        better = db.session.scalar(
            select(func.count()).select_from(self._totals().where(ahead).subquery())
        )
        return self._row(better + 1, row, subject_id)

    def add_changes(self, rows):
        """Fill each row's rank when the week began, from the weekly snapshot."""
        week = iso_week(self.now)
        snapshot = PointsSnapshot
        standing = (
            self._subject(snapshot)
            .where(
                snapshot.week == week,
                snapshot.scope == self.scope,
                snapshot.period == self.key,
                snapshot.points > 0,
            )
            .add_columns(
                func.row_number().over(order_by=self._order(snapshot)).label("rank")
            )
            .subquery()
        )
        ids = [row.subject_id for row in rows]
        ranks = dict(
            db.session.execute(
                select(standing.c.subject_id, standing.c.rank).where(
                    standing.c.subject_id.in_(ids)
                )
            ).all()
        )
        compared = bool(ranks) or self._snapshot_taken(week)
        for row in rows:
            row.last_rank = ranks.get(row.subject_id)
            row.compared = compared

    def _snapshot_taken(self, week):
        return (
            db.session.scalar(
                select(PointsSnapshot.week).where(PointsSnapshot.week == week).limit(1)
            )
            is not None
        )


# The board of average survey scores.


@dataclass
class ScoreRow:
    rank: int
    user_id: int
    name: str
    team: str
    average: float
    rated: int
    hidden: bool = False
    mine: bool = False


def _score_query(period, now, org_id):
    """Per ranked Guardian: the mean score of the reviews they supported that
    were approved in the period, and how many, from the minimum up."""
    score = func.avg(Review.score).label("average")
    rated = func.count(Review.score).label("rated")
    query = (
        select(
            ReviewPerson.user_id, User.display_name, Team.name, _hidden(), score, rated
        )
        .join(Review, Review.id == ReviewPerson.review_id)
        .join(User, User.id == ReviewPerson.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(RecognitionPreference, RecognitionPreference.user_id == User.id)
        .where(
            ReviewPerson.part == Part.GUARDIAN, Review.score.is_not(None), on_boards()
        )
        .group_by(
            ReviewPerson.user_id,
            User.display_name,
            Team.name,
            RecognitionPreference.hide_name,
        )
        .having(func.count(Review.score) >= minimum_rated())
    )
    if period != "all":
        query = query.where(Review.closed_on >= points.period_start(period, now).date())
    if org_id:
        query = query.where(Team.org_id == org_id)
    return query


def score_board(period, now, org_id, viewer_id):
    """The top BOARD_SIZE by average score (more rated reviews break ties),
    and the viewer's row wherever it ranks."""
    ranked = _score_query(period, now, org_id).subquery()
    ordered = select(
        ranked,
        func.row_number()
        .over(
            order_by=(ranked.c.average.desc(), ranked.c.rated.desc(), ranked.c.user_id)
        )
        .label("rank"),
    ).subquery()
    rows = db.session.execute(
        select(ordered)
        .where(or_(ordered.c.rank <= BOARD_SIZE, ordered.c.user_id == viewer_id))
        .order_by(ordered.c.rank)
    ).all()
    board = [_score_row(row, viewer_id) for row in rows]
    mine = next((row for row in board if row.mine), None)
    return [row for row in board if row.rank <= BOARD_SIZE], mine


def _score_row(row, viewer_id):
    user_id, name, team, hidden, average, rated, rank = row
    mine = user_id == viewer_id
    return ScoreRow(
        rank=rank,
        user_id=user_id,
        name=HIDDEN_NAME if hidden and not mine else name,
        team="" if hidden and not mine else (team or ""),
        average=float(average),
        rated=rated,
        hidden=bool(hidden),
        mine=mine,
    )


def own_rated_count(user_id, period, now):
    """How many rated reviews a Guardian has in the period (for "N more to
    rank")."""
    query = (
        select(func.count(Review.score))
        .join(ReviewPerson, ReviewPerson.review_id == Review.id)
        .where(ReviewPerson.user_id == user_id, ReviewPerson.part == Part.GUARDIAN)
    )
    if period != "all":
        query = query.where(Review.closed_on >= points.period_start(period, now).date())
    return db.session.scalar(query)
