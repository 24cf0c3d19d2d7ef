"""The running totals always equal a full recompute from the ledger, and the
rebuild finds and fixes a total that drifted (also from the command line)."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from portal.recognition import points
from portal.recognition.ledger import held_points, record_points
from portal.recognition.models import PointsEntry, PointsTotal
from portal.recognition.totals import rebuild_totals, totals_from_ledger

EVENTS = 1_200
# From autumn 2025 to early 2027: five quarters and three years.
FIRST = datetime(2025, 11, 1, tzinfo=UTC)
BUSY_WEEK = datetime(2026, 3, 30, tzinfo=UTC)  # a Monday, the turn of a quarter
SPAN_SECONDS = int((datetime(2027, 2, 28, tzinfo=UTC) - FIRST).total_seconds())


def _target(rng, kind):
    """What a source is now worth: often its full value, sometimes nothing (a
    reversal), sometimes something else (a correction)."""
    if rng.random() < 0.2:
        return 0
    if kind == "review_rated":
        return points.review_points(rng.choice([None, 0, 25, 50, 81.25, 100]))
    if kind == "award":
        return rng.choice([0, 10, 100, 250])
    return points.source(kind).points


def test_running_totals_equal_a_full_recompute_after_random_events(
    db, make_user, make_team, make_org
):
    rng = random.Random(20261202)
    teams = [make_team(org=org) for org in (make_org(), make_org()) for _ in range(2)]
    teams.append(make_team())
    people = [make_user(team=team) for team in teams for _ in range(3)]
    people.append(make_user())  # in no team: only person totals
    kinds = sorted(points.SOURCES)
    wanted = {}  # (person, kind, source) -> what the last call asked for

    for number in range(EVENTS):
        person = rng.choice(people)
        if rng.random() < 0.01:
            person.team = rng.choice([*teams, None])  # a move between teams
        kind = rng.choice(kinds)
        source_id = rng.randrange(20)
        at = FIRST + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        if rng.random() < 0.2:
            # A busy week of one Guardian's, to meet the weekly caps.
            person, kind = people[0], rng.choice(["kudos_received", "module_passed"])
            at = BUSY_WEEK + timedelta(seconds=rng.randrange(7 * 24 * 3600))
        target = _target(rng, kind)
        record_points(person, kind, source_id, target, f"Event {number}", at)
        wanted[(person.id, kind, str(source_id))] = target
        if number % 40 == 0:
            db.session.commit()
    db.session.commit()

    assert rebuild_totals(fix=False) == []
    # Each source holds what it was last asked to, or nothing once capped.
    capped = set(
        db.session.execute(
            select(
                PointsEntry.user_id, PointsEntry.source_kind, PointsEntry.source_id
            ).where(PointsEntry.capped.is_(True))
        ).all()
    )
    for (person_id, kind, source_id), target in wanted.items():
        expected = 0 if (person_id, kind, source_id) in capped else target
        assert held_points(person_id, kind, source_id) == expected
    # The sequence exercised what it is meant to.
    corrections = db.session.scalar(
        select(func.count()).where(PointsEntry.revision > 0)
    )
    negative = db.session.scalar(select(func.count()).where(PointsEntry.points < 0))
    periods = set(db.session.scalars(select(PointsTotal.period).distinct()))
    assert corrections > 50 and negative > 25 and len(capped) > 5
    assert {"2025", "2026", "2027", "2025-Q4", "2026-Q3", "2027-Q1"} <= periods
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) > 500
    # And an independent sum per person agrees with the stored all-time totals.
    by_person = defaultdict(int)
    for user_id, amount in db.session.execute(
        select(PointsEntry.user_id, PointsEntry.points)
    ):
        by_person[user_id] += amount
    stored = dict(
        db.session.execute(
            select(PointsTotal.subject_id, PointsTotal.points).where(
                PointsTotal.scope == "person", PointsTotal.period == "all"
            )
        ).all()
    )
    assert {k: v for k, v in stored.items() if v or k in by_person} == dict(by_person)


def _two_people(make_user, make_team):
    team = make_team()
    first, second = make_user(team=team), make_user(team=team)
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    record_points(first, "award", 1, 100, "An award", at)
    record_points(second, "award", 2, 40, "An award", at + timedelta(hours=1))
    record_points(first, "kudos_received", 3, 5, "Kudos", at + timedelta(hours=2))
    return first, second, team


def test_the_rebuild_finds_a_planted_difference_and_fixes_it(db, make_user, make_team):
    first, second, team = _two_people(make_user, make_team)
    db.session.commit()
    assert rebuild_totals(fix=False) == []
    db.session.execute(
        update(PointsTotal)
        .where(
            PointsTotal.scope == "team",
            PointsTotal.period == "2026-Q4",
            PointsTotal.subject_id == team.id,
        )
        .values(points=999)
    )
    db.session.commit()

    [difference] = rebuild_totals(fix=False)
    assert (difference.scope, difference.period, difference.subject_id) == (
        "team",
        "2026-Q4",
        team.id,
    )
    assert difference.stored[:2] == (999, 3)
    assert difference.expected[:2] == (145, 3)
    assert f"team {team.id}, 2026-Q4: stored 999 points" in str(difference)
    db.session.rollback()
    assert len(rebuild_totals(fix=True)) == 1
    db.session.commit()

    assert rebuild_totals(fix=False) == []
    db.session.expire_all()
    assert db.session.get(PointsTotal, ("team", "2026-Q4", team.id)).points == 145


def test_the_rebuild_restores_a_missing_total(db, make_user, make_team):
    first, _, _ = _two_people(make_user, make_team)
    db.session.execute(
        PointsTotal.__table__.delete().where(
            PointsTotal.scope == "person", PointsTotal.subject_id == first.id
        )
    )
    db.session.commit()

    differences = rebuild_totals(fix=True)
    db.session.commit()

    assert sorted(d.period for d in differences) == ["2026", "2026-Q4", "all"]
    assert all(d.stored == (0, 0, None) for d in differences)
    stored = db.session.get(PointsTotal, ("person", "all", first.id))
    assert (stored.points, stored.entries) == (105, 2)
    assert stored.reached_at == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert rebuild_totals(fix=False) == []
    assert len(totals_from_ledger()) == 4 * 3  # two people, a team, an org


def test_the_rebuild_command_checks_then_fixes(app, db, make_user, make_team):
    _, second, _ = _two_people(make_user, make_team)
    db.session.execute(
        update(PointsTotal)
        .where(PointsTotal.scope == "person", PointsTotal.subject_id == second.id)
        .values(entries=7)
    )
    db.session.commit()
    runner = app.test_cli_runner()

    check = runner.invoke(args=["recognition", "rebuild", "--check"])
    assert check.exit_code == 1, check.output
    assert "3 total(s) differ from the ledger." in check.output
    assert f"person {second.id}, all: stored 40 points over 7 entries" in check.output
    # A check changes nothing.
    assert runner.invoke(args=["recognition", "rebuild", "--check"]).exit_code == 1

    fix = runner.invoke(args=["recognition", "rebuild"])
    assert fix.exit_code == 0, fix.output
    assert "3 total(s) corrected" in fix.output

    again = runner.invoke(args=["recognition", "rebuild", "--check"])
    assert again.exit_code == 0, again.output
    assert "0 total(s) differ from the ledger." in again.output
    db.session.expire_all()
    assert db.session.get(PointsTotal, ("person", "all", second.id)).entries == 1
