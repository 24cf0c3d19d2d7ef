"""Recognition follows the work, walked in Chromium.

Checkout's Guardian looks at the people's board: two Guardians are ahead of
them. A security reviewer rates the Guardian's approved review through the
end-of-review survey; on the next load the Guardian's board shows the review's
points and a better rank. A program manager then grants the Guardian an award,
and it is on the recognition wall. Every page is screenshotted and checked with
axe.
"""

import re

import pytest
from playwright.sync_api import expect

from portal.recognition.points import review_points
from portal.reviews.survey import question
from tests.e2e import seed
from tests.e2e.conftest import sign_in, sign_out

pytestmark = pytest.mark.e2e

CITATION = "For the **card vault** review: every data flow mapped before it began."
# Very Good (0.75), Neutral (0.5), Yes (1), n/a: (0.75 + 0.5 + 1) / 3 = 75/100.
SCORE = 75.0
PLACE = re.compile(r"Rank (\d+) of (\d+) · (\d+) points")


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def flash(page, text):
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def answer(page, key, label):
    group = page.get_by_role("group", name=question(key).prompt)
    group.get_by_label(label, exact=True).check()


def my_place(page):
    """(rank, points) from the board's "Where you are" card."""
    card = page.get_by_role("region", name="Where you are")
    expect(card).to_contain_text(PLACE)
    rank, _, points = PLACE.search(card.inner_text()).groups()
    return int(rank), int(points)


def my_row(page, name):
    board = page.get_by_role("table")
    return board.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(name))
    )


def rate_the_review(page, portal, journey):
    reviewer = seed.RATING_REVIEWER
    sign_in(page, portal, reviewer.email)
    main_nav(page).get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name="My assigned reviews")).to_be_visible()
    journey.visited(page, "reviewer-home")
    page.get_by_role("link", name=seed.RATED_REVIEW).first.click()
    page.get_by_role("link", name="Fill the survey").click()
    answer(page, "q1", "Very Good")
    answer(page, "q2", "Neutral (some resources were identified)")
    answer(page, "q3", "Yes")
    answer(page, "q4", "n/a")
    page.get_by_label("Feedback to the Guardian(s)").fill("Clear data flows.")
    journey.visited(page, "survey")
    page.get_by_role("button", name="Submit the survey").click()
    flash(page, "Thank you: your survey is saved")
    expect(page.get_by_text("75/100").first).to_be_visible()
    journey.visited(page, "review-rated")
    sign_out(page, reviewer.name)


def grant_an_award(page, portal, journey):
    manager, guardian = seed.AWARDS_MANAGER, seed.BOARD_GUARDIAN
    sign_in(page, portal, manager.email)
    page.goto(portal.url("/recognition/awards"))
    expect(page.get_by_role("heading", name="Awards", exact=True)).to_be_visible()
    page.get_by_label("Award", exact=True).select_option(label="Guardian of the Year")
    page.get_by_label("Recipient's email").fill(guardian.email)
    page.get_by_label("Citation").fill(CITATION)
    journey.visited(page, "grant-award")
    page.get_by_role("button", name="Grant the award").click()
    flash(page, f"Guardian of the Year granted to {guardian.name}.")
    granted = page.get_by_role("region", name="Granted")
    expect(granted.get_by_role("row").filter(has_text=guardian.name)).to_be_visible()
    journey.visited(page, "awards")
    page.goto(portal.url("/recognition/"))
    award = page.get_by_role("listitem").filter(has_text="Guardian of the Year")
    expect(award.filter(has_text=f"for {guardian.name}")).to_be_visible()
    expect(award.locator("strong", has_text="card vault")).to_be_visible()
    journey.visited(page, "wall")
    sign_out(page, manager.name)


def test_a_rated_review_and_an_award_reach_the_board_and_the_wall(
    new_context, portal, journey
):
    guardian = seed.BOARD_GUARDIAN
    board = new_context().new_page()
    sign_in(board, portal, guardian.email)
    board.goto(portal.url("/recognition/leaderboard"))
    expect(board.get_by_role("heading", name="Leaderboards")).to_be_visible()
    rank, points = my_place(board)
    assert rank > 1, "the rivals' award and kudos rank ahead of the Guardian"
    expect(my_row(board, guardian.name).get_by_role("cell").first).to_have_text(
        str(rank)
    )
    journey.visited(board, "board-before")

    rate_the_review(new_context().new_page(), portal, journey)

    board.reload()
    earned = review_points(SCORE)
    new_rank, new_points = my_place(board)
    assert new_points == points + earned
    assert new_rank < rank
    row = my_row(board, guardian.name)
    expect(row.get_by_role("cell").first).to_have_text(str(new_rank))
    expect(row.get_by_role("cell").nth(1)).to_have_text(str(new_points))
    journey.visited(board, "board-after")
    board.get_by_role("link", name=guardian.name).click()
    expect(board.get_by_role("heading", name=guardian.name)).to_be_visible()
    journey.visited(board, "record")

    grant_an_award(new_context().new_page(), portal, journey)
    journey.assert_accessible()
