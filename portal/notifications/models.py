"""In-app notifications and per-person email preferences."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.notifications.kinds import Delivery


class Notification(TimestampMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_recipient_unread", "recipient_id", "read_at", "updated_at"
        ),
        # At most one unread notification per recipient and group, so repeats
        # (ten replies in one thread) fold into one row even when written at once.
        Index(
            "uq_notifications_unread_group",
            "recipient_id",
            "group_key",
            unique=True,
            sqlite_where=text("read_at IS NULL AND group_key IS NOT NULL"),
            postgresql_where=text("read_at IS NULL AND group_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    # For grouped notifications: the title once there are several, with {count}.
    title_many: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    group_key: Mapped[str | None] = mapped_column(String(120))
    count: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship()

    @property
    def display_title(self):
        if self.count > 1 and self.title_many:
            # Not str.format: a title may carry people's text with braces in it.
            return self.title_many.replace("{count}", str(self.count))
        return self.title


class NotificationPreference(db.Model):
    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery, "delivery"))
