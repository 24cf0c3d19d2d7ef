"""Totals recomputed from the ledger (`flask recognition rebuild`), and the
weekly standings the boards' change in rank compares against."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, func, insert, literal, select, true

from portal.extensions import db
from portal.notifications.jobs import iso_week
from portal.recognition import points
from portal.recognition.ledger import subjects_of
from portal.recognition.models import PointsEntry, PointsSnapshot, PointsTotal

_SUBJECT = {
    "person": PointsEntry.user_id,
    "team": PointsEntry.team_id,
    "org": PointsEntry.org_id,
}


# The rebuild: every total recomputed from the ledger.


@dataclass(frozen=True)
class Difference:
    scope: str
    period: str
    subject_id: int
    stored: tuple
    expected: tuple

    def __str__(self):
        stored, expected = self.stored, self.expected
        return (
            f"{self.scope} {self.subject_id}, {self.period}: stored {stored[0]} "
            f"points over {stored[1]} entries (last change {stored[2]}), the "
            f"ledger says {expected[0]} over {expected[1]} ({expected[2]})"
        )


def totals_from_ledger():
    """``{(scope, period, subject): [points, entries, reached_at]}`` summed
    from every entry, read in batches."""
    expected = defaultdict(lambda: [0, 0, None])
    rows = db.session.execute(
        select(
            PointsEntry.user_id,
            PointsEntry.team_id,
            PointsEntry.org_id,
            PointsEntry.ranked,
            PointsEntry.points,
            PointsEntry.created_at,
        ).execution_options(yield_per=5_000)
    )
    for user_id, team_id, org_id, ranked, amount, created_at in rows:
        subjects = subjects_of(user_id, team_id, org_id, ranked)
        for scope, subject in subjects.items():
            if subject is None:
                continue
            for period in points.period_keys(created_at).values():
                total = expected[(scope, period, subject)]
                total[0] += amount
                total[1] += 1
                if amount and (total[2] is None or created_at > total[2]):
                    total[2] = created_at
    return expected


def rebuild_totals(*, fix=True):
    """Compare every stored total with the ledger; with ``fix``, make them
    agree. Returns the differences found (the caller commits)."""
    expected = totals_from_ledger()
    stored = {
        (t.scope, t.period, t.subject_id): t
        for t in db.session.scalars(select(PointsTotal))
    }
    differences = []
    for key in sorted(set(expected) | set(stored)):
        want = tuple(expected.get(key, (0, 0, None)))
        have = stored.get(key)
        held = (have.points, have.entries, have.reached_at) if have else (0, 0, None)
        if held == want:
            continue
        differences.append(Difference(*key, held, want))
        if fix:
            _set_total(key, have, want)
    return differences


def _set_total(key, have, want):
    if have is None:
        scope, period, subject_id = key
        have = PointsTotal(scope=scope, period=period, subject_id=subject_id)
        db.session.add(have)
    have.points, have.entries, have.reached_at = want


# The weekly standings the boards' rank change compares against.


def take_snapshot(now):
    """Store the totals as they stood when ``now``'s week began (the current
    quarter's, year's and all time), keeping the week before for reference.
    Taking it again the same week gives the same rows."""
    week, start = iso_week(now), points.week_start(now)
    previous = iso_week(points.week_start(now) - timedelta(days=1))
    db.session.execute(
        delete(PointsSnapshot).where(PointsSnapshot.week.not_in([week, previous]))
    )
    db.session.execute(delete(PointsSnapshot).where(PointsSnapshot.week == week))
    rows = 0
    for period, key in points.period_keys(start).items():
        since = points.period_start(period, start)
        for scope, subject in _SUBJECT.items():
            result = db.session.execute(
                insert(PointsSnapshot).from_select(
                    ["week", "scope", "period", "subject_id", "points", "reached_at"],
                    _standing_at(week, scope, key, subject, since, start),
                )
            )
            rows += result.rowcount
    return rows


def _standing_at(week, scope, key, subject, since, until):
    return (
        select(
            literal(week),
            literal(scope),
            literal(key),
            subject,
            func.sum(PointsEntry.points),
            func.max(case((PointsEntry.points != 0, PointsEntry.created_at))),
        )
        .where(
            subject.is_not(None),
            # Team and org totals count what ranked people earned (subjects_of).
            PointsEntry.ranked.is_(True) if scope != "person" else true(),
            PointsEntry.created_at >= since,
            PointsEntry.created_at < until,
        )
        .group_by(subject)
    )
