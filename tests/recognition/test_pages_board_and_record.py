"""The board's filters and pages, "How points work" against the code it
describes, and a person's printable record with only the reviews the viewer
may see."""

import html
import re

import pytest
from sqlalchemy import select

from portal.config import PROJECT_ROOT
from portal.database import utcnow
from portal.recognition import points, services
from portal.recognition.points import SOURCES
from portal.reviews.models import Review, ReviewStage
from portal.reviews.queries import visible_condition

FILTER_MESSAGE = "Some filters could not be read"


@pytest.fixture
def viewer(signed_in, engineer):
    return signed_in(engineer)


@pytest.mark.parametrize(
    "query",
    [
        "board=galaxy",
        "period=decade",
        "org=abc",
        "org=99999",
        "board=teams&period=%ff",
    ],
)
def test_a_bad_filter_is_a_400_that_says_so(viewer, query):
    """(An empty filter is no filter: the default board.)"""
    response = viewer.get(f"/recognition/leaderboard?{query}")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert FILTER_MESSAGE in page
    assert '<h1 class="h3">Leaderboards</h1>' in page  # the page, not an error


@pytest.mark.parametrize("query", ["period=decade", "org=abc"])
def test_a_bad_filter_on_the_score_board_is_a_400_that_says_so(viewer, query):
    response = viewer.get(f"/recognition/leaderboard/scores?{query}")

    assert response.status_code == 400
    assert FILTER_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "99999999"])
def test_a_page_that_is_not_a_page_number_is_a_400(viewer, page):
    response = viewer.get(f"/recognition/leaderboard?page={page}")

    assert response.status_code == 400
    assert "The page number must be a whole number from 1." in response.text


def test_a_page_past_the_end_of_the_board_is_not_found(
    viewer, make_user, award_kind, program_manager, db
):
    person = make_user(name="Una Only", roles=["guardian"])
    services.grant_award(
        program_manager, person.email, award_kind, "Thanks", 10, utcnow()
    )
    db.session.commit()

    first = viewer.get("/recognition/leaderboard?period=all&page=1")
    second = viewer.get("/recognition/leaderboard?period=all&page=2")

    assert first.status_code == 200 and "Una Only" in first.text
    assert "Next 50" not in first.text
    assert second.status_code == 404


def _cells(page):
    """The rows of the page's tables, as lists of cell texts."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        for row in rows
    ]


def test_how_points_work_shows_every_source_with_its_numbers(viewer):
    page = viewer.get("/recognition/points").get_data(as_text=True)
    rows = {row[0]: row for row in _cells(page) if row}

    assert len(SOURCES) >= 6
    for source in SOURCES.values():
        label, worth, cap, how = rows[source.label]
        if source.kind == "review_rated":
            assert worth == f"{points.REVIEW_POOR}–{points.REVIEW_EXCELLENT}"
        elif source.kind == "award":
            assert worth == "as set"
        else:
            assert worth == str(source.points), source.kind
        assert cap == (f"{source.weekly_cap} a week" if source.weekly_cap else "none")
        assert how == source.how
    assert f"each person gives at most {services.kudos_per_month()} a month" in page


def test_the_worked_examples_are_what_the_code_computes(viewer):
    page = viewer.get("/recognition/points").get_data(as_text=True)
    rows = {row[0]: row[1] for row in _cells(page) if len(row) == 2}

    assert len(points.REVIEW_EXAMPLES) >= 3
    for score, expected in points.REVIEW_EXAMPLES:
        assert points.review_points(score) == expected
        shown = "every answer n/a" if score is None else f"{score:g}"
        assert rows[shown] == str(expected), shown
    formula = (
        f"Points = {points.REVIEW_POOR} + ({points.REVIEW_EXCELLENT} − "
        f"{points.REVIEW_POOR}) × score ÷ 100"
    )
    assert formula in page


def test_the_record_is_printable_without_the_navigation(signed_in, guardian, viewer):
    page = viewer.get(f"/recognition/people/{guardian.id}").get_data(as_text=True)
    css = (PROJECT_ROOT / "static" / "css" / "portal.css").read_text()
    print_rules = re.search(r"@media print\s*{(.*?)\n}", css, flags=re.S).group(1)
    hidden = re.search(r"([^{}]+){\s*display:\s*none", print_rules).group(1)

    assert re.search(r"<button[^>]*data-print[^>]*>Print</button>", page)
    assert "/static/css/portal.css" in page and "/static/js/portal.js" in page
    selectors = {s.strip() for s in hidden.split(",")}
    assert {"header", ".d-print-none"} <= selectors
    assert re.search(r"<header>\s*<nav", page)  # the site's navigation
    # The record's own buttons and forms are left out of the print too.
    assert re.search(r'class="d-print-none">\s*<button[^>]*data-print', page)
    assert 'class="mb-3 d-print-none"><summary>Give' in page  # kudos


def test_a_record_lists_only_the_reviews_the_viewer_may_see(
    cast, make_review, make_team, signed_in, db
):
    """The supporter's own team's review and one of another team: each viewer
    sees exactly what portal.reviews.queries.visible_condition lets them."""
    make_review(
        team=cast.team,
        stage=ReviewStage.APPROVED,
        guardians=[cast.supporter],
        title="Checkout tokens",
    )
    make_review(
        team=make_team(name="Vault"),
        guardians=[cast.supporter],
        title="Vault secrets rotation",
    )
    titles = {"Checkout tokens", "Vault secrets rotation"}
    path = f"/recognition/people/{cast.supporter.id}"
    seen = {}
    for name in (
        "member",
        "team_guardian",
        "supporter",
        "reviewer",
        "manager",
        "outside_guardian",
        "outside_engineer",
        "intruder",
    ):
        person = getattr(cast, name)
        allowed = set(
            db.session.scalars(
                select(Review.title).where(
                    Review.title.in_(titles), visible_condition(person)
                )
            )
        )
        page = signed_in(person).get(path).get_data(as_text=True)
        assert "2 supported, 1 signed off" in page, name  # the counts cover all
        shown = {title for title in titles if title in page}
        assert shown == allowed, name
        seen[name] = shown
    assert seen["manager"] == titles
    assert seen["member"] == {"Checkout tokens"}
    assert seen["intruder"] == set()
