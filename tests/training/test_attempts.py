"""Taking a quiz: shuffled once per attempt, answers kept from the browser,
limits that hold under concurrency, cool-downs, prerequisites and privacy."""

import random
import re
from contextlib import nullcontext
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.training import services
from portal.training.models import (
    AttemptStatus,
    ModuleProgress,
    QuizAnswer,
    QuizAttempt,
)
from portal.training.standing import TrainingPolicy, minute_label
from tests.concurrency import run_together
from tests.helpers import login_as
from tests.training.conftest import (
    NOW,
    correct_answers,
    quiz_form_data,
    quiz_page,
    take_quiz,
    wrong_answers,
)


def eight_questions():
    return [
        {
            "id": f"question-{n}",
            "type": "single",
            "prompt": f"Prompt number {n}",
            "explanation": f"EXPLAIN-question-{n}",
            "choices": [
                {"id": c, "text": f"Choice {c} of {n}", "correct": c == "a"}
                for c in "abcd"
            ],
        }
        for n in range(1, 9)
    ]


def page_order(html):
    """The prompts in page order, and the choice texts offered for each."""
    fields = quiz_page(html)
    return [f["prompt"] for f in fields], [[t for _, t in f["options"]] for f in fields]


def layout_order(attempt):
    version = attempt.module_version
    prompts, texts = [], []
    for item in attempt.layout:
        question = version.question(item["q"])
        labels = {c["id"]: c["text"] for c in question["choices"]}
        prompts.append(question["prompt"])
        texts.append([labels[choice_id] for _, choice_id in item["c"]])
    return prompts, texts


def choice_order(layout):
    """Questions and their choice ids in a layout's order, without the tokens."""
    return [(item["q"], [choice_id for _, choice_id in item["c"]]) for item in layout]


def module_cards(html):
    """The curriculum page's cards by module title."""
    cards = re.findall(r"<article.*?</article>", html, re.DOTALL)
    return {re.search(r"stretched-link[^>]*>([^<]+)</a>", c).group(1): c for c in cards}


def attempts_of(user_id):
    return _db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.number)
    ).all()


# Shuffling ---------------------------------------------------------------------------


def test_layout_is_stored_and_shows_every_question_and_choice_once(
    db, engineer, make_module
):
    module = make_module("shuffled", eight_questions())
    attempt = services.start_attempt(engineer, module, NOW, rng=random.Random(7))
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(QuizAttempt, attempt.id).layout

    assert sorted(item["q"] for item in stored) == sorted(
        f"question-{n}" for n in range(1, 9)
    )
    assert all(
        sorted(choice_id for _, choice_id in item["c"]) == ["a", "b", "c", "d"]
        for item in stored
    )
    assert [item["q"] for item in stored] != [f"question-{n}" for n in range(1, 9)]
    tokens = [item["f"] for item in stored] + [t for i in stored for t, _ in i["c"]]
    assert len(set(tokens)) == len(tokens) == 8 + 32, "every token is its own"


def test_seeded_shuffles_repeat_for_a_seed_and_differ_across_attempts(
    db, make_user, make_module
):
    module = make_module("shuffled", eight_questions(), attempts_allowed=3)
    first, second, third = make_user(), make_user(), make_user()

    same_seed = [
        services.start_attempt(person, module, NOW, rng=random.Random(42)).layout
        for person in (first, second)
    ]
    rng = random.Random(1)
    one = take_quiz(third, module, NOW, answers="wrong", rng=rng)
    two = services.start_attempt(third, module, NOW, rng=rng)

    assert choice_order(same_seed[0]) == choice_order(same_seed[1])
    assert choice_order(one.layout) != choice_order(two.layout)
    assert [i["q"] for i in one.layout] != [i["q"] for i in two.layout]
    # The tokens come from the system's randomness, never from the seed.
    assert {i["f"] for i in same_seed[0]}.isdisjoint(i["f"] for i in same_seed[1])


