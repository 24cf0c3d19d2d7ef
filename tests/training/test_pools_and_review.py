"""Question pools drawn per attempt, and what each review option shows."""

import random
from collections import Counter
from datetime import timedelta

import pytest

from portal.database import utcnow
from portal.training import queries, services
from portal.training.quiz import draw_questions
from tests.helpers import login_as
from tests.training.conftest import NOW, take_quiz

OBJECTIVES = {"alpha": "Know alpha", "beta": "Know beta", "gamma": "Know gamma"}


def pool(size=15, objectives=("alpha", "beta", "gamma")):
    """``size`` single-choice questions spread over ``objectives`` in turn."""
    return [
        {
            "id": f"pool-{n}",
            "type": "single",
            "objective": objectives[n % len(objectives)],
            "prompt": f"Pool question {n}",
            "explanation": f"EXPLAIN-pool-{n}",
            "choices": [
                {"id": "a", "text": f"Right answer {n}", "correct": True},
                {"id": "b", "text": f"Wrong answer {n}"},
            ],
        }
        for n in range(size)
    ]


@pytest.fixture
def pooled(make_module):
    return make_module(
        "pooled",
        pool(),
        questions_per_attempt=9,
        objectives=OBJECTIVES,
        attempts_allowed=3,
        pass_mark=80,
    )


def asked(attempt):
    return [entry["q"] for entry in attempt.layout]


def objective_counts(module, attempt):
    by_id = {q["id"]: q for q in module.current_version.questions}
    return Counter(by_id[q]["objective"] for q in asked(attempt))


def test_an_attempt_asks_its_share_of_the_pool_spread_over_objectives(
    db, make_user, pooled
):
    for seed in range(20):
        attempt = services.start_attempt(
            make_user(), pooled, NOW, rng=random.Random(seed)
        )
        assert len(asked(attempt)) == len(set(asked(attempt))) == 9
        assert objective_counts(pooled, attempt) == {"alpha": 3, "beta": 3, "gamma": 3}
    db.session.commit()


def test_a_retake_asks_the_questions_not_asked_yet(db, engineer, pooled):
    first = take_quiz(engineer, pooled, NOW, answers="wrong")
    second = take_quiz(engineer, pooled, NOW, answers="wrong")
    third = services.start_attempt(engineer, pooled, NOW)

    assert set(asked(first)) != set(asked(second))
    # 15 in the pool, 9 an attempt: the 6 not asked yet come first.
    assert len(set(asked(second)) - set(asked(first))) == 6
    seen_twice = set(asked(first)) & set(asked(second))
    assert seen_twice.isdisjoint(asked(third)), "the least asked are drawn first"
    assert objective_counts(pooled, third) == {"alpha": 3, "beta": 3, "gamma": 3}


def test_grading_counts_only_the_questions_asked(db, engineer, pooled):
    attempt = take_quiz(engineer, pooled, NOW)

    assert attempt.score == 100.0 and attempt.passed
    assert {a.question_id for a in attempt.answers} == set(asked(attempt))
    assert (attempt.points_earned, attempt.points_possible) == (9.0, 9.0)


def test_the_draw_keeps_objectives_balanced_when_the_pool_is_not():
    questions = pool(10, objectives=("alpha",) * 4 + ("beta",))
    counts = Counter(
        q["objective"] for q in draw_questions(questions, 4, {}, random.Random(3))
    )

    assert counts == {"alpha": 2, "beta": 2}


def test_without_questions_per_attempt_every_question_is_asked(
    db, engineer, make_module
):
    module = make_module("whole", pool(6), objectives=OBJECTIVES)

    attempt = services.start_attempt(engineer, module, NOW)

    assert sorted(asked(attempt)) == sorted(q["id"] for q in pool(6))


# Review options ---------------------------------------------------------------


def result_page(client, attempt):
    return client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)


def first_asked_right_answer(attempt):
    entry = attempt.layout[0]
    question = attempt.module_version.question(entry["q"])
    return next(c["text"] for c in question["choices"] if c["correct"])


