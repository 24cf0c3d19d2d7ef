"""Signed-in sessions and the one-time links emailed to people.

Both hold only a SHA-256 of their secret: a copy of the database opens no
session and follows no link.
"""

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db


class UserSession(TimestampMixin, db.Model):
    """One signed-in browser: its session cookie and "keep me signed in" cookie
    both carry the secret whose hash is ``token_hash``, so ending the row ends
    both for good."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        Index("ix_user_sessions_user_id_revoked_at", "user_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The absolute end; idleness ends it sooner (see portal.auth.sessions).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LinkPurpose(enum.Enum):
    RESET = "reset_password"
    VERIFY_EMAIL = "verify_email"
    SIGN_IN = "sign_in"


class AccountLink(TimestampMixin, db.Model):
    """A single-use, expiring link emailed to a person: reset their password,
    confirm their address, or sign in from a new place. A newer link of the
    same purpose, and a password change, spend the older ones."""

    __tablename__ = "account_links"
    __table_args__ = (Index("ix_account_links_user_id_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[LinkPurpose] = mapped_column(
        enum_column(LinkPurpose, "link_purpose")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class PasswordResetRequest(TimestampMixin, db.Model):
    """An address someone typed into the reset form, waiting for the job that
    answers it (portal.auth.jobs). The form only adds this row, whatever the
    address, so its answer takes the same time for every address."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