def test_quiz_page_keeps_its_order_on_reload(app, db, client, engineer, make_module):
    make_module("shuffled", eight_questions())
    login_as(client, engineer)

    started = client.post("/training/modules/shuffled/attempts")

    assert started.status_code == 302
    (attempt,) = attempts_of(engineer.id)
    assert started.headers["Location"].endswith(f"/training/attempts/{attempt.id}")
    first = page_order(client.get(f"/training/attempts/{attempt.id}").get_data(True))
    second = page_order(client.get(f"/training/attempts/{attempt.id}").get_data(True))
    assert first == second == layout_order(attempt)
    assert len(first[0]) == 8
    # Starting again resumes the same attempt rather than shuffling a new one.
    client.post("/training/modules/shuffled/attempts")
    assert [a.id for a in attempts_of(engineer.id)] == [attempt.id]


# What reaches the browser ------------------------------------------------------------


def test_the_quiz_page_never_contains_correct_answers(
    app, db, client, engineer, make_module
):
    module = make_module("secret")
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    login_as(client, engineer)

    pages = [
        client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True),
        client.get("/training/modules/secret").get_data(as_text=True),
    ]

    quiz = pages[0]
    assert "Which of these are fruit?" in quiz and "Type the magic number." in quiz
    fields = quiz_page(quiz)
    assert [f["name"] for f in fields] == [item["f"] for item in attempt.layout]
    for html in pages:
        assert "EXPLAIN-" not in html, "explanations"
        assert "4817" not in html, "the numeric answer"
        assert "correct" not in html.lower(), "a correct-choice marker"
    # Choices are offered under this attempt's tokens only, true and false too.
    values = {value for f in fields for value, _ in f["options"]}
    tokens = {token for item in attempt.layout for token, _ in item["c"]}
    assert values == tokens and len(values) == 3 + 5 + 2
    for content_id in ("a", "b", "c", "d", "e", "true", "false"):
        assert f'value="{content_id}"' not in quiz
    assert "pick-one" not in quiz and "yes-or-no" not in quiz, "question ids"


def test_submitting_the_quiz_page_grades_on_the_server(
    app, db, client, engineer, make_module
):
    module = make_module("graded")
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    login_as(client, engineer)
    responses = correct_answers(attempt.module_version)
    responses["pick-many"] = ["a", "b", "d"]  # 1/3 of a question

    response = client.post(
        f"/training/attempts/{attempt.id}", data=quiz_form_data(attempt, responses)
    )

    assert response.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.score == pytest.approx(100 * (3 + 1 / 3) / 4, abs=0.01)
    result = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert "Passed" in result and "83%" in result
    assert "Partly correct (33%)" in result


def test_an_unanswered_quiz_is_shown_again_not_graded(
    app, db, client, engineer, make_module
):
    module = make_module("graded")
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    login_as(client, engineer)

    response = client.post(f"/training/attempts/{attempt.id}", data={})

    assert response.status_code == 200
    assert "Some answers need attention" in response.get_data(as_text=True)
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.IN_PROGRESS


# Limits under concurrency ------------------------------------------------------------

REFUSALS = {
    "You have used every attempt for this module.",
    "Another attempt was started at the same moment.",
    "This attempt has already been submitted.",
}


def _start_and_fail(app, user_id, seed):
    with app.app_context():
        user = _db.session.get(User, user_id)
        module = services.active_module("busy")
        try:
            attempt = services.start_attempt(user, module, NOW, rng=random.Random(seed))
            _db.session.commit()
            services.submit_attempt(
                user, attempt, wrong_answers(attempt.module_version), NOW
            )
            _db.session.commit()
        except DomainError as error:
            _db.session.rollback()
            return error.message
        return "graded"


