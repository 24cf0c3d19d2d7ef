"""What admins and program managers earn stays theirs and off the team and
org boards, also after a correction and in a rebuild."""

from datetime import UTC, datetime

from portal.recognition import queries
from portal.recognition.ledger import record_points
from portal.recognition.totals import rebuild_totals

NOW = datetime(2025, 6, 4, 9, 0, tzinfo=UTC)


def team_points(team_id):
    rows, _ = queries.Board("team", "all", NOW).page(1)
    return {row.subject_id: row.points for row in rows}.get(team_id, 0)


def test_a_managers_award_counts_for_them_not_for_their_team(db, make_user, make_team):
    team = make_team()
    manager = make_user(roles=["program_manager"], team=team)
    engineer = make_user(team=team)

    record_points(manager, "award", 1, 500, "An award", NOW)
    record_points(engineer, "award", 2, 20, "An award", NOW)
    db.session.commit()

    assert team_points(team.id) == 20
    # The correction follows the first entry, whatever the roles are by then.
    record_points(manager, "award", 1, 0, "Award revoked", NOW)
    db.session.commit()
    assert team_points(team.id) == 20
    assert rebuild_totals(fix=False) == []
