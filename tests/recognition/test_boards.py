"""The boards: who is ranked, how ties break, the change in rank since the
week began, hidden names, and a query count that does not grow with people."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from portal.accounts.models import User
from portal.recognition import services
from portal.recognition.ledger import record_points
from portal.recognition.models import (
    PointsEntry,
    PointsSnapshot,
    PointsTotal,
    RecognitionPreference,
)
from portal.recognition.queries import BOARD_SIZE, HIDDEN_NAME, Board, score_board
from portal.recognition.totals import take_snapshot
from portal.reviews import surveys
from portal.reviews.models import ReviewStage
from portal.reviews.scoring import minimum_rated
from portal.reviews.services import update_review
from tests.helpers import counting_statements
from tests.recognition.conftest import ANSWERS

# A Wednesday: its week began on Monday 23 November 2026.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def people(make_user, make_team):
    """Make ``count`` Guardians of one team."""
    team = make_team(name="Platform")

    def make(count, **fields):
        return [
            make_user(roles=["guardian"], team=team, **fields) for _ in range(count)
        ]

    return make


def earn(person, amount, at=NOW - timedelta(hours=1), source_id=None):
    return record_points(
        person, "award", source_id or f"{person.id}-{at}", amount, "An award", at
    )


def names(rows):
    return [(row.rank, row.name) for row in rows]


def hide(db, person):
    services.set_name_hidden(person, True, NOW)
    db.session.commit()


# Who is ranked.


def test_admins_program_managers_and_deactivated_accounts_keep_points_unranked(
    db, people, admin, program_manager, make_user
):
    [guardian] = people(1)
    gone = make_user(name="Gone Guardian", roles=["guardian"], active=False)
    for person in (guardian, admin, program_manager, gone):
        earn(person, 100)
    db.session.commit()

    for period in ("quarter", "year", "all"):
        rows, total = Board("person", period, NOW).page(1)
        assert ([row.subject_id for row in rows], total) == ([guardian.id], 1)
    holders = set(db.session.scalars(select(PointsEntry.user_id)))
    assert holders == {guardian.id, admin.id, program_manager.id, gone.id}
    for person in (admin, program_manager, gone):
        assert Board("person", "all", NOW).own_row(person.id) is None


def test_nobody_earns_for_a_review_they_also_reviewed(
    db, make_review, reviewer, program_manager, people, make_user
):
    [other] = people(1)
    supporter = make_user(roles=["guardian", "security_reviewer"])
    review = make_review(
        stage=ReviewStage.APPROVED, guardians=[supporter], reviewers=[reviewer]
    )
    surveys.submit_survey(reviewer, review, ANSWERS, "", "", NOW)
    db.session.commit()
    # The supporter turns out to have reviewed it: a program manager makes them
    # a reviewer and credits another Guardian.
    update_review(
        program_manager,
        review,
        title=review.title,
        team_id=review.team_id,
        ticket_url=review.ticket_url,
        opened_on=review.opened_on,
        closed_on=review.closed_on,
        guardians=[other.email],
        reviewers=[reviewer.email, supporter.email],
        now=NOW + timedelta(hours=1),
    )
    db.session.commit()

    entries = db.session.execute(
        select(PointsEntry.user_id, PointsEntry.revision, PointsEntry.points)
    ).all()
    assert sorted(tuple(e) for e in entries) == sorted(
        [(supporter.id, 0, 51), (supporter.id, 1, -51), (other.id, 0, 51)]
    )
    assert reviewer.id not in {e.user_id for e in entries}
    rows, _ = Board("person", "all", NOW).page(1)
    assert [(row.subject_id, row.points) for row in rows] == [(other.id, 51)]


# Ties and the change in rank.


def test_of_two_equal_totals_the_one_reached_first_ranks_higher(db, people):
    early, late, same_time = people(3)
    earn(late, 50, NOW - timedelta(hours=1))
    earn(early, 30, NOW - timedelta(hours=5))
    earn(early, 20, NOW - timedelta(hours=3))
    earn(same_time, 50, NOW - timedelta(hours=1))
    db.session.commit()

    board = Board("person", "quarter", NOW)
    rows, total = board.page(1)
    # late and same_time reached 50 at the same moment: the older account first.
    assert [row.subject_id for row in rows] == [early.id, late.id, same_time.id]
    assert [row.rank for row in rows] == [1, 2, 3]
    assert total == 3
    assert [board.own_row(p.id).rank for p in (early, late, same_time)] == [1, 2, 3]


def test_the_change_in_rank_compares_with_the_standings_when_the_week_began(db, people):
    leader, second, climber, newcomer = people(4)
    before = MONDAY - timedelta(days=1)
    earn(leader, 100, before)
    earn(second, 50, before)
    earn(climber, 30, before)
    db.session.commit()
    board = Board("person", "quarter", NOW)
    rows, _ = board.page(1)
    board.add_changes(rows)
    assert {(row.compared, row.change) for row in rows} == {(False, None)}

    assert take_snapshot(NOW) == take_snapshot(NOW)  # the same rows again
    earn(climber, 100, NOW - timedelta(hours=2))
    earn(newcomer, 10, NOW - timedelta(hours=1))
    db.session.commit()

    rows, _ = board.page(1)
    board.add_changes(rows)
    assert [(row.subject_id, row.rank, row.change) for row in rows] == [
        (climber.id, 1, 2),
        (leader.id, 2, -1),
        (second.id, 3, -1),
        (newcomer.id, 4, None),  # new this week
    ]
    assert all(row.compared for row in rows)
    mine = board.own_row(newcomer.id)
    board.add_changes([mine])
    assert (mine.rank, mine.change, mine.compared) == (4, None, True)
    snapshot = db.session.scalars(
        select(PointsSnapshot.week).where(PointsSnapshot.scope == "person")
    ).all()
    assert set(snapshot) == {"2026-W48"}


# Hidden names.


def test_a_hidden_name_shows_as_a_guardian_to_others_but_not_to_themselves(
    db, people, make_user
):
    hidden, viewer = people(2)
    hide(db, hidden)
    earn(hidden, 500)
    earn(viewer, 100)
    db.session.commit()
    board = Board("person", "all", NOW)

    others, _ = board.page(1, viewer_id=viewer.id)
    assert names(others) == [(1, HIDDEN_NAME), (2, viewer.display_name)]
    assert (others[0].detail, others[0].hidden, others[0].mine) == ("", True, False)
    own, _ = board.page(1, viewer_id=hidden.id)
    assert names(own) == [(1, hidden.display_name), (2, viewer.display_name)]
    assert (own[0].detail, own[0].mine) == ("Platform", True)


def test_the_viewer_sees_their_own_name_and_rank_beyond_the_top_fifty(
    db, people, signed_in
):
    ahead = people(BOARD_SIZE + 10)
    for number, person in enumerate(ahead):
        earn(person, 1_000 - number)
    [hidden] = people(1)
    hide(db, hidden)
    earn(hidden, 1)
    db.session.commit()
    board = Board("person", "all", NOW)

    first, total = board.page(1, viewer_id=hidden.id)
    assert len(first) == BOARD_SIZE and total == BOARD_SIZE + 11
    assert hidden.id not in {row.subject_id for row in first}
    mine = board.own_row(hidden.id)
    assert (mine.rank, mine.name, mine.mine) == (61, hidden.display_name, True)
    second_page, _ = board.page(2, viewer_id=ahead[0].id)
    assert names(second_page)[-1] == (61, HIDDEN_NAME)

    page = signed_in(hidden).get("/recognition/leaderboard?period=all&page=1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Rank <strong>61</strong> of 61" in text
    assert hidden.display_name in text
    other = signed_in(ahead[0]).get("/recognition/leaderboard?period=all&page=2")
    assert hidden.display_name not in other.get_data(as_text=True)
    assert HIDDEN_NAME in other.get_data(as_text=True)


def test_a_hidden_name_is_hidden_on_the_score_board(db, people, make_review):
    hidden, shown, viewer = people(3)
    hide(db, hidden)
    for person, score in ((hidden, 90.0), (shown, 80.0)):
        for _ in range(minimum_rated()):
            review = make_review(stage=ReviewStage.APPROVED, guardians=[person])
            review.score = score
    db.session.commit()

    rows, mine = score_board("all", NOW, None, viewer.id)
    assert [(r.rank, r.name, r.team) for r in rows] == [
        (1, HIDDEN_NAME, ""),
        (2, shown.display_name, "Platform"),
    ]
    assert mine is None
    rows, mine = score_board("all", NOW, None, hidden.id)
    assert [(r.rank, r.name) for r in rows][0] == (1, hidden.display_name)
    assert (mine.rank, mine.name, mine.average) == (1, hidden.display_name, 90.0)


def test_a_hidden_name_is_hidden_on_the_wall(
    db, people, program_manager, award_kind, signed_in
):
    hidden, viewer = people(2)
    hide(db, hidden)
    services.grant_award(
        program_manager, hidden.email, award_kind, "Steady help", 0, NOW
    )
    db.session.commit()

    seen_by_others = signed_in(viewer).get("/recognition/").get_data(as_text=True)
    assert "Guardian of the Quarter</strong> for a Guardian" in seen_by_others
    assert hidden.display_name not in seen_by_others
    own = signed_in(hidden).get("/recognition/").get_data(as_text=True)
    assert f">{hidden.display_name}</a>" in own


# The query count.


def _bulk_people(db, team_id, start, count):
    """``count`` Guardians with totals in every period, inserted in bulk."""
    at = NOW - timedelta(days=1)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bulk{n}@example.com",
                "display_name": f"Bulk {n}",
                "team_id": team_id,
                "active": True,
                "created_at": at,
            }
            for n in range(start, start + count)
        ],
    )
    ids = db.session.scalars(
        select(User.id).where(User.email.like("bulk%")).order_by(User.id)
    ).all()[start:]
    periods = ("all", "2026", "2026-Q4")
    db.session.execute(
        insert(PointsTotal),
        [
            {
                "scope": "person",
                "period": period,
                "subject_id": user_id,
                "points": 1 + user_id % 500,
                "entries": 1,
                "reached_at": at,
            }
            for user_id in ids
            for period in periods
        ],
    )
    db.session.execute(
        insert(PointsSnapshot),
        [
            {
                "week": "2026-W48",
                "scope": "person",
                "period": period,
                "subject_id": user_id,
                "points": user_id % 300,
                "reached_at": at,
            }
            for user_id in ids[::2]
            for period in periods
        ],
    )
    db.session.execute(
        insert(RecognitionPreference),
        [
            {"user_id": user_id, "hide_name": True, "updated_at": at}
            for user_id in ids[::7]
        ],
    )
    db.session.commit()


def _statements_of_the_boards(db, viewer_id, team_id):
    with counting_statements(db.engine) as statements:
        for scope, subject in (("person", viewer_id), ("team", team_id)):
            for period in ("quarter", "all"):
                board = Board(scope, period, NOW)
                rows, _ = board.page(1, viewer_id=viewer_id)
                mine = board.own_row(subject)
                board.add_changes([*rows, mine])
        score_board("all", NOW, None, viewer_id)
    return len(statements)


def test_the_boards_query_count_does_not_grow_with_people(db, people, signed_in):
    [viewer] = people(1)
    team_id = viewer.team_id
    earn(viewer, 3)
    db.session.commit()
    client = signed_in(viewer)

    def page_statements():
        with counting_statements(db.engine) as statements:
            assert client.get("/recognition/leaderboard?period=all").status_code == 200
        return len(statements)

    _bulk_people(db, team_id, 0, 9)
    small = _statements_of_the_boards(db, viewer.id, team_id), page_statements()
    _bulk_people(db, team_id, 9, 9_990)
    large = _statements_of_the_boards(db, viewer.id, team_id), page_statements()

    assert small == large
    # Per board: the page, the pager's total, the own row and its rank, the
    # changes (and whether a snapshot exists); then the score board.
    assert small[0] <= 4 * 6 + 1
    rows, total = Board("person", "all", NOW).page(1, viewer_id=viewer.id)
    assert (len(rows), total) == (BOARD_SIZE, 10_000)
