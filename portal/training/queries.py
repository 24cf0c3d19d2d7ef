"""Read-side queries for training pages: the curriculum, progress and statistics."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.training.models import (
    AttemptStatus,
    Certificate,
    Module,
    ModuleDueDate,
    ModuleProgress,
    ModuleVersion,
    QuizAnswer,
    QuizAttempt,
)


@dataclass
class ModuleRow:
    module: Module
    version: ModuleVersion
    status: str  # locked, not_started, in_progress, passed, failed, exhausted
    best_score: float | None
    attempts_used: int
    next_attempt_at: datetime | None
    unmet_prerequisites: list
    due_on: object = None

    @property
    def status_label(self):
        return {
            "locked": "Locked",
            "not_started": "Not started",
            "in_progress": "In progress",
            "passed": "Passed",
            "failed": "Failed",
            "exhausted": "No attempts left",
        }[self.status]


def curriculum():
    """Active modules with their current versions, in curriculum order (one query)."""
    return db.session.scalars(
        select(Module)
        .where(Module.retired.is_(False), Module.current_version_id.isnot(None))
        .options(joinedload(Module.current_version))
        .order_by(Module.position, Module.slug)
    ).all()


def _status(version, progress, attempts, unmet, now, cooldown):
    if progress is not None and progress.passed_at is not None:
        return "passed", None
    if unmet:
        return "locked", None
    if not attempts:
        return "not_started", None
    last = attempts[-1]
    if last.status == AttemptStatus.IN_PROGRESS:
        return "in_progress", None
    if len(attempts) >= version.attempts_allowed:
        return "exhausted", None
    opens = last.submitted_at + timedelta(minutes=cooldown)
    return "failed", opens if opens > now else None


def module_rows(user_id, now, modules=None, cooldown_override=None):
    """Each module with the person's status, in three queries whatever the size."""
    modules = modules if modules is not None else curriculum()
    progress = {
        p.module_id: p
        for p in db.session.scalars(
            select(ModuleProgress).where(ModuleProgress.user_id == user_id)
        )
    }
    attempts = {}
    for attempt in db.session.scalars(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_version_id.in_([m.current_version_id for m in modules]),
        )
        .order_by(QuizAttempt.number)
    ):
        attempts.setdefault(attempt.module_version_id, []).append(attempt)
    due = dict(
        db.session.execute(
            select(ModuleDueDate.module_id, ModuleDueDate.due_on).where(
                ModuleDueDate.user_id == user_id
            )
        ).all()
    )
    slugs_passed = {
        m.slug
        for m in modules
        if progress.get(m.id) and progress[m.id].passed_at is not None
    }
    rows = []
    for module in modules:
        version = module.current_version
        own = attempts.get(version.id, [])
        unmet = [p for p in version.prerequisites if p not in slugs_passed]
        cooldown = (
            version.cooldown_minutes if cooldown_override is None else cooldown_override
        )
        status, opens = _status(
            version, progress.get(module.id), own, unmet, now, cooldown
        )
        rows.append(
            ModuleRow(
                module=module,
                version=version,
                status=status,
                best_score=progress[module.id].best_score
                if module.id in progress
                else None,
                attempts_used=len(own),
                next_attempt_at=opens,
                unmet_prerequisites=unmet,
                due_on=due.get(module.id),
            )
        )
    return rows


def certificate_for(user_id):
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user_id))


def certificate_by_code(code):
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.verification_code == code)
        .options(joinedload(Certificate.user))
    )


def module_statistics():
    """Per module: submitted attempts, pass rate and average score, in SQL."""
    rows = db.session.execute(
        select(
            ModuleVersion.module_id,
            func.count(QuizAttempt.id),
            func.sum(cast(QuizAttempt.passed, Integer)),
            func.avg(QuizAttempt.score),
            func.count(func.distinct(QuizAttempt.user_id)),
        )
        .join(QuizAttempt, QuizAttempt.module_version_id == ModuleVersion.id)
        .where(QuizAttempt.status == AttemptStatus.SUBMITTED)
        .group_by(ModuleVersion.module_id)
    ).all()
    return {
        module_id: {
            "attempts": attempts,
            "passed": passed or 0,
            "people": people,
            "pass_rate": 100.0 * (passed or 0) / attempts if attempts else None,
            "average_score": float(average) if average is not None else None,
        }
        for module_id, attempts, passed, average, people in rows
    }


def question_statistics(version):
    """Per question of one version: share correct (difficulty) and discrimination.

    Discrimination is the point-biserial correlation between a question's
    credit and the attempt's total score: near 0 or negative flags a question
    that strong and weak candidates answer alike, or that misleads the strong.
    """
    credit, score = QuizAnswer.credit, QuizAttempt.score
    rows = db.session.execute(
        select(
            QuizAnswer.question_id,
            func.count(),
            func.sum(credit),
            func.sum(score),
            func.sum(credit * score),
            func.sum(credit * credit),
            func.sum(score * score),
        )
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAnswer.module_version_id == version.id)
        .group_by(QuizAnswer.question_id)
    ).all()
    stats = {}
    for question_id, n, sx, sy, sxy, sxx, syy in rows:
        sx, sy, sxy, sxx, syy = (float(v or 0) for v in (sx, sy, sxy, sxx, syy))
        var_x, var_y = n * sxx - sx * sx, n * syy - sy * sy
        discrimination = None
        if n > 1 and var_x > 1e-9 and var_y > 1e-9:
            discrimination = (n * sxy - sx * sy) / math.sqrt(var_x * var_y)
        stats[question_id] = {
            "answers": n,
            "share_correct": sx / n if n else None,
            "discrimination": discrimination,
        }
    return [(q, stats.get(q["id"])) for q in version.questions]