def test_eight_concurrent_attempts_never_exceed_the_limit(
    app, db, engineer, make_module
):
    make_module("busy", attempts_allowed=3, cooldown_minutes=0)
    user_id = engineer.id
    db.session.commit()

    outcomes = run_together(
        *[lambda seed=seed: _start_and_fail(app, user_id, seed) for seed in range(8)]
    )

    rows = attempts_of(user_id)
    numbers = [row.number for row in rows]
    assert 1 <= len(rows) <= 3
    assert numbers == list(range(1, len(rows) + 1)), numbers
    assert all(row.status == AttemptStatus.SUBMITTED for row in rows)
    assert outcomes.count("graded") == len(rows), "each attempt graded exactly once"
    assert set(outcomes) - {"graded"} <= REFUSALS, outcomes
    answers = db.session.scalar(select(func.count()).select_from(QuizAnswer))
    assert answers == 4 * len(rows)
    progress = db.session.scalar(select(ModuleProgress))
    assert progress.attempts == len(rows)
    # Whatever the race, the limit holds afterwards too.
    with pytest.raises(DomainError) if len(rows) == 3 else nullcontext():
        take_quiz(engineer, services.active_module("busy"), NOW, answers="wrong")
    assert len(attempts_of(user_id)) <= 3


def test_the_database_refuses_an_attempt_beyond_the_limit(db, engineer, make_module):
    module = make_module("busy", attempts_allowed=1)
    version = module.current_version
    take_quiz(engineer, module, NOW, answers="wrong")
    # Bypass the service's checks: the constraint itself must hold.
    row = QuizAttempt(
        user_id=engineer.id,
        module_version_id=version.id,
        number=2,
        attempts_allowed=1,
        status=AttemptStatus.IN_PROGRESS,
        layout=[],
        started_at=NOW,
    )
    db.session.add(row)

    with pytest.raises(Exception, match="(?i)attempt_limit|check constraint"):
        db.session.flush()
    db.session.rollback()


def test_a_double_submit_grades_once(db, engineer, make_module):
    module = make_module("twice", pass_mark=50)
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    services.submit_attempt(
        engineer, attempt, wrong_answers(attempt.module_version), NOW
    )
    db.session.commit()

    with pytest.raises(DomainError, match="already been submitted"):
        services.submit_attempt(
            engineer,
            attempt,
            correct_answers(attempt.module_version),
            NOW + timedelta(minutes=1),
        )
    db.session.rollback()

    attempt = db.session.get(QuizAttempt, attempt.id)
    assert (attempt.score, attempt.passed, attempt.submitted_at) == (0.0, False, NOW)
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == 4
    progress = db.session.scalar(select(ModuleProgress))
    assert (progress.best_score, progress.passed_at) == (0.0, None)


def _submit(app, attempt_id, user_id, answers):
    with app.app_context():
        attempt = _db.session.get(QuizAttempt, attempt_id)
        user = _db.session.get(User, user_id)
        responses = answers(attempt.module_version)
        try:
            services.submit_attempt(user, attempt, responses, NOW)
            _db.session.commit()
        except DomainError as error:
            _db.session.rollback()
            return error.message
        return "graded"


def test_two_concurrent_submits_of_one_attempt_grade_once(
    app, db, engineer, make_module
):
    module = make_module("twice")
    attempt = services.start_attempt(engineer, module, NOW)
    ids = (attempt.id, engineer.id)
    db.session.commit()  # and hold no transaction (on SQLite, no lock) meanwhile

    outcomes = run_together(
        lambda: _submit(app, *ids, correct_answers),
        lambda: _submit(app, *ids, wrong_answers),
    )

    assert sorted(outcomes) == ["This attempt has already been submitted.", "graded"]
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == 4
    score = db.session.get(QuizAttempt, attempt.id).score
    assert score in (0.0, 100.0)
    assert db.session.scalar(select(ModuleProgress)).best_score == score


