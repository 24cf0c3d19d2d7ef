"""Training statistics: who may see them, figures checked by hand, and flags that
find a bad question among good ones."""

import math
import random
import re
from html import unescape

import pytest

from portal.training import item_analysis, queries
from tests.helpers import login_as
from tests.training.conftest import NOW, take_quiz

# Four one-point questions; each attempt's credits, in question order. Only
# first attempts count: the retake by "fourth" must change nothing.
ATTEMPTS = [
    ("first", [1, 1, 1, 0]),
    ("second", [1, 1, 0, 0]),
    ("third", [1, 0, 0, 1]),
    ("fourth", [0, 0, 0, 1]),
    ("fifth", [1, 1, 1, 1]),
    ("fourth", [1, 1, 1, 1]),  # a retake, left out
]

# By hand, first attempts only. Rest score = the other three questions' credits.
# q1: x = 1 1 1 0 1, rest = 2 1 1 1 3: Sxy = .6, Sxx = .8, Syy = 3.2 -> r = .6/1.6
# q2: x = 1 1 0 0 1, rest = 2 1 2 1 3: Sxy = .6, Sxx = 1.2, Syy = 2.8 -> .6/1.8330
# q3: x = 1 0 0 0 1, rest = 2 2 2 1 3: Sxy = 1, Sxx = 1.2, Syy = 2 -> 1/1.5492
# q4: x = 0 0 1 1 1, rest = 3 2 1 0 3: Sxy = -1.4, Sxx = 1.2, Syy = 6.8 -> -1.4/2.8566
EXPECTED_DISCRIMINATION = {"q1": 0.375, "q2": 0.3273, "q3": 0.6455, "q4": -0.4901}
EXPECTED_DIFFICULTY = {"q1": 0.8, "q2": 0.6, "q3": 0.4, "q4": 0.6}


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


def item_rest(credits_by_person, item):
    """The corrected item-rest correlation, computed the plain way."""
    xs = [credits[item] for credits in credits_by_person]
    rests = [sum(credits) - credits[item] for credits in credits_by_person]
    mx, my = sum(xs) / len(xs), sum(rests) / len(rests)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, rests, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in rests)
    return sxy / math.sqrt(sxx * syy)


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
    people = {}
    for name, credits in ATTEMPTS:
        person = people.setdefault(name, make_user(name=f"{name.title()} person"))
        answers = {
            f"q{n}": ["right" if credit else "wrong"]
            for n, credit in enumerate(credits, 1)
        }
        take_quiz(person, module, NOW, answers=answers)
    return module


def cells(html):
    """Each body row of the page's outer table as a list of cell texts."""
    body = html[html.index("<tbody>") : html.rindex("</tbody>")]
    body = re.sub(r"<details.*?</details>", "", body, flags=re.DOTALL)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    ]


def test_the_hand_computed_values_match_the_formula():
    firsts = [credits for _, credits in ATTEMPTS[:5]]
    for n, question in enumerate(["q1", "q2", "q3", "q4"]):
        assert item_rest(firsts, n) == pytest.approx(
            EXPECTED_DISCRIMINATION[question], abs=1e-4
        )


def test_item_analysis_counts_first_attempts_only(measured):
    figures = {
        f.question["id"]: f
        for f in item_analysis.analyse_version(measured.current_version)
    }

    assert {q: f.answers for q, f in figures.items()} == dict.fromkeys(
        EXPECTED_DIFFICULTY, 5
    )
    assert {q: f.difficulty for q, f in figures.items()} == pytest.approx(
        EXPECTED_DIFFICULTY
    )
    assert {q: f.discrimination for q, f in figures.items()} == pytest.approx(
        EXPECTED_DISCRIMINATION, abs=1e-4
    )
    assert all(f.flags == [] for f in figures.values()), "no flags below 30 answers"


def test_module_statistics_count_every_attempt(measured):
    summary = queries.module_statistics()[measured.id]

    assert (summary["attempts"], summary["people"], summary["passed"]) == (6, 5, 5)


