"""Security reviews, their findings, the Guardians' readiness checks and the
end-of-review surveys, with the calibration guide editions they were answered
against."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Team, User
from portal.database import UTCDateTime, enum_column, utcnow
from portal.extensions import db


class ReviewStage(enum.Enum):
    """The stages of the security review process the Guardian supports."""

    ENGAGED = "engaged"
    GUIDANCE = "guidance"
    IMPLEMENTED = "implemented"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return STAGE_LABELS[self]

    @property
    def is_closed(self):
        return self in (ReviewStage.APPROVED, ReviewStage.CANCELLED)


STAGE_LABELS = {
    ReviewStage.ENGAGED: "Engagement initiated",
    ReviewStage.GUIDANCE: "Guidance given",
    ReviewStage.IMPLEMENTED: "Implementation reviewed with the Guardian",
    ReviewStage.SUBMITTED: "Submitted for review",
    ReviewStage.IN_REVIEW: "Security review and penetration testing",
    ReviewStage.APPROVED: "Approved (signed off)",
    ReviewStage.CANCELLED: "Cancelled",
}


class Severity(enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"

    @property
    def label(self):
        return self.value.capitalize()

    @property
    def count_column(self):
        """The Review column that counts findings of this severity."""
        return f"{self.value}_count"


class FindingStatus(enum.Enum):
    OPEN = "open"
    FIXED = "fixed"
    ACCEPTED_RISK = "accepted_risk"

    @property
    def label(self):
        return {"accepted_risk": "Accepted risk"}.get(
            self.value, self.value.capitalize()
        )


class Part(enum.Enum):
    """What a person does on a review."""

    GUARDIAN = "guardian"
    REVIEWER = "reviewer"


COUNT_CHECK = " AND ".join(f"{s.count_column} >= 0" for s in Severity)


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(COUNT_CHECK, name="finding_counts"),
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="dates"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score"),
        # A team's reviews, newest first; the stuck-review sweep.
        Index("ix_reviews_team_opened", "team_id", "opened_on"),
        Index("ix_reviews_stage_entered", "stage", "stage_entered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    ticket_url: Mapped[str] = mapped_column(String(500), default="")
    opened_on: Mapped[date] = mapped_column(Date, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    stage: Mapped[ReviewStage] = mapped_column(enum_column(ReviewStage, "review_stage"))
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    critical_count: Mapped[int] = mapped_column(default=0)
    high_count: Mapped[int] = mapped_column(default=0)
    medium_count: Mapped[int] = mapped_column(default=0)
    low_count: Mapped[int] = mapped_column(default=0)
    informational_count: Mapped[int] = mapped_column(default=0)
    # The review's score (0-100) from its surveys, kept by portal.reviews.scoring
    # whenever a survey is saved, so averages are one SQL AVG.
    score: Mapped[float | None] = mapped_column(Float)
    # Set by the import: the same external review imported twice is one row.
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    people: Mapped[list["ReviewPerson"]] = relationship(
        back_populates="review",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ReviewPerson.id",
    )
    events: Mapped[list["ReviewEvent"]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewEvent.id"
    )
    findings: Mapped[list["Finding"]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="Finding.id"
    )

    def count_of(self, severity):
        return getattr(self, severity.count_column)

    @property
    def medium_and_high(self):
        return self.medium_count + self.high_count

    @property
    def total_findings(self):
        return sum(self.count_of(s) for s in Severity)

    def ids_of(self, part):
        return [p.user_id for p in self.people if p.part == part]

    @property
    def guardian_ids(self):
        return self.ids_of(Part.GUARDIAN)

    @property
    def reviewer_ids(self):
        return self.ids_of(Part.REVIEWER)

    @property
    def guardians(self):
        return [p.user for p in self.people if p.part == Part.GUARDIAN]

    @property
    def reviewers(self):
        return [p.user for p in self.people if p.part == Part.REVIEWER]


class ReviewPerson(db.Model):
    """A supporting Guardian or a security reviewer of a review. One row per
    person and review: the database itself refuses a reviewer who is also
    the review's supporting Guardian."""

    __tablename__ = "review_people"
    __table_args__ = (
        UniqueConstraint("review_id", "user_id"),
        Index("ix_review_people_user_part", "user_id", "part"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    part: Mapped[Part] = mapped_column(enum_column(Part, "review_part"))

    review: Mapped[Review] = relationship(back_populates="people")
    user: Mapped[User] = relationship(lazy="joined")


class ReviewEvent(db.Model):
    """One stage change: the review's history."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    from_stage: Mapped[ReviewStage | None] = mapped_column(
        enum_column(ReviewStage, "review_event_from")
    )
    to_stage: Mapped[ReviewStage] = mapped_column(
        enum_column(ReviewStage, "review_event_to")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Finding(db.Model):
    """One finding, for teams that track them in the portal."""

    __tablename__ = "review_findings"
    __table_args__ = (
        CheckConstraint("status = 'fixed' OR fixed_on IS NULL", name="fixed_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, "severity"))
    status: Mapped[FindingStatus] = mapped_column(
        enum_column(FindingStatus, "finding_status"), default=FindingStatus.OPEN
    )
    fixed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="findings")


class GuideEdition(db.Model):
    """One edition of the calibration guide: ``entries`` maps question key to
    ``{"1": text, ..., "5": text}`` (Q3: ``{"applicable": text}``)."""

    __tablename__ = "survey_guide_editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    entries: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


def _answer_checks(prefix):
    return (
        CheckConstraint(
            " AND ".join(
                f"({q} IS NULL OR {q} BETWEEN 1 AND 5)" for q in ("q1", "q2", "q4")
            ),
            name=f"{prefix}_ratings",
        ),
        CheckConstraint("q3 IS NULL OR q3 IN (0, 1)", name=f"{prefix}_q3"),
    )


class AnswersMixin:
    """The four answers: None is n/a. Q1, Q2 and Q4 are 1-5; Q3 is 1 Yes, 0 No."""

    q1: Mapped[int | None] = mapped_column(SmallInteger)
    q2: Mapped[int | None] = mapped_column(SmallInteger)
    q3: Mapped[int | None] = mapped_column(SmallInteger)
    q4: Mapped[int | None] = mapped_column(SmallInteger)

    @property
    def answers(self):
        return {"q1": self.q1, "q2": self.q2, "q3": self.q3, "q4": self.q4}


class ReadinessCheck(AnswersMixin, db.Model):
    """A supporting Guardian's self-rating of the team's work before submission."""

    __tablename__ = "review_readiness"
    __table_args__ = (UniqueConstraint("review_id", "user_id"), *_answer_checks("rc"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    guide_edition_id: Mapped[int] = mapped_column(
        ForeignKey("survey_guide_editions.id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Survey(AnswersMixin, db.Model):
    """A reviewer's end-of-review survey: one per review and reviewer."""

    __tablename__ = "review_surveys"
    __table_args__ = (
        UniqueConstraint("review_id", "reviewer_id"),
        *_answer_checks("survey"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    feedback_markdown: Mapped[str] = mapped_column(Text, default="")
    feedback_html: Mapped[str] = mapped_column(Text, default="")
    # For program managers only; never shown to the team or its Guardians.
    private_note: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)
    guide_edition_id: Mapped[int] = mapped_column(
        ForeignKey("survey_guide_editions.id")
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    review: Mapped[Review] = relationship()
    reviewer: Mapped[User] = relationship()
    guide_edition: Mapped[GuideEdition] = relationship()