def test_posting_the_quiz_twice_through_the_page_grades_once(
    app, db, client, engineer, make_module
):
    module = make_module("twice")
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    login_as(client, engineer)
    version = attempt.module_version

    first = client.post(
        f"/training/attempts/{attempt.id}",
        data=quiz_form_data(attempt, wrong_answers(version)),
    )
    again = client.post(
        f"/training/attempts/{attempt.id}",
        data=quiz_form_data(attempt, correct_answers(version)),
    )

    assert first.status_code == 302
    assert again.status_code == 200 and "Not passed" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).score == 0.0
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == 4


# Cool-downs and attempts left -------------------------------------------------------


def test_the_next_attempt_waits_for_the_cooldown(db, engineer, make_module):
    module = make_module("slow", cooldown_minutes=60)
    take_quiz(engineer, module, NOW, answers="wrong")

    with pytest.raises(DomainError) as refused:
        services.start_attempt(
            engineer, module, NOW + timedelta(minutes=59, seconds=59)
        )
    db.session.rollback()

    assert refused.value.message == "Your next attempt opens at 2030-03-04 10:00 UTC."
    assert len(attempts_of(engineer.id)) == 1
    attempt = services.start_attempt(engineer, module, NOW + timedelta(minutes=60))
    db.session.commit()
    assert attempt.number == 2


def test_the_cooldown_override_from_configuration_applies(db, engineer, make_module):
    module = make_module("slow", cooldown_minutes=60)
    take_quiz(engineer, module, NOW, answers="wrong")

    attempt = services.start_attempt(
        engineer,
        module,
        NOW + timedelta(minutes=1),
        policy=TrainingPolicy(cooldown_override=0),
    )

    assert attempt.number == 2


def test_starting_during_the_cooldown_flashes_when_it_opens(
    app, db, client, engineer, make_module
):
    module = make_module("slow", cooldown_minutes=60)
    failed = take_quiz(engineer, module, utcnow(), answers="wrong")
    opens = minute_label(failed.submitted_at + timedelta(minutes=60))
    login_as(client, engineer)

    response = client.post("/training/modules/slow/attempts")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/training/modules/slow")
    with client.session_transaction() as session:
        flashes = list(session["_flashes"])
    message = f"Your next attempt opens at {opens} UTC."
    assert flashes == [("warning", message)]
    page = client.get("/training/modules/slow").get_data(as_text=True)
    assert re.search(
        r'class="alert alert-warning[^"]*" role="alert">\s*' + re.escape(message), page
    )
    assert len(attempts_of(engineer.id)) == 1


def test_no_attempt_after_the_last_one(db, engineer, make_module):
    module = make_module("strict", attempts_allowed=2)
    take_quiz(engineer, module, NOW, answers="wrong")
    take_quiz(engineer, module, NOW, answers="wrong")

    with pytest.raises(DomainError, match="used every attempt"):
        services.start_attempt(engineer, module, NOW + timedelta(days=30))


def test_no_attempt_after_passing(db, engineer, make_module):
    module = make_module("easy")
    take_quiz(engineer, module, NOW)

    with pytest.raises(DomainError, match="already passed"):
        services.start_attempt(engineer, module, NOW)


def test_no_failure_shows_the_right_choices(app, db, client, engineer, make_module):
    module = make_module("strict", attempts_allowed=2)
    first = take_quiz(engineer, module, NOW, answers="wrong")
    login_as(client, engineer)

    shown = client.get(f"/training/attempts/{first.id}").get_data(as_text=True)

    assert "Not passed" in shown
    assert "0 of 4 questions fully right; to revisit:" in shown
    assert (
        "Which door is the right one?" in shown and "EXPLAIN-strict-pick-one" in shown
    )
    assert "Your answer" not in shown and "Incorrect" not in shown
    assert "Correct answer" not in shown and "4817" not in shown
    assert "The red door" not in shown, "the chosen wrong answers only"

    final = take_quiz(engineer, module, NOW, answers="wrong")
    for attempt in (first, final):
        hidden = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
        assert "used every attempt without passing" in hidden
        assert "Correct answer" not in hidden
        assert "4817" not in hidden
        assert "The red door" not in hidden