def test_a_question_everyone_answers_alike_has_no_discrimination(
    db, make_user, make_module
):
    module = make_module("flat", four_questions(), pass_mark=50)
    for credits in ([1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]):
        answers = {
            f"q{n}": ["right" if c else "wrong"] for n, c in enumerate(credits, 1)
        }
        take_quiz(make_user(), module, NOW, answers=answers)

    figures = {
        f.question["id"]: f
        for f in item_analysis.analyse_version(module.current_version)
    }

    assert figures["q1"].difficulty == 1.0 and figures["q1"].discrimination is None
    assert figures["q4"].difficulty == 0.0 and figures["q4"].discrimination is None
    # q2: x = 1 0 1, rest = 1 1 2 -> Sxy = 1/3, Sxx = Syy = 2/3 -> r = 0.5.
    assert figures["q2"].discrimination == pytest.approx(0.5)


# A simulated cohort: good questions follow ability, a noise question does not. ----

CHOICES = ["right", "near", "far", "odd"]


def simulated_questions():
    questions = []
    for name in ("good-easy", "good-mid", "good-hard", "good-late", "noise", "trap"):
        questions.append(
            {
                "id": name,
                "type": "single",
                "prompt": f"Simulated {name}",
                "explanation": "Because.",
                "choices": [
                    {"id": c, "text": f"{c} for {name}", "correct": c == "right"}
                    for c in CHOICES
                ],
            }
        )
    return questions


DIFFICULTY = {"good-easy": -0.8, "good-mid": 0.0, "good-hard": 0.7, "good-late": 0.3}


def simulated_answer(question_id, ability, rng):
    if question_id == "noise":
        return rng.choice(CHOICES)
    if question_id == "trap":
        # Strong candidates fall for "near", weak ones pick "far"; "odd" never.
        if rng.random() < 0.5:
            return "right"
        return "near" if ability > 0 else "far"
    chance = 1 / (1 + math.exp(-1.7 * (ability - DIFFICULTY[question_id])))
    if rng.random() < chance:
        return "right"
    return rng.choice(["near", "far", "odd"])


@pytest.fixture
def simulated(db, make_user, make_module):
    module = make_module("simulated", simulated_questions(), pass_mark=50)
    rng = random.Random(11)
    for _ in range(150):
        ability = rng.gauss(0, 1)
        answers = {
            q["id"]: [simulated_answer(q["id"], ability, rng)]
            for q in simulated_questions()
        }
        take_quiz(make_user(), module, NOW, answers=answers)
    return module


def test_the_noise_question_is_flagged_and_the_good_ones_are_not(simulated):
    figures = {
        f.question["id"]: f
        for f in item_analysis.analyse_version(simulated.current_version)
    }

    assert "poor_discrimination" in figures["noise"].flags
    for name in DIFFICULTY:
        assert figures[name].flags == [], (name, figures[name].discrimination)
        assert figures[name].discrimination > item_analysis.POOR_DISCRIMINATION
    assert figures["noise"].answers == 150


def test_distractors_nobody_picks_or_strong_candidates_prefer_are_flagged(simulated):
    trap = next(
        f
        for f in item_analysis.analyse_version(simulated.current_version)
        if f.question["id"] == "trap"
    )
    choices = {c.id: c for c in trap.choices}

    assert choices["odd"].picked == 0 and choices["odd"].flags == [
        "unpicked_distractor"
    ]
    assert choices["near"].flags == ["attractive_to_strong"]
    assert choices["far"].flags == []
    assert {"unpicked_distractor", "attractive_to_strong"} <= set(trap.flags)


def test_the_statistics_pages_show_the_numbers(app, client, program_manager, measured):
    login_as(client, program_manager)

    overview = cells(client.get("/training/stats").get_data(as_text=True))
    detail_page = client.get("/training/stats/measured").get_data(as_text=True)

    assert ["Measured module", "5", "6", "83%", "67%"] in overview
    assert ["Untouched module", "0", "0", "—", "—"] in overview
    assert "6 attempts by 5 people" in detail_page
    waiting = "25 more answers before flags"
    assert cells(detail_page) == [
        ["Measured question 1", "single", "5", "80%", "0.37", waiting],
        ["Measured question 2", "single", "5", "60%", "0.33", waiting],
        ["Measured question 3", "single", "5", "40%", "0.65", waiting],
        ["Measured question 4", "single", "5", "60%", "-0.49", waiting],
    ]


def test_the_statistics_page_flags_the_noise_question(
    app, client, program_manager, simulated
):
    login_as(client, program_manager)

    rows = cells(client.get("/training/stats/simulated").get_data(as_text=True))

    flagged = {row[0]: row[5] for row in rows if row[5]}
    assert "Poor discrimination" in flagged["Simulated noise"]
    assert "Simulated good-mid" not in flagged


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
