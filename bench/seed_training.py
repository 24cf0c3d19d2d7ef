"""Quiz attempts graded as the portal grades them, with progress and certificates."""

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.training.certificates import add_months
from portal.training.grading import correct_response, grade, score_percent
from portal.training.models import (
    AttemptStatus,
    Certificate,
    Module,
    ModuleProgress,
    QuizAnswer,
    QuizAttempt,
)
from portal.training.quiz import attempt_layout, draw_questions


def load_modules():
    """The synced curriculum as plain dicts, in order."""
    modules = db.session.scalars(select(Module).order_by(Module.position)).all()
    return [
        {
            "id": m.id,
            "slug": m.slug,
            "version_id": m.current_version_id,
            "version": m.current_version.version,
            "title": m.current_version.title,
            "questions": m.current_version.questions,
            "prerequisites": m.current_version.prerequisites,
            "required": m.required,
            "pass_mark": m.current_version.pass_mark,
            "attempts_allowed": m.current_version.attempts_allowed,
            "per_attempt": m.current_version.questions_per_attempt,
            "competency": m.current_version.competency,
        }
        for m in modules
    ]


def _response(rng, question, p_right):
    """A plausible answer: right with probability ``p_right``, else a wrong one."""
    right = correct_response(question)
    if question["type"] == "multiple":
        return sorted(
            c["id"]
            for c in question["choices"]
            if (rng.random() < p_right) == bool(c.get("correct"))
        )
    if rng.random() < p_right:
        return right
    if question["type"] == "single":
        return [
            rng.choice([c["id"] for c in question["choices"] if not c.get("correct")])
        ]
    if question["type"] == "true_false":
        return ["false" if right == ["true"] else "true"]
    return [str(float(right[0]) * 2 + 1)]


class TrainingWriter:
    """Accumulates attempts, answers and progress rows for one bulk insert each."""

    def __init__(self, rng, now, modules):
        self.rng = rng
        self.now = now
        self.modules = modules
        self.required = [m for m in modules if m["required"]]
        # Per question, how much easier (or harder) than average it is.
        self.easiness = {
            (m["id"], q["id"]): rng.uniform(-0.25, 0.2)
            for m in modules
            for q in m["questions"]
        }
        self.attempts, self.answers, self.progress, self.certificates = [], [], [], []

    def _attempt(self, user_id, module, number, ability, started, finish):
        started = min(started, self.now - timedelta(hours=self.rng.randint(1, 72)))
        asked = draw_questions(module["questions"], module["per_attempt"], {}, self.rng)
        attempt = {
            "id": len(self.attempts) + 1,
            "user_id": user_id,
            "module_version_id": module["version_id"],
            "round": 1,
            "number": number,
            "attempts_allowed": module["attempts_allowed"],
            "status": AttemptStatus.IN_PROGRESS,
            "layout": attempt_layout(asked, self.rng),
            "started_at": started,
            "submitted_at": None,
            "score": None,
            "passed": None,
            "points_earned": None,
            "points_possible": None,
        }
        self.attempts.append(attempt)
        if not finish:
            return attempt
        credits = {}
        for question in asked:
            p_right = ability + self.easiness[(module["id"], question["id"])]
            response = _response(self.rng, question, min(0.99, max(0.05, p_right)))
            credits[question["id"]] = grade(question, response)
            self.answers.append(
                {
                    "attempt_id": attempt["id"],
                    "module_version_id": module["version_id"],
                    "question_id": question["id"],
                    "response": response,
                    "credit": credits[question["id"]],
                    "points": question.get("points", 1),
                }
            )
        score = score_percent(asked, credits)
        possible = float(sum(q.get("points", 1) for q in asked))
        attempt.update(
            points_possible=possible,
            points_earned=possible * score / 100.0,
            status=AttemptStatus.SUBMITTED,
            submitted_at=started + timedelta(minutes=self.rng.randint(6, 40)),
            score=score,
            passed=score >= module["pass_mark"],
        )
        return attempt

    def take_module(self, user_id, module, ability, started):
        """Attempts until passed or out of attempts; returns the progress row."""
        own = []
        for number in range(1, module["attempts_allowed"] + 1):
            finish = self.rng.random() > 0.02  # a few are left open mid-quiz
            own.append(self._attempt(user_id, module, number, ability, started, finish))
            if not finish or own[-1]["passed"]:
                break
            ability += 0.08  # people study after a failure
            started += timedelta(days=self.rng.randint(1, 10))
        passing = next((a for a in own if a["passed"]), None)
        row = {
            "user_id": user_id,
            "module_id": module["id"],
            "attempts": len(own),
            "round": 1,
            "best_score": max(
                (a["score"] for a in own if a["score"] is not None), default=None
            ),
            "last_attempt_at": own[-1]["started_at"],
            "passed_at": passing["submitted_at"] if passing else None,
            "passed_version_id": module["version_id"] if passing else None,
        }
        self.progress.append(row)
        return row

    def take_curriculum(self, user_id, ability, started, limit):
        """Modules in order while prerequisites are met, at most ``limit``."""
        passed = {}
        for module in self.modules[:limit]:
            if any(p not in passed for p in module["prerequisites"]):
                continue
            row = self.take_module(user_id, module, ability, started)
            started += timedelta(days=self.rng.randint(2, 20))
            if row["passed_at"] is not None:
                passed[module["slug"]] = row
        if self.required and all(m["slug"] in passed for m in self.required):
            self._certify(user_id, passed)

    def _certify(self, user_id, passed):
        rows = [(m, passed[m["slug"]]) for m in self.required]
        issued = max(row["passed_at"] for _, row in rows)
        self.certificates.append(
            {
                "user_id": user_id,
                "sequence": 1,
                "verification_code": f"b{user_id:08d}{self.rng.getrandbits(40):010x}",
                "issued_at": issued,
                "expires_at": add_months(issued, 12),
                "modules": [
                    {
                        "slug": m["slug"],
                        "title": m["title"],
                        "version": m["version"],
                        "passed_at": row["passed_at"].isoformat(),
                        "competency": m["competency"],
                    }
                    for m, row in rows
                ],
            }
        )


def seed_training(loader, rng, now, modules, *, attempts, keen, casual, engineer_id):
    """About ``attempts`` attempts: ``keen`` people (Guardians, trainees) take the
    whole curriculum, ``casual`` ones a module or two; the bench engineer three."""
    writer = TrainingWriter(rng, now, modules)
    writer.take_curriculum(engineer_id, 0.7, now - timedelta(days=40), 3)
    pool = list({**{u: False for u in casual}, **{u: True for u in keen}}.items())
    pool.sort()
    rng.shuffle(pool)
    for user_id, is_keen in pool:
        if len(writer.attempts) >= attempts:
            break
        ability = rng.gauss(0.8 if is_keen else 0.7, 0.1)
        limit = len(modules) if is_keen else rng.randint(1, 2)
        started = now - timedelta(days=rng.randint(30, 700))
        writer.take_curriculum(user_id, ability, started, limit)
    loader.insert(QuizAttempt, writer.attempts)
    loader.insert(QuizAnswer, writer.answers)
    loader.insert(ModuleProgress, writer.progress)
    loader.insert(Certificate, writer.certificates)