def test_a_final_passing_attempt_shows_the_answers(
    app, db, client, engineer, make_module
):
    module = make_module("strict", attempts_allowed=1)
    passed = take_quiz(engineer, module, NOW)
    login_as(client, engineer)

    html = client.get(f"/training/attempts/{passed.id}").get_data(as_text=True)

    assert "Passed" in html and "EXPLAIN-strict-how-many" in html


# Prerequisites -----------------------------------------------------------------------


def test_a_module_stays_locked_until_its_prerequisite_is_passed(
    app, db, client, engineer, make_module
):
    basics = make_module("basics", title="Basics", order=1)
    advanced = make_module(
        "advanced", title="Advanced", prerequisites=["basics"], order=2
    )
    login_as(client, engineer)

    cards = module_cards(client.get("/training").get_data(as_text=True))
    assert "Locked" in cards["Advanced"]
    assert "Opens after: Basics" in cards["Advanced"]
    assert "Not started" in cards["Basics"] and "Opens after" not in cards["Basics"]
    with pytest.raises(DomainError, match="Pass these modules first: Basics."):
        services.start_attempt(engineer, advanced, NOW)
    db.session.rollback()
    refused = client.post("/training/modules/advanced/attempts")
    assert refused.status_code == 302
    with client.session_transaction() as session:
        assert list(session["_flashes"]) == [
            ("warning", "Pass these modules first: Basics.")
        ]
    assert attempts_of(engineer.id) == []

    take_quiz(engineer, basics, NOW)

    cards = module_cards(client.get("/training").get_data(as_text=True))
    assert "Passed" in cards["Basics"]
    assert "Not started" in cards["Advanced"] and "Opens after" not in cards["Advanced"]
    assert client.post("/training/modules/advanced/attempts").status_code == 302
    assert [a.module_version.module.slug for a in attempts_of(engineer.id)] == [
        "basics",
        "advanced",
    ]


# Privacy -----------------------------------------------------------------------------


def test_nobody_else_sees_or_submits_an_attempt(
    app, db, client, engineer, intruder, make_module
):
    module = make_module("private")
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    url = f"/training/attempts/{attempt.id}"
    data = quiz_form_data(attempt, correct_answers(attempt.module_version))

    assert client.get(url).status_code == 302, "anonymous: sign in first"
    login_as(client, intruder)
    assert client.get(url).status_code == 404
    assert client.post(url, data=data).status_code == 404
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.IN_PROGRESS
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == 0
    with pytest.raises(DomainError, match="not your attempt"):
        services.submit_attempt(intruder, attempt, {}, NOW)
    db.session.rollback()

    services.submit_attempt(
        engineer,
        db.session.get(QuizAttempt, attempt.id),
        correct_answers(attempt.module_version),
        NOW,
    )
    db.session.commit()
    assert client.get(url).status_code == 404, "nor the result"
    assert client.get("/training/attempts/999999").status_code == 404


def test_a_filtered_curriculum_judges_prerequisites_on_every_module(
    app, db, client, engineer, make_module
):
    basics = make_module("basics", title="Basics", order=1, tags=["intro"])
    make_module(
        "advanced", title="Advanced", prerequisites=["basics"], order=2, tags=["deep"]
    )
    take_quiz(engineer, basics, NOW)
    login_as(client, engineer)

    cards = module_cards(client.get("/training?tag=deep").get_data(as_text=True))

    assert list(cards) == ["Advanced"]
    assert "Not started" in cards["Advanced"] and "Locked" not in cards["Advanced"]


def test_an_unanswered_question_says_only_that_it_needs_an_answer(
    app, db, client, engineer, make_module
):
    module = make_module("graded")
    attempt = services.start_attempt(engineer, module, NOW)
    db.session.commit()
    login_as(client, engineer)

    html = client.post(f"/training/attempts/{attempt.id}", data={}).text

    assert html.count("Choose an answer.") == 1
    assert "not one this quiz offered" not in html
    assert "Select at least one answer." in html and "Enter a number." in html
