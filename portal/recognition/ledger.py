"""The points ledger and its running totals.

Every source of points (a rated review, a module, a certificate, kudos, an
award, and what later features add) calls ``record_points`` with what the
person should now hold from it; the ledger appends the difference. Calling it
twice, or from two requests at once, appends nothing more: a unique key on
(source kind, source id, person, revision) sees to it. The totals each board
reads (person, team and org; quarter, year, all time) change in the same
transaction; portal.recognition.totals recomputes them from the ledger.
"""

from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Team
from portal.extensions import db
from portal.recognition import points
from portal.recognition.models import PointsEntry, PointsTotal
from portal.recognition.permissions import ranks_on_boards


def _dialect():
    return db.session.get_bind().dialect.name


def _upsert_totals(rows):
    """Add ``rows`` (scope, period, subject, points, entries, reached_at) to
    the totals. Rows go in one sorted statement, so that two transactions lock
    shared totals (a team, an org) in the same order and never deadlock."""
    if not rows:
        return
    insert_for = pg_insert if _dialect() == "postgresql" else sqlite_insert
    statement = insert_for(PointsTotal).values(sorted(rows, key=_lock_order))
    new, table = statement.excluded, PointsTotal.__table__.c
    reached = case(
        (new.reached_at.is_(None), table.reached_at),
        (table.reached_at.is_(None), new.reached_at),
        (new.reached_at > table.reached_at, new.reached_at),
        else_=table.reached_at,
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["scope", "period", "subject_id"],
            set_={
                "points": table.points + new.points,
                "entries": table.entries + new.entries,
                "reached_at": reached,
            },
        )
    )


def _lock_order(row):
    return row["scope"], row["period"], row["subject_id"]


def lock_people(person_ids):
    """Hold the ledger of these people until commit, so that a weekly cap is
    counted and spent by one transaction at a time. (SQLite's write lock,
    taken when a writing transaction begins, already does this.)"""
    if _dialect() != "postgresql":
        return
    _upsert_totals(
        [
            {
                "scope": "person",
                "period": "all",
                "subject_id": person_id,
                "points": 0,
                "entries": 0,
                "reached_at": None,
            }
            for person_id in sorted(set(person_ids))
        ]
    )


def _entries_of(person_id, kind, source_id):
    return db.session.scalars(
        select(PointsEntry)
        .where(
            PointsEntry.source_kind == kind,
            PointsEntry.source_id == source_id,
            PointsEntry.user_id == person_id,
        )
        .order_by(PointsEntry.revision)
    ).all()


def _over_weekly_cap(person_id, source, now):
    if source.weekly_cap is None:
        return False
    week = points.week_start(now)
    earned = db.session.scalar(
        select(func.count()).where(
            PointsEntry.user_id == person_id,
            PointsEntry.source_kind == source.kind,
            PointsEntry.revision == 0,
            PointsEntry.capped.is_(False),
            PointsEntry.created_at >= week,
            PointsEntry.created_at < week + timedelta(days=7),
        )
    )
    return earned >= source.weekly_cap


def record_points(person, kind, source_id, target, reason, now):
    """Make what ``person`` holds from one source (``kind``, ``source_id``)
    ``target`` points, appending the difference; returns the new entry, or
    None when nothing needed to change.

    The first entry of a source past the week's cap for its kind is recorded
    at 0 points, and the source stays worth nothing after any correction.
    """
    source = points.source(kind)
    source_id = str(source_id)
    lock_people([person.id])
    entries = _entries_of(person.id, kind, source_id)
    capped = False
    if not entries:
        if target == 0:
            return None
        capped = _over_weekly_cap(person.id, source, now)
        if capped:
            target = 0
            reason = f"{reason} (past this week's cap of {source.weekly_cap})"
        change, revision = target, 0
        team_id, org_id = person.team_id, _org_of(person.team_id)
        ranked = ranks_on_boards(person)
    else:
        held = sum(entry.points for entry in entries)
        change = (0 if entries[0].capped else target) - held
        revision = entries[-1].revision + 1
        if change == 0:
            return None
        # A correction counts where the points were earned (the team and org
        # boards keep them there), even if the person has moved since.
        team_id, org_id = entries[0].team_id, entries[0].org_id
        ranked = entries[0].ranked
    entry = PointsEntry(
        user_id=person.id,
        team_id=team_id,
        org_id=org_id,
        source_kind=kind,
        source_id=source_id,
        revision=revision,
        points=change,
        capped=capped,
        ranked=ranked,
        reason=reason[:300],
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        return None  # the same event, recorded a moment ago by another request
    _upsert_totals(_total_rows(entry))
    return entry


def _org_of(team_id):
    if team_id is None:
        return None
    return db.session.scalar(select(Team.org_id).where(Team.id == team_id))


def subjects_of(user_id, team_id, org_id, ranked):
    """The totals an entry adds to: its person's always; its team's and org's
    only when the person was ranked (see PointsEntry.ranked)."""
    subjects = {"person": user_id}
    if ranked:
        subjects |= {"team": team_id, "org": org_id}
    return subjects


def _total_rows(entry):
    subjects = subjects_of(entry.user_id, entry.team_id, entry.org_id, entry.ranked)
    return [
        {
            "scope": scope,
            "period": period,
            "subject_id": subject_id,
            "points": entry.points,
            "entries": 1,
            "reached_at": entry.created_at if entry.points else None,
        }
        for scope, subject_id in subjects.items()
        if subject_id is not None
        for period in points.period_keys(entry.created_at).values()
    ]


def held_points(person_id, kind, source_id):
    """What ``person_id`` holds from one source now."""
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.source_kind == kind,
            PointsEntry.source_id == str(source_id),
            PointsEntry.user_id == person_id,
        )
    )


def holders_of(kind, source_id):
    """Who has entries from one source (to take points back from)."""
    return set(
        db.session.scalars(
            select(PointsEntry.user_id).where(
                PointsEntry.source_kind == kind,
                PointsEntry.source_id == str(source_id),
            )
        )
    )