@pytest.mark.parametrize(
    ("level", "incorrect", "explanation"),
    [
        ("score", False, False),
        ("wrong_questions", True, False),
        ("explanations", True, True),
    ],
)
def test_a_failed_attempt_shows_what_its_review_option_allows(
    app, db, client, engineer, make_module, level, incorrect, explanation
):
    module = make_module(
        "reviewed", pool(6), objectives=OBJECTIVES, review_after_failure=level
    )
    failed = take_quiz(engineer, module, NOW, answers="wrong")
    login_as(client, engineer)

    html = result_page(client, failed)

    assert "Not passed: 0%" in html
    assert ("0 of 6 questions fully right; to revisit:" in html) is incorrect
    assert ("Pool question" in html) is incorrect, "the wrong questions are listed"
    assert "Your answer" not in html, "the answer given points at the right one"
    assert ("EXPLAIN-pool-" in html) is explanation
    assert "Correct answer" not in html
    assert first_asked_right_answer(failed) not in html


def test_after_a_pass_everything_is_shown(app, db, client, engineer, make_module):
    module = make_module("reviewed", pool(6), objectives=OBJECTIVES)
    failed = take_quiz(engineer, module, NOW, answers="wrong")
    passed = take_quiz(engineer, module, NOW + timedelta(minutes=1))
    login_as(client, engineer)

    html = result_page(client, passed)

    assert "Passed: 100%" in html
    assert "Correct answer: " + first_asked_right_answer(passed) in html
    assert "EXPLAIN-pool-" in html
    assert "Correct answer" not in result_page(client, failed), "a failure stays shut"


def test_after_the_final_failure_no_attempt_reveals_an_answer(
    app, db, client, engineer, make_module
):
    module = make_module(
        "reviewed",
        pool(6),
        objectives=OBJECTIVES,
        attempts_allowed=2,
        review_after_failure="answers",
    )
    first = take_quiz(engineer, module, NOW, answers="wrong")
    login_as(client, engineer)
    assert "Correct answer" in result_page(client, first), "this module reveals them"

    final = take_quiz(engineer, module, NOW + timedelta(minutes=1), answers="wrong")

    for attempt in (first, final):
        html = result_page(client, attempt)
        assert "used every attempt without passing" in html
        assert "Correct answer" not in html
        assert first_asked_right_answer(attempt) not in html


def test_the_module_page_shows_objectives_and_the_draw(
    app, db, client, engineer, pooled
):
    login_as(client, engineer)

    html = client.get("/training/modules/pooled").get_data(as_text=True)

    assert "After this module you can" in html
    for text in OBJECTIVES.values():
        assert text in html
    assert "9 questions, drawn afresh for each attempt" in html


def test_a_retake_avoids_the_questions_a_result_page_explained(
    db, engineer, make_module
):
    module = make_module(
        "explained", pool(15), objectives=OBJECTIVES, questions_per_attempt=9
    )
    first = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    # Right on the first six asked, wrong on the last three: those three are
    # explained on the result page.
    version = first.module_version
    asked_first = asked(first)
    right = {q["id"]: ["a"] for q in version.questions if q["id"] in asked_first[:6]}
    services.submit_attempt(engineer, first, right, NOW)
    db.session.commit()
    explained = set(asked_first[6:])

    second = services.start_attempt(engineer, module, NOW + timedelta(minutes=5))

    assert explained.isdisjoint(asked(second))
    assert len(set(asked(second)) - set(asked_first)) == 6, "the unseen come first"


def test_while_renewing_last_rounds_pass_shows_no_answers(
    app, db, client, engineer, make_module
):
    module = make_module("renewed", pool(6), objectives=OBJECTIVES)
    passed = take_quiz(engineer, module, utcnow() - timedelta(days=60))
    login_as(client, engineer)
    assert "Correct answer" in result_page(client, passed)

    certificate = queries.latest_certificate(engineer.id)
    certificate.expires_at = utcnow() + timedelta(days=5)
    db.session.commit()

    assert services.standing(engineer, module, utcnow()).status == "renewal_due"
    html = result_page(client, passed)
    assert "Correct answer" not in html
