"""Grading every question type on the server, and the weighted score."""

import pytest
from sqlalchemy import select

from portal.training import services
from portal.training.grading import (
    correct_response,
    grade,
    parse_number,
    score_percent,
)
from portal.training.models import ModuleProgress, QuizAnswer
from tests.training.conftest import NOW, default_questions

SINGLE = {
    "id": "s",
    "type": "single",
    "choices": [
        {"id": "a", "correct": True},
        {"id": "b", "correct": False},
        {"id": "c", "correct": False},
    ],
}
MULTIPLE = {
    "id": "m",
    "type": "multiple",
    "choices": [{"id": c, "correct": c in "abc"} for c in "abcde"],
}
TRUE = {"id": "t", "type": "true_false", "answer": True}
FALSE = {"id": "f", "type": "true_false", "answer": False}


@pytest.mark.parametrize(
    ("response", "credit"),
    [
        (["a"], 1.0),
        (["b"], 0.0),
        (["a", "b"], 0.0),
        (["z"], 0.0),
        ([], 0.0),
        (None, 0.0),
    ],
)
def test_single_choice(response, credit):
    assert grade(SINGLE, response) == credit


@pytest.mark.parametrize(
    ("response", "credit"),
    [
        (["a", "b", "c"], 1.0),
        (["a", "b"], 2 / 3),
        (["c"], 1 / 3),
        (["a", "b", "d"], 1 / 3),  # two of three right, one wrong
        (["a", "b", "c", "d"], 2 / 3),
        (["a", "b", "c", "d", "e"], 1 / 3),
        (["a", "d", "e"], 0.0),  # more wrong than right: never below 0
        (["d"], 0.0),  # wrong only
        (["d", "e"], 0.0),
        ([], 0.0),
        (["a", "a", "a"], 1 / 3),  # repeating a choice earns nothing more
        (["a", "zzz"], 1 / 3),  # unknown ids are ignored, not counted as wrong
    ],
)
def test_multiple_choice_gives_partial_credit(response, credit):
    assert grade(MULTIPLE, response) == pytest.approx(credit)


@pytest.mark.parametrize(
    ("question", "response", "credit"),
    [
        (TRUE, ["true"], 1.0),
        (TRUE, ["false"], 0.0),
        (FALSE, ["false"], 1.0),
        (FALSE, ["true"], 0.0),
        (TRUE, [], 0.0),
        (TRUE, ["true", "false"], 0.0),
        (TRUE, ["yes"], 0.0),
    ],
)
def test_true_false(question, response, credit):
    assert grade(question, response) == credit


def numeric(answer, tolerance=None):
    question = {"id": "n", "type": "numeric", "answer": answer}
    if tolerance is not None:
        question["tolerance"] = tolerance
    return question


@pytest.mark.parametrize(
    ("question", "given", "credit"),
    [
        (numeric(90), "90", 1.0),
        (numeric(90), " 90.0 ", 1.0),
        (numeric(90), "89.999", 0.0),  # no tolerance: exactly the answer
        (numeric(90), "91", 0.0),
        (numeric(1000), "1,000", 1.0),
        (numeric(1000), "1e3", 1.0),
        (numeric(4817.25, 0.5), "4816.75", 1.0),  # lower edge, inclusive
        (numeric(4817.25, 0.5), "4817.75", 1.0),  # upper edge, inclusive
        (numeric(4817.25, 0.5), "4817.76", 0.0),
        (numeric(4817.25, 0.5), "4816.74", 0.0),
        (numeric(0.3, 0.1), "0.4", 1.0),  # edges written as decimals stay inclusive
        (numeric(0.3, 0.1), "0.2", 1.0),
        (numeric(0.3, 0.1), "0.41", 0.0),
        (numeric(1.1, 0.2), "1.3", 1.0),
        (numeric(-5, 1), "-6", 1.0),
        (numeric(-5, 1), "-6.5", 0.0),
        (numeric(90), "ninety", 0.0),
        (numeric(90), "nan", 0.0),
        (numeric(90), "inf", 0.0),
        (numeric(90), "", 0.0),
    ],
)
def test_numeric_tolerance(question, given, credit):
    assert grade(question, [given]) == credit


def test_numeric_without_a_response_earns_nothing():
    assert grade(numeric(0), []) == 0.0


