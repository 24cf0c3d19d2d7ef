"""Demo quiz history: certified Guardians, a renewal coming up, and a cohort of
learners whose first attempts give the statistics page real figures.

Learners answer like people do: each has an ability, each question a
difficulty, and a learner gets a question right with a probability that rises
with ability over difficulty. One question is planted as a bad one: everybody
answers it at random, whatever they know, so the item analysis flags it.
"""

import math
import random
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Team, User
from portal.extensions import db
from portal.training.grading import correct_response
from portal.training.queries import curriculum
from portal.training.quiz import asked_questions
from portal.training.services import start_attempt, submit_attempt

FIRST_NAMES = [
    "Ada", "Bilal", "Carmen", "Dmitri", "Esther", "Farid", "Greta", "Hiro",
    "Ines", "Jonas", "Keiko", "Leon", "Mira", "Nikhil", "Olga", "Pablo",
]  # fmt: skip
LAST_NAMES = ["Berg", "Costa", "Duarte", "Evans", "Fischer", "Gupta"]
LEARNERS = 96
# Marcus certified 350 days ago: his renewal is due within the month.
RENEWAL_DEMO_DAYS_AGO = 350


def learner_names():
    """Names of the demo learners, repeatable."""
    names = [f"{first} {last}" for last in LAST_NAMES for first in FIRST_NAMES]
    return names[:LEARNERS]


def email_of(name):
    return name.lower().replace(" ", ".") + "@example.com"


def add_learners(now, password_hash):
    """Create the demo learners, spread over the demo teams."""
    teams = db.session.scalars(select(Team).order_by(Team.id)).all()
    for index, name in enumerate(learner_names()):
        db.session.add(
            User(
                email=email_of(name),
                display_name=name,
                team=teams[index % len(teams)],
                password_hash=password_hash,
                email_verified_at=now,
                created_at=now,
            )
        )


def _difficulty(question_id):
    """A fixed difficulty per question, from -1 (easy) to 0.5 (harder)."""
    return (sum(map(ord, question_id)) % 16) / 10 - 1


def _wrong_answer(question, rng):
    if question["type"] in {"single", "multiple"}:
        wrong = [c["id"] for c in question["choices"] if not c["correct"]]
        return [rng.choice(wrong)]
    if question["type"] == "true_false":
        return ["false" if question["answer"] else "true"]
    return [str(question["answer"] + rng.choice([-10, 1, 5]))]


def _random_answer(question, rng):
    if question["type"] in {"single", "multiple"}:
        return [rng.choice(question["choices"])["id"]]
    if question["type"] == "true_false":
        return [rng.choice(["true", "false"])]
    return _wrong_answer(question, rng)


def _answer(question, ability, rng, planted):
    if question["id"] == planted:
        return _random_answer(question, rng)
    chance = 1 / (1 + math.exp(-1.7 * (ability - _difficulty(question["id"]))))
    if rng.random() < chance:
        return correct_response(question)
    return _wrong_answer(question, rng)


def take_quiz(user, module, now, rng, ability=None, planted=None):
    """One attempt; ``ability`` None answers everything right."""
    attempt = start_attempt(user, module, now, rng=rng)
    responses = {
        q["id"]: correct_response(q)
        if ability is None
        else _answer(q, ability, rng, planted)
        for q in asked_questions(module.current_version, attempt.layout)
    }
    return submit_attempt(user, attempt, responses, now)


def seed_training(now, colleague_names):
    """Quiz history for the demo; skipped when no modules have been synced yet."""
    modules = curriculum()
    if not modules:
        return
    rng = random.Random(2026)  # noqa: S311 - repeatable demo data, not security
    people = {u.email: u for u in db.session.scalars(select(User))}
    required = [m for m in modules if m.required]
    for module in required:
        take_quiz(people["guardian@example.com"], module, now, rng)
    certified_long_ago = now - timedelta(days=RENEWAL_DEMO_DAYS_AGO)
    for module in required:
        take_quiz(people["mentor@example.com"], module, certified_long_ago, rng)
    first = modules[0]
    take_quiz(people["engineer@example.com"], first, now, rng)
    planted = first.current_version.questions[0]["id"]
    for name in [*colleague_names, *learner_names()]:
        take_quiz(
            people[email_of(name)],
            first,
            now,
            rng,
            ability=rng.gauss(0.3, 1.0),
            planted=planted,
        )
