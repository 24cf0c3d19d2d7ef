"""Guardian enrollments, their lifecycle history, and cohorts."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Team, User
from portal.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.training.models import Module


class EnrollmentStatus(enum.Enum):
    NOMINATED = "nominated"
    APPLIED = "applied"
    APPROVED = "approved"
    IN_TRAINING = "in_training"
    CERTIFIED = "certified"
    ACTIVE = "active"
    ALUMNI = "alumni"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return {"in_training": "In training", "active": "Active Guardian"}.get(
            self.value, self.value.capitalize()
        )


CLOSED_STATUSES = (
    EnrollmentStatus.ALUMNI,
    EnrollmentStatus.DECLINED,
    EnrollmentStatus.WITHDRAWN,
)
OPEN_CONDITION = "status NOT IN ('alumni', 'declined', 'withdrawn')"


class Cohort(TimestampMixin, db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (
        # Seats are taken with a guarded UPDATE; the database refuses overbooking.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    start_date: Mapped[date] = mapped_column(Date, index=True)
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A closed cohort takes nobody new; its members go on.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    due_dates: Mapped[list["CohortDueDate"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def seats_left(self):
        return self.capacity - self.seats_taken

    @property
    def is_open(self):
        """Open to placements: not closed (seats aside)."""
        return self.closed_at is None


class CohortDueDate(db.Model):
    __tablename__ = "cohort_due_dates"
    __table_args__ = (UniqueConstraint("cohort_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_modules.id"))
    due_on: Mapped[date] = mapped_column(Date)

    cohort: Mapped[Cohort] = relationship(back_populates="due_dates")
    module: Mapped[Module] = relationship()


class Enrollment(TimestampMixin, db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        # One open application per person, whatever two requests do at once.
        Index(
            "uq_enrollments_one_open_per_user",
            "user_id",
            unique=True,
            sqlite_where=text(OPEN_CONDITION),
            postgresql_where=text(OPEN_CONDITION),
        ),
        CheckConstraint("hours_per_week >= 1 AND hours_per_week <= 40", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus, "enrollment_status"), index=True
    )
    guarded_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id"), index=True
    )
    motivation: Mapped[str] = mapped_column(Text, default="")
    manager_email: Mapped[str] = mapped_column(String(254), default="")
    hours_per_week: Mapped[int] = mapped_column(default=2)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    steps_down_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    nominated_by: Mapped[User | None] = relationship(foreign_keys=[nominated_by_id])
    guarded_team: Mapped[Team | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    events: Mapped[list["EnrollmentEvent"]] = relationship(
        back_populates="enrollment",
        order_by="EnrollmentEvent.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_open(self):
        return self.status not in CLOSED_STATUSES


class EnrollmentEvent(db.Model):
    """One step of an enrollment's lifecycle: the history shown to the applicant."""

    __tablename__ = "enrollment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    from_status: Mapped[EnrollmentStatus | None] = mapped_column(
        enum_column(EnrollmentStatus, "enrollment_event_from")
    )
    to_status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus, "enrollment_event_to")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
