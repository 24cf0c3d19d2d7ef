"""Nothing on a quiz page gives the answer away, on the curriculum people take.

A guesser who never read the module sees only what the page shows: prompts,
choice texts in the attempt's order, and random tokens. Each strategy below
plays many attempts of every shipped module through the same draw, layout and
grading the portal uses, and must stay far below the pass mark.
"""

import random
import re
from statistics import mean

import pytest
from sqlalchemy import func, select

from portal.config import PROJECT_ROOT
from portal.training import services
from portal.training.grading import grade, score_percent
from portal.training.models import AttemptStatus, QuizAnswer, QuizAttempt
from portal.training.quiz import asked_questions, attempt_layout, draw_questions
from tests.helpers import login_as
from tests.training.conftest import (
    NOW,
    correct_answers,
    quiz_form_data,
    quiz_page,
    sync,
)

SHIPPED = PROJECT_ROOT / "content" / "modules"
SIMULATED_ATTEMPTS = 300
# "Well below": a guesser averages under half the pass mark...
AVERAGE_LIMIT = 0.5
# ... and passes by luck in fewer than one attempt in a hundred.
LUCKY_PASS_LIMIT = 0.01


def _first(options, rng):
    return [options[0]]


def _last(options, rng):
    return [options[-1]]


def _longest(options, rng):
    return [max(options, key=lambda option: len(option[1]))]


def _smallest_value(options, rng):
    return [min(options)]


def _random(options, rng):
    return [rng.choice(options)]


def _all_boxes(options, rng):
    return list(options)


STRATEGIES = {
    "always the first option": (_first, _first),
    "always the last option": (_last, _last),
    "always the longest option": (_longest, _longest),
    "always the same value": (_smallest_value, _smallest_value),
    "always all boxes": (_first, _all_boxes),
    "random": (_random, _random),
}


def _page_view(layout, by_id):
    """What the page shows of each question: its widget and (token, text) options."""
    view = []
    for entry in layout:
        question = by_id[entry["q"]]
        if question["type"] == "numeric":
            view.append(("text", entry, []))
            continue
        labels = (
            {"true": "True", "false": "False"}
            if question["type"] == "true_false"
            else {c["id"]: c["text"] for c in question["choices"]}
        )
        widget = "checkbox" if question["type"] == "multiple" else "radio"
        view.append((widget, entry, [(t, labels[cid]) for t, cid in entry["c"]]))
    return view


def _play(version, strategy, rng):
    """One attempt played by ``strategy``; the score it earns."""
    radio, checkbox = strategy
    by_id = {q["id"]: q for q in version.questions}
    asked = draw_questions(version.questions, version.questions_per_attempt, {}, rng)
    layout = attempt_layout(asked, rng)
    credits = {}
    for widget, entry, options in _page_view(layout, by_id):
        if widget == "text":
            response = ["0"]
        else:
            picked = (checkbox if widget == "checkbox" else radio)(options, rng)
            token_to_id = dict(entry["c"])
            response = [token_to_id[token] for token, _ in picked]
        credits[entry["q"]] = grade(by_id[entry["q"]], response)
    return score_percent(asked_questions(version, layout), credits)


@pytest.fixture
def shipped(db):
    sync(SHIPPED)
    return [services.active_module(path.name) for path in sorted(SHIPPED.iterdir())]


def test_guessing_strategies_stay_far_below_every_pass_mark(shipped):
    rng = random.Random(2026)
    report = []
    for module in shipped:
        version = module.current_version
        for name, strategy in STRATEGIES.items():
            scores = [_play(version, strategy, rng) for _ in range(SIMULATED_ATTEMPTS)]
            lucky = sum(score >= version.pass_mark for score in scores) / len(scores)
            report.append((module.slug, name, mean(scores), lucky))
            assert mean(scores) < AVERAGE_LIMIT * version.pass_mark, report[-1]
            assert lucky < LUCKY_PASS_LIMIT, report[-1]
    assert len(report) == len(shipped) * len(STRATEGIES)


def test_the_page_of_a_shipped_quiz_hides_ids_and_answers(
    app, db, client, make_user, shipped
):
    module = services.active_module("guardian-role")
    version = module.current_version
    user = make_user()
    login_as(client, user)
    attempt = services.start_attempt(user, module, NOW)
    db.session.commit()

    html = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)

    fields = quiz_page(html)
    assert len(fields) == version.questions_per_attempt
    for question in version.questions:
        assert question["explanation"] not in html
        assert f'="{question["id"]}"' not in html
        for choice in question.get("choices", []):
            assert f'value="{choice["id"]}"' not in html
    tags = " ".join(re.findall(r"<[^>]+>", html)).lower()
    assert "correct" not in tags and "answer" not in tags.replace("answers", "")
    for content_value in ("true", "false"):
        assert f'value="{content_value}"' not in html


def test_tokens_differ_per_attempt_and_a_foreign_token_is_refused(
    app, db, client, make_user, shipped
):
    module = services.active_module("guardian-role")
    mine, theirs = make_user(), make_user()
    own = services.start_attempt(mine, module, NOW, rng=random.Random(1))
    other = services.start_attempt(theirs, module, NOW, rng=random.Random(1))
    db.session.commit()

    def tokens(attempt):
        fields = {entry["f"] for entry in attempt.layout}
        return fields | {t for entry in attempt.layout for t, _ in entry["c"]}

    assert [e["q"] for e in own.layout] == [e["q"] for e in other.layout], "same seed"
    assert tokens(own).isdisjoint(tokens(other)), "yet no token in common"
    login_as(client, mine)
    right = quiz_form_data(own, correct_answers(own.module_version))
    theirs_right = quiz_form_data(other, correct_answers(other.module_version))
    # Their field names carry nothing on my form; their choice tokens are refused.
    swapped = dict(zip(right, theirs_right.values(), strict=True))

    refused = client.post(f"/training/attempts/{own.id}", data=swapped)

    assert refused.status_code == 200
    assert "That answer is not one this quiz offered." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, own.id).status == AttemptStatus.IN_PROGRESS
    assert db.session.scalar(select(func.count()).select_from(QuizAnswer)) == 0


def test_a_token_of_another_question_is_refused(app, db, client, make_user, shipped):
    module = services.active_module("guardian-role")
    user = make_user()
    attempt = services.start_attempt(user, module, NOW)
    db.session.commit()
    login_as(client, user)
    data = quiz_form_data(attempt, correct_answers(attempt.module_version))
    radios = [entry for entry in attempt.layout if entry["c"] and entry["f"] in data]
    first, second = radios[0], radios[1]
    data[first["f"]] = second["c"][0][0]

    refused = client.post(f"/training/attempts/{attempt.id}", data=data)

    assert refused.status_code == 200
    assert "That answer is not one this quiz offered." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.IN_PROGRESS
