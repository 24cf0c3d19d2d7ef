"""Taking quizzes, tracking progress and certifying Guardians.

Attempt limits hold under concurrency because each attempt takes a numbered
row, unique per person and module version, with the number checked against
the limit in the database; a submission is graded once because it first flips
its attempt from in progress to submitted with a guarded UPDATE.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.services import notify
from portal.training.grading import grade, score_percent
from portal.training.models import (
    AttemptStatus,
    Certificate,
    Module,
    ModuleProgress,
    QuizAnswer,
    QuizAttempt,
)
from portal.training.signals import certified, module_passed


@dataclass
class Standing:
    """Where a person stands in one module's current version."""

    attempts: list
    passed: bool
    unmet_prerequisites: list
    next_attempt_at: datetime | None
    attempts_left: int
    cooldown_minutes: int

    @property
    def in_progress(self):
        return next(
            (a for a in self.attempts if a.status == AttemptStatus.IN_PROGRESS), None
        )


def active_module(slug):
    return db.session.scalar(
        select(Module).where(
            Module.slug == slug,
            Module.retired.is_(False),
            Module.current_version_id.isnot(None),
        )
    )


def passed_slugs(user_id):
    return set(
        db.session.scalars(
            select(Module.slug)
            .join(ModuleProgress, ModuleProgress.module_id == Module.id)
            .where(
                ModuleProgress.user_id == user_id, ModuleProgress.passed_at.isnot(None)
            )
        )
    )


def cooldown_for(version, override=None):
    """The wait after a failed attempt; ``override`` (configuration) shortens demos."""
    return version.cooldown_minutes if override is None else override


def standing(user, module, now, cooldown_override=None):
    version = module.current_version
    cooldown = cooldown_for(version, cooldown_override)
    attempts = db.session.scalars(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user.id, QuizAttempt.module_version_id == version.id
        )
        .order_by(QuizAttempt.number)
    ).all()
    passed = passed_slugs(user.id)
    next_at = None
    last = attempts[-1] if attempts else None
    if last is not None and last.status == AttemptStatus.SUBMITTED and not last.passed:
        opens = last.submitted_at + timedelta(minutes=cooldown)
        next_at = opens if opens > now else None
    return Standing(
        attempts=attempts,
        passed=module.slug in passed,
        unmet_prerequisites=[p for p in version.prerequisites if p not in passed],
        next_attempt_at=next_at,
        attempts_left=version.attempts_allowed - len(attempts),
        cooldown_minutes=cooldown,
    )


def _layout(version, rng):
    questions = list(version.questions)
    rng.shuffle(questions)
    layout = []
    for question in questions:
        choices = [c["id"] for c in question.get("choices", [])]
        rng.shuffle(choices)
        layout.append({"q": question["id"], "c": choices})
    return layout


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


def start_attempt(user, module, now, rng=None, cooldown_override=None):
    """Begin (or resume) a quiz attempt on the module's current version."""
    version = module.current_version
    state = standing(user, module, now, cooldown_override)
    if state.in_progress is not None:
        return state.in_progress
    if state.passed:
        raise DomainError("attempt", "You have already passed this module.")
    if state.unmet_prerequisites:
        raise DomainError(
            "attempt",
            "Pass these modules first: " + ", ".join(state.unmet_prerequisites) + ".",
        )
    if state.attempts_left <= 0:
        raise DomainError("attempt", "You have used every attempt for this module.")
    if state.next_attempt_at is not None:
        raise DomainError(
            "attempt",
            f"Your next attempt opens at {state.next_attempt_at:%Y-%m-%d %H:%M} UTC.",
        )
    attempt = QuizAttempt(
        user_id=user.id,
        module_version_id=version.id,
        number=len(state.attempts) + 1,
        attempts_allowed=version.attempts_allowed,
        status=AttemptStatus.IN_PROGRESS,
        layout=_layout(version, rng or random.SystemRandom()),
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
        user.id, module.id, attempts=ModuleProgress.attempts + 1, last_attempt_at=now
    )
    return attempt


def submit_attempt(user, attempt, responses, now):
    """Grade an attempt from ``{question id: [answer strings]}``; once only."""
    if attempt.user_id != user.id:
        raise DomainError("attempt", "This is not your attempt.")
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
    version = attempt.module_version
    credits = {}
    for question in version.questions:
        response = [str(r) for r in responses.get(question["id"], [])][:50]
        credits[question["id"]] = grade(question, response)
        db.session.add(
            QuizAnswer(
                attempt=attempt,
                module_version_id=version.id,
                question_id=question["id"],
                response=response,
                credit=credits[question["id"]],
            )
        )
    attempt.score = score_percent(version.questions, credits)
    attempt.passed = attempt.score >= version.pass_mark
    _record_result(user, attempt, now)
    return attempt


def _record_result(user, attempt, now):
    version = attempt.module_version
    best = case(
        (ModuleProgress.best_score.is_(None), attempt.score),
        (ModuleProgress.best_score < attempt.score, attempt.score),
        else_=ModuleProgress.best_score,
    )
    values = {"best_score": best}
    if attempt.passed:
        values["passed_at"] = func.coalesce(ModuleProgress.passed_at, now)
        values["passed_version_id"] = func.coalesce(
            ModuleProgress.passed_version_id, version.id
        )
    _bump_progress(user.id, version.module_id, **values)
    db.session.flush()
    if attempt.passed:
        module_passed.send(user, user=user, module=version.module, now=now)
        certify_if_complete(user, now)


def required_modules():
    return db.session.scalars(
        select(Module)
        .where(Module.required.is_(True), Module.retired.is_(False))
        .order_by(Module.position, Module.slug)
    ).all()


def certify_if_complete(user, now):
    """Issue the Guardian certificate once every required module is passed."""
    required = required_modules()
    progress = {
        p.module_id: p
        for p in db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.user_id == user.id, ModuleProgress.passed_at.isnot(None)
            )
        )
    }
    if not required or any(m.id not in progress for m in required):
        return None
    if db.session.scalar(select(Certificate).where(Certificate.user_id == user.id)):
        return None
    certificate = Certificate(
        user_id=user.id,
        verification_code=secrets.token_urlsafe(12),
        issued_at=now,
        modules=[_certified_module(m, progress[m.id]) for m in required],
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return None
    certified.send(user, user=user, certificate=certificate, now=now)
    notify(
        user,
        "training",
        "You are a certified Guardian! Your certificate is ready.",
        now=now,
        link=f"/certificates/{certificate.verification_code}",
    )
    return certificate


def _certified_module(module, progress):
    version = db.session.get(type(module.current_version), progress.passed_version_id)
    return {
        "slug": module.slug,
        "title": version.title if version else module.current_version.title,
        "version": version.version if version else None,
        "passed_at": progress.passed_at.isoformat(),
    }
