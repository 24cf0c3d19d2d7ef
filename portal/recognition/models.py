"""Recognition: the append-only points ledger and its running totals, the
weekly standings the boards compare against, badges, awards, kudos and who
hides their name from the boards."""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import UTCDateTime, append_only
from portal.extensions import db


class PointsEntry(db.Model):
    """One line of the ledger. Never changed or deleted: a correction is a
    new entry (``revision`` 1, 2, ...) for the same source and person."""

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", "user_id", "revision"),
        # Weekly caps count a person's entries of one kind in one week.
        Index(
            "ix_points_entries_user_kind_time", "user_id", "source_kind", "created_at"
        ),
        CheckConstraint("revision >= 0", name="revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Where the person was when they earned it: team and org boards keep it.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    source_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(default=0)
    points: Mapped[int]
    # The earning came past the week's cap: the source is worth nothing, now
    # or after any correction.
    capped: Mapped[bool] = mapped_column(default=False)
    # Whether the person was ranked when they earned it (not an admin, program
    # manager or deactivated account): only such points count for their team
    # and org, now and after any correction.
    ranked: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()


class LedgerIsAppendOnly(RuntimeError):
    pass


append_only(PointsEntry, LedgerIsAppendOnly)


class PointsTotal(db.Model):
    """The running total of one person, team or org in one period ("all",
    "2026", "2026-Q4"), kept in the transaction of each ledger entry."""

    __tablename__ = "points_totals"
    __table_args__ = (
        Index("ix_points_totals_board", "scope", "period", "points", "reached_at"),
    )

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(default=0)
    entries: Mapped[int] = mapped_column(default=0)
    # When the total last changed: of two equal totals, the one reached first
    # ranks higher.
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PointsSnapshot(db.Model):
    """The totals as they stood when a week began: what "change in rank
    since last week" compares against."""

    __tablename__ = "points_snapshots"

    week: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    points: Mapped[int]
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BadgeAward(db.Model):
    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("user_id", "badge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    badge: Mapped[str] = mapped_column(String(40))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    evidence: Mapped[str] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class AwardKind(db.Model):
    """An award program managers grant: Guardian of the Quarter and those
    they define."""

    __tablename__ = "award_kinds"
    __table_args__ = (CheckConstraint("points BETWEEN 0 AND 1000", name="points"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Award(db.Model):
    __tablename__ = "awards"
    __table_args__ = (
        # The same award to the same person once a day, however often the
        # form is sent (a revoked one aside).
        Index(
            "uq_awards_once_a_day",
            "kind_id",
            "user_id",
            "granted_on",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        CheckConstraint("points BETWEEN 0 AND 1000", name="points"),
        CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revoked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("award_kinds.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    citation_markdown: Mapped[str] = mapped_column(Text)
    citation_html: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(default=0)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    granted_on: Mapped[date]
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")

    kind: Mapped[AwardKind] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])


class Kudos(db.Model):
    """A short thank-you to a Guardian. ``slot`` numbers the giver's kudos in
    a month, so the monthly limit holds whatever two requests do at once."""

    __tablename__ = "kudos"
    __table_args__ = (
        UniqueConstraint("giver_id", "month", "slot"),
        CheckConstraint("giver_id <> receiver_id", name="not_self"),
        Index("ix_kudos_receiver_created_at", "receiver_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note_markdown: Mapped[str] = mapped_column(Text)
    note_html: Mapped[str] = mapped_column(Text)
    month: Mapped[str] = mapped_column(String(7))
    slot: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    giver: Mapped[User] = relationship(foreign_keys=[giver_id])
    receiver: Mapped[User] = relationship(foreign_keys=[receiver_id])


class RecognitionPreference(db.Model):
    """A person who hides their name from the boards ("a Guardian")."""

    __tablename__ = "recognition_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    hide_name: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
