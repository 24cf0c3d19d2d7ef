"""Training modules and versions, quiz attempts and answers, progress, certificates."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db


class Module(TimestampMixin, db.Model):
    """A module by slug; its text and quiz live in versions."""

    __tablename__ = "training_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_module_versions.id", use_alter=True)
    )
    # Copied from the current version so lists can filter and sort in SQL.
    position: Mapped[int] = mapped_column(default=0, index=True)
    required: Mapped[bool] = mapped_column(default=False, index=True)
    retired: Mapped[bool] = mapped_column(default=False)

    current_version: Mapped["ModuleVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ModuleVersion(TimestampMixin, db.Model):
    __tablename__ = "training_module_versions"
    __table_args__ = (UniqueConstraint("module_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("training_modules.id"), index=True
    )
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    estimated_minutes: Mapped[int]
    prerequisites: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool]
    pass_mark: Mapped[int]
    attempts_allowed: Mapped[int]
    cooldown_minutes: Mapped[int]
    tags: Mapped[list] = mapped_column(JSON, default=list)
    body_html: Mapped[str] = mapped_column(Text)
    # The whole pool, correct answers included; never sent to the browser as is.
    questions: Mapped[list] = mapped_column(JSON)
    # None asks every question of the pool.
    questions_per_attempt: Mapped[int | None]
    review_after_failure: Mapped[str] = mapped_column(
        String(20), default="explanations"
    )
    review_after_pass: Mapped[str] = mapped_column(String(20), default="answers")
    competency: Mapped[str] = mapped_column(Text, default="")
    # Objective id -> the sentence a learner reads.
    objectives: Mapped[dict] = mapped_column(JSON, default=dict)

    module: Mapped[Module] = relationship(foreign_keys=[module_id])

    def question(self, question_id):
        return next((q for q in self.questions if q["id"] == question_id), None)


class AttemptStatus(enum.Enum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class QuizAttempt(db.Model):
    """One try at a module version's quiz.

    Attempts are counted per round: a round ends with a pass, and a new one
    begins for a re-certification (or when a program manager resets the
    module for the person).
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # One row per attempt number: two concurrent starts cannot both take number N.
        UniqueConstraint("user_id", "module_version_id", "round", "number"),
        CheckConstraint(
            "number >= 1 AND number <= attempts_allowed", name="attempt_limit"
        ),
        Index("ix_quiz_attempts_user_version", "user_id", "module_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_version_id: Mapped[int] = mapped_column(
        ForeignKey("training_module_versions.id"), index=True
    )
    round: Mapped[int] = mapped_column(default=1)
    number: Mapped[int]
    attempts_allowed: Mapped[int]
    status: Mapped[AttemptStatus] = mapped_column(
        enum_column(AttemptStatus, "attempt_status")
    )
    # The questions drawn, in order, each with its field token and its choices'
    # tokens mapped to content ids (see quiz.attempt_layout).
    layout: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    # Weighted points, for item analysis (the rest score leaves one item out).
    points_earned: Mapped[float | None] = mapped_column(Float)
    points_possible: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship()
    module_version: Mapped[ModuleVersion] = relationship()
    answers: Mapped[list["QuizAnswer"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan"
    )


class QuizAnswer(db.Model):
    """One graded answer: the data behind per-question difficulty and discrimination."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"))
    module_version_id: Mapped[int] = mapped_column(
        ForeignKey("training_module_versions.id"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))
    # Content choice ids (never the attempt's tokens), or the number typed.
    response: Mapped[list] = mapped_column(JSON)
    credit: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float, default=1.0)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class ModuleProgress(db.Model):
    """A person's standing in one module, kept up to date as attempts are graded."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("training_modules.id"), index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # The round new attempts count in (see QuizAttempt), and the attempts a
    # program manager added to this round on top of the module's own.
    round: Mapped[int] = mapped_column(default=1)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    best_score: Mapped[float | None] = mapped_column(Float)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest pass: any pass unlocks what builds on the module; a
    # re-certification needs one after renewal opened, on the current version.
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_module_versions.id")
    )

    module: Mapped[Module] = relationship()


class Certificate(db.Model):
    """A Guardian certificate: valid from issue until it expires or is revoked.

    A person's certificates are numbered; re-certifying issues the next one,
    and the unique number stops two concurrent passes issuing two.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("user_id", "sequence"),
        CheckConstraint(
            "(revoked_at IS NULL) = (revocation_reason IS NULL)",
            name="revocation_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=1)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    # What was passed, frozen at issue: [{"slug", "title", "version", "passed_at",
    # "competency"}].
    modules: Mapped[list] = mapped_column(JSON)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def status(self, now):
        """'revoked', 'expired' or 'valid' at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "valid"


class ModuleDueDate(db.Model):
    """When a person must pass a module (set per cohort by program managers)."""

    __tablename__ = "module_due_dates"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_modules.id"))
    due_on: Mapped[date] = mapped_column(Date, index=True)

    module: Mapped[Module] = relationship()
