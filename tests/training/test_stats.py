"""Training statistics: who may see them, and numbers checked by hand."""

import math
import re
from html import unescape

import pytest

from portal.training import queries
from tests.conftest import login_as
from tests.training.conftest import NOW, take_quiz

# Four one-point questions; each attempt's credits, in question order.
ATTEMPTS = [
    ("first", [1, 1, 1, 0]),  # 75
    ("second", [1, 1, 0, 0]),  # 50
    ("third", [1, 0, 0, 1]),  # 50
    ("fourth", [0, 0, 0, 1]),  # 25, failed
    ("fourth", [0, 0, 0, 1]),  # 25, failed again
]
SCORES = [75, 50, 50, 25, 25]


def four_questions():
    return [
        {
            "id": f"q{n}",
            "type": "single",
            "prompt": f"Measured question {n}",
            "explanation": "Because.",
            "choices": [
                {"id": "right", "text": "Right", "correct": True},
                {"id": "wrong", "text": "Wrong"},
            ],
        }
        for n in range(1, 5)
    ]


def point_biserial(right, scores):
    """r = (M1 - M0) / s * sqrt(p q), with s the population standard deviation."""
    n = len(scores)
    mean = sum(scores) / n
    s = math.sqrt(sum((y - mean) ** 2 for y in scores) / n)
    m1 = sum(y for x, y in zip(right, scores, strict=True) if x) / sum(right)
    m0 = sum(y for x, y in zip(right, scores, strict=True) if not x) / (n - sum(right))
    p = sum(right) / n
    return (m1 - m0) / s * math.sqrt(p * (1 - p))


# By hand: mean 45, s = sqrt(1750 / 5) = 18.708.
# q1: M1 = 58.33, M0 = 25,    p = .6 -> 33.33 / 18.708 * .4899 =  0.8729
# q2: M1 = 62.5,  M0 = 33.33, p = .4 -> 29.17 / 18.708 * .4899 =  0.7638
# q3: M1 = 75,    M0 = 37.5,  p = .2 -> 37.5  / 18.708 * .4    =  0.8018
# q4: M1 = 33.33, M0 = 62.5,  p = .6 -> -29.17 / 18.708 * .4899 = -0.7638
EXPECTED = {"q1": 0.8729, "q2": 0.7638, "q3": 0.8018, "q4": -0.7638}


@pytest.fixture
def measured(db, make_user, make_module):
    module = make_module(
        "measured",
        four_questions(),
        title="Measured module",
        pass_mark=50,
        cooldown_minutes=0,
    )
    make_module("untouched", title="Untouched module")
    people = {
        name: make_user(name=f"{name.title()} person")
        for name in ("first", "second", "third", "fourth")
    }
    for name, credits in ATTEMPTS:
        answers = {
            f"q{n}": ["right" if credit else "wrong"]
            for n, credit in enumerate(credits, 1)
        }
        take_quiz(people[name], module, NOW, answers=answers)
    return module


def cells(html):
    """Each body row of the page's table as a list of cell texts."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    ]


def test_the_hand_computed_values_match_the_formula():
    for n, question in enumerate(["q1", "q2", "q3", "q4"]):
        right = [credits[n] for _, credits in ATTEMPTS]
        assert point_biserial(right, SCORES) == pytest.approx(
            EXPECTED[question], abs=1e-4
        )


def test_question_statistics(measured):
    stats = dict(
        (question["id"], numbers)
        for question, numbers in queries.question_statistics(measured.current_version)
    )

    assert {q: s["answers"] for q, s in stats.items()} == dict.fromkeys(EXPECTED, 5)
    assert {q: s["share_correct"] for q, s in stats.items()} == pytest.approx(
        {"q1": 0.6, "q2": 0.4, "q3": 0.2, "q4": 0.6}
    )
    assert {q: s["discrimination"] for q, s in stats.items()} == pytest.approx(
        EXPECTED, abs=1e-4
    )


def test_module_statistics(measured):
    summary = queries.module_statistics()[measured.id]

    assert (summary["attempts"], summary["people"], summary["passed"]) == (5, 4, 3)
    assert summary["pass_rate"] == pytest.approx(60.0)
    assert summary["average_score"] == pytest.approx(45.0)


def test_a_question_everyone_answers_alike_has_no_discrimination(
    db, make_user, make_module
):
    module = make_module("flat", four_questions(), pass_mark=50)
    for credits in ([1, 1, 0, 0], [1, 0, 0, 0]):
        answers = {
            f"q{n}": ["right" if c else "wrong"] for n, c in enumerate(credits, 1)
        }
        take_quiz(make_user(), module, NOW, answers=answers)

    stats = {q["id"]: s for q, s in queries.question_statistics(module.current_version)}

    assert stats["q1"]["share_correct"] == 1.0 and stats["q1"]["discrimination"] is None
    assert stats["q2"]["discrimination"] == pytest.approx(1.0)


def test_the_statistics_pages_show_the_numbers(app, client, program_manager, measured):
    login_as(client, program_manager)

    overview = cells(client.get("/training/stats").get_data(as_text=True))
    detail_page = client.get("/training/stats/measured").get_data(as_text=True)

    assert ["Measured module", "4", "5", "60%", "45%"] in overview
    assert ["Untouched module", "0", "0", "—", "—"] in overview
    assert "5 attempts by 4 people · pass rate 60% · average score 45%" in detail_page
    assert cells(detail_page) == [
        ["Measured question 1", "single", "5", "60%", "0.87"],
        ["Measured question 2", "single", "5", "40%", "0.76"],
        ["Measured question 3", "single", "5", "20%", "0.80"],
        ["Measured question 4", "single", "5", "60%", "-0.76 needs review"],
    ]
    assert detail_page.count('class="table-warning"') == 1


@pytest.mark.parametrize("url", ["/training/stats", "/training/stats/measured"])
def test_statistics_are_for_program_managers_and_admins(
    app, make_user, measured, url, engineer, admin, program_manager
):
    assert app.test_client().get(url).status_code == 302  # sign in first
    for person, status in [
        (engineer, 403),
        (make_user(roles=["guardian"]), 403),
        (make_user(roles=["mentor"]), 403),
        (program_manager, 200),
        (admin, 200),
    ]:
        client = app.test_client()
        login_as(client, person)
        assert client.get(url).status_code == status, person.email


def test_statistics_of_an_unknown_module_are_404(app, client, program_manager):
    login_as(client, program_manager)

    assert client.get("/training/stats/nothing-here").status_code == 404