def test_correct_response_has_the_shape_of_a_response():
    assert correct_response(SINGLE) == ["a"]
    assert correct_response(MULTIPLE) == ["a", "b", "c"]
    assert correct_response(FALSE) == ["false"]
    assert correct_response(numeric(4817.25, 0.5)) == ["4817.25"]


def test_score_is_points_earned_over_all_points():
    questions = [
        {"id": "a", "points": 1},
        {"id": "b", "points": 2},
        {"id": "c", "points": 3},
        {"id": "d"},
    ]  # d: 1 point by default

    assert score_percent(questions, {"a": 1.0, "b": 0.5, "c": 0.0, "d": 1.0}) == 42.86
    assert score_percent(questions, {"b": 1.0, "c": 1.0}) == 71.43  # missing: 0
    assert score_percent(questions, {q["id"]: 1.0 for q in questions}) == 100.0
    assert score_percent([], {}) == 0.0


def weighted_questions():
    questions = default_questions("weighted")
    for question, points in zip(questions, (2, 3, 1, 4), strict=True):
        question["points"] = points
    return questions  # 10 points in all


def test_submitted_attempt_is_graded_with_weights(db, engineer, make_module):
    module = make_module("weighted", weighted_questions(), pass_mark=70)
    attempt = services.start_attempt(engineer, module, NOW)

    services.submit_attempt(
        engineer,
        attempt,
        {
            "pick-one": ["a"],  # 2 of 2
            "pick-many": ["a", "b", "d"],  # 1/3 of 3 = 1
            "yes-or-no": ["false"],  # 0 of 1
            "how-many": ["4817.7"],  # 4 of 4 (within 0.5)
        },
        NOW,
    )
    db.session.commit()

    assert attempt.score == 70.0
    assert attempt.passed is True, "a score equal to the pass mark passes"
    credits = dict(
        db.session.execute(
            select(QuizAnswer.question_id, QuizAnswer.credit).where(
                QuizAnswer.attempt_id == attempt.id
            )
        ).all()
    )
    assert credits == pytest.approx(
        {"pick-one": 1.0, "pick-many": 1 / 3, "yes-or-no": 0.0, "how-many": 1.0}
    )
    progress = db.session.scalar(select(ModuleProgress))
    assert (progress.attempts, progress.best_score) == (1, 70.0)
    assert progress.passed_at == NOW
    assert progress.passed_version_id == module.current_version_id


def test_best_score_keeps_the_best_attempt(db, engineer, make_module):
    module = make_module("weighted", weighted_questions(), pass_mark=90)
    scores = []
    for responses in (
        {"pick-one": ["a"], "how-many": ["4817"]},  # 6 of 10
        {"yes-or-no": ["true"]},  # 1 of 10
    ):
        attempt = services.start_attempt(engineer, module, NOW)
        services.submit_attempt(engineer, attempt, responses, NOW)
        db.session.commit()
        scores.append((attempt.score, attempt.passed))

    assert scores == [(60.0, False), (10.0, False)]
    progress = db.session.scalar(select(ModuleProgress))
    assert (progress.attempts, progress.best_score, progress.passed_at) == (
        2,
        60.0,
        None,
    )


def test_unknown_and_oversized_responses_earn_nothing(db, engineer, make_module):
    module = make_module("weighted", weighted_questions())
    attempt = services.start_attempt(engineer, module, NOW)

    services.submit_attempt(
        engineer,
        attempt,
        {
            "pick-one": ["b", "a"],
            "pick-many": ["d"] * 500,
            "not-a-question": ["a"],
        },
        NOW,
    )
    db.session.commit()

    assert attempt.score == 0.0
    stored = db.session.scalar(
        select(QuizAnswer).where(QuizAnswer.question_id == "pick-many")
    )
    assert len(stored.response) == 50, "responses are capped before they are stored"
    assert (
        db.session.scalar(
            select(QuizAnswer).where(QuizAnswer.question_id == "not-a-question")
        )
        is None
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3,0", 3.0),  # a decimal comma, as many people write it
        ("12,34", 12.34),
        ("1,500", 1500.0),  # commas between groups of three are thousands
        ("1,500.25", 1500.25),
        ("3_0", None),  # not 30
        ("1,2,3", None),
        ("inf", None),
        ("nan", None),
        ("1e400", None),
        ("", None),
    ],
)
def test_numbers_are_read_as_people_write_them(text, value):
    assert parse_number(text) == value
