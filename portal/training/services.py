"""Taking quizzes and tracking progress.

Attempt limits hold under concurrency because each attempt takes a numbered
row, unique per person, module version and round, with the number checked
against the limit in the database; a submission is graded once because it
first flips its attempt from in progress to submitted with a guarded UPDATE.
The rules themselves (what may start when) live in standing.py.

Passing a module sends ``module_passed``; the last required pass issues a
certificate (certificates.py), which sends ``certified``: enrollment then
moves the person to certified and active (enrollment/receivers.py).
"""

import random
from collections import Counter

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.errors import DomainError
from portal.extensions import db
from portal.training import queries
from portal.training.certificates import certify_if_complete
from portal.training.grading import grade, score_percent
from portal.training.models import (
    AttemptStatus,
    Module,
    ModuleProgress,
    ModuleVersion,
    QuizAnswer,
    QuizAttempt,
)
from portal.training.quiz import (
    asked_questions,
    attempt_layout,
    draw_questions,
    revealed_questions,
    review_level,
)
from portal.training.signals import module_passed
from portal.training.standing import TrainingPolicy, minute_label, module_standing

DEFAULT_POLICY = TrainingPolicy()


def active_module(slug):
    """The module called ``slug`` if it is live (synced, not retired), or None."""
    return db.session.scalar(
        select(Module).where(
            Module.slug == slug,
            Module.retired.is_(False),
            Module.current_version_id.isnot(None),
        )
    )


def standing(user, module, now, policy=DEFAULT_POLICY):
    """The person's standing in one module (see standing.module_standing)."""
    progress = db.session.scalar(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user.id, ModuleProgress.module_id == module.id
        )
    )
    attempts = db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.module_version_id == module.current_version_id,
        )
    ).all()
    return module_standing(
        module,
        progress,
        attempts,
        queries.passed_slugs(user.id),
        queries.renewal_opened(user.id, policy, now),
        now,
        policy,
    )


def _bump_progress(user_id, module_id, **values):
    """Apply SQL expressions to the person's progress row, creating it when missing."""
    where = (ModuleProgress.user_id == user_id) & (
        ModuleProgress.module_id == module_id
    )
    if db.session.execute(
        update(ModuleProgress).where(where).values(**values)
    ).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(ModuleProgress(user_id=user_id, module_id=module_id))
    except IntegrityError:
        pass
    db.session.execute(update(ModuleProgress).where(where).values(**values))


def _refuse_start(state):
    if state.status == "passed":
        raise DomainError("attempt", "You have already passed this module.")
    if state.status == "locked":
        titles = queries.module_titles()
        names = [titles.get(slug, slug) for slug in state.unmet_prerequisites]
        raise DomainError(
            "attempt", "Pass these modules first: " + ", ".join(names) + "."
        )
    if state.status == "exhausted":
        raise DomainError("attempt", "You have used every attempt for this module.")
    if state.next_attempt_at is not None:
        raise DomainError(
            "attempt",
            f"Your next attempt opens at {minute_label(state.next_attempt_at)} UTC.",
        )


def _question_history(user_id, module_id):
    """Per question id, over every version: how often the person was asked it,
    and how often a result page could have shown its explanation or answer."""
    attempts = db.session.scalars(
        select(QuizAttempt)
        .join(ModuleVersion, ModuleVersion.id == QuizAttempt.module_version_id)
        .where(QuizAttempt.user_id == user_id, ModuleVersion.module_id == module_id)
        .options(
            selectinload(QuizAttempt.answers), joinedload(QuizAttempt.module_version)
        )
    ).all()
    seen, revealed = Counter(), Counter()
    for attempt in attempts:
        seen.update(entry["q"] for entry in attempt.layout)
        if attempt.status == AttemptStatus.SUBMITTED:
            version = attempt.module_version
            level = review_level(version, attempt.passed, locked_out=False)
            revealed.update(revealed_questions(version, attempt, level))
    return seen, revealed


def start_attempt(user, module, now, rng=None, policy=DEFAULT_POLICY):
    """Begin (or resume) the person's quiz attempt on the module's current version.

    The person themself only; the questions are drawn from the pool here.
    """
    version = module.current_version
    state = standing(user, module, now, policy)
    if state.in_progress is not None:
        return state.in_progress
    if not state.can_start:
        _refuse_start(state)
    rng = rng or random.SystemRandom()
    seen, revealed = _question_history(user.id, module.id)
    drawn = draw_questions(
        version.questions, version.questions_per_attempt, seen, rng, revealed
    )
    attempt = QuizAttempt(
        user_id=user.id,
        module_version_id=version.id,
        round=state.round,
        number=len(state.attempts) + 1,
        attempts_allowed=state.attempts_allowed,
        status=AttemptStatus.IN_PROGRESS,
        layout=attempt_layout(drawn, rng),
        started_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError as error:
        raise DomainError(
            "attempt", "Another attempt was started at the same moment."
        ) from error
    _bump_progress(
        user.id,
        module.id,
        attempts=ModuleProgress.attempts + 1,
        last_attempt_at=now,
        round=state.round,
        # A new round (a renewal) starts with the module's own attempts.
        extra_attempts=case(
            (ModuleProgress.round < state.round, 0),
            else_=ModuleProgress.extra_attempts,
        ),
    )
    return attempt


def _claim_for_grading(attempt, now):
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt.id,
            QuizAttempt.status == AttemptStatus.IN_PROGRESS,
        )
        .values(status=AttemptStatus.SUBMITTED, submitted_at=now)
    ).rowcount
    if claimed != 1:
        raise DomainError("attempt", "This attempt has already been submitted.")
    db.session.refresh(attempt)


def submit_attempt(user, attempt, responses, now, policy=DEFAULT_POLICY):
    """Grade an attempt from ``{question id: [content answers]}``; once only.

    The attempt's owner only. Only the questions the attempt asked count.
    """
    if attempt.user_id != user.id:
        raise DomainError("attempt", "This is not your attempt.")
    _claim_for_grading(attempt, now)
    version = attempt.module_version
    asked = asked_questions(version, attempt.layout)
    credits = {}
    for question in asked:
        response = [str(r) for r in responses.get(question["id"], [])][:50]
        credits[question["id"]] = grade(question, response)
        db.session.add(
            QuizAnswer(
                attempt=attempt,
                module_version_id=version.id,
                question_id=question["id"],
                response=response,
                credit=credits[question["id"]],
                points=question.get("points", 1),
            )
        )
    attempt.points_possible = float(sum(q.get("points", 1) for q in asked))
    attempt.points_earned = float(
        sum(q.get("points", 1) * credits[q["id"]] for q in asked)
    )
    attempt.score = score_percent(asked, credits)
    attempt.passed = attempt.score >= version.pass_mark
    _record_result(user, attempt, now, policy)
    return attempt


def _record_result(user, attempt, now, policy):
    version = attempt.module_version
    best = case(
        (ModuleProgress.best_score.is_(None), attempt.score),
        (ModuleProgress.best_score < attempt.score, attempt.score),
        else_=ModuleProgress.best_score,
    )
    values = {"best_score": best}
    if attempt.passed:
        values["passed_at"] = now
        values["passed_version_id"] = version.id
    _bump_progress(user.id, version.module_id, **values)
    db.session.flush()
    if attempt.passed:
        module_passed.send(user, user=user, module=version.module, now=now)
        certify_if_complete(user, now, policy)
