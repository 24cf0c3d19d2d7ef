"""The whole path through the pages: a rated review moves the Guardian on the
board at the next load; an award reaches the wall; every page answers."""

from portal.reviews.models import ReviewStage
from tests.helpers import row_counts


def test_a_rating_moves_the_board_and_an_award_reaches_the_wall(
    cast, make_review, signed_in, award_kind, db
):
    review = cast.review(make_review, stage=ReviewStage.APPROVED)
    guardian = signed_in(cast.supporter)
    before = guardian.get("/recognition/leaderboard?period=all")
    assert before.status_code == 200
    assert "no points in this period" in before.get_data(as_text=True)

    reviewer = signed_in(cast.reviewer)
    response = reviewer.post(
        f"/reviews/{review.id}/survey",
        data={"q1": "5", "q2": "5", "q3": "1", "q4": "5", "feedback": "Great"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    board = guardian.get("/recognition/leaderboard?period=all").get_data(as_text=True)
    assert "Rank <strong>1</strong>" in board
    assert "60 points" in board

    manager = signed_in(cast.manager)
    response = manager.post(
        "/recognition/awards",
        data={
            "kind_id": award_kind.id,
            "email": cast.supporter.email,
            "citation": "For *outstanding* help <script>alert(1)</script>",
            "points": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    wall = guardian.get("/recognition/").get_data(as_text=True)
    assert "Guardian of the Quarter" in wall
    assert "<em>outstanding</em>" in wall
    assert "<script>alert" not in wall
    assert row_counts()["points_entries"] == 2

    for page in (
        "/recognition/points",
        "/recognition/leaderboard/scores",
        "/recognition/leaderboard?board=teams&period=year",
        "/recognition/leaderboard?board=orgs",
        f"/recognition/people/{cast.supporter.id}",
        f"/recognition/people/{cast.supporter.id}/points",
    ):
        assert guardian.get(page).status_code == 200, page
    assert manager.get("/recognition/awards").status_code == 200
