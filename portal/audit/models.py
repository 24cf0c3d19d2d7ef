"""The audit log: an append-only record of every privileged action."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import UTCDateTime, append_only, utcnow
from portal.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        # Filtered by action, newest first: read in index order, stop at a page.
        Index("ix_audit_events_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # For an automatic step (no actor): the person whose action caused it.
    caused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    # What the target was called when it happened: names outlive renames and
    # deletions, and the log reads without looking anything up.
    target_name: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    caused_by: Mapped[User | None] = relationship(foreign_keys=[caused_by_id])


class AuditLogIsAppendOnly(RuntimeError):
    pass


append_only(AuditEvent, AuditLogIsAppendOnly)
