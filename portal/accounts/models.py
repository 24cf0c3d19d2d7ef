"""People, the orgs and teams they belong to, and the roles they hold."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db


class Role(enum.Enum):
    """Roles granted on top of "engineer", which every active account is."""

    GUARDIAN = "guardian"
    MENTOR = "mentor"
    SECURITY_REVIEWER = "security_reviewer"
    PROGRAM_MANAGER = "program_manager"
    ADMIN = "admin"

    @property
    def label(self):
        return self.value.replace("_", " ").capitalize()

    @property
    def in_use(self):
        """Whether the portal has pages for the role yet; the mentorship
        feature switches its on as it lands."""
        return self is not Role.MENTOR


# Roles an admin (or the people import) grants by hand. A Guardian is made by
# the Guardian program, application to certification, so that the badge and
# the program's counts always agree.
HAND_GRANTED_ROLES = (Role.SECURITY_REVIEWER, Role.PROGRAM_MANAGER, Role.ADMIN)
GUARDIAN_BY_PROGRAM = (
    "Guardians join through the Guardian program: they apply (or are nominated), "
    "a program manager approves them at /program/applications, and passing the "
    "training makes them active. A Guardian steps down from their application."
)


def hand_grant_problem(role):
    """Why ``role`` cannot be granted or taken away by hand, or None."""
    if role == Role.GUARDIAN:
        return GUARDIAN_BY_PROGRAM
    if not role.in_use:
        return f"The {role.label} role is not used by the portal yet."
    return None


class Seniority(enum.Enum):
    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"
    STAFF = "staff"
    PRINCIPAL = "principal"

    @property
    def label(self):
        return self.value.capitalize()


class Org(TimestampMixin, db.Model):
    __tablename__ = "orgs"
    __table_args__ = (
        CheckConstraint(
            "guardian_ratio_target IS NULL OR guardian_ratio_target BETWEEN 1 AND 1000",
            name="guardian_ratio_target_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Engineers per Guardian the program aims for here; None: the company default.
    guardian_ratio_target: Mapped[int | None]

    teams: Mapped[list["Team"]] = relationship(
        back_populates="org", order_by="Team.name", cascade="save-update"
    )


class Team(TimestampMixin, db.Model):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")

    org: Mapped[Org] = relationship(back_populates="teams")
    members: Mapped[list["User"]] = relationship(back_populates="team")

    @property
    def full_name(self):
        return f"{self.org.name} / {self.name}"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Member lists and counts filter on both. No index on ``active`` alone:
        # nearly everyone is active, and on SQLite (no planner statistics) such an
        # index lured joins into walking every active user (see bench/README.md).
        Index("ix_users_team_id_active", "team_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    location: Mapped[str] = mapped_column(String(100), default="")
    seniority: Mapped[Seniority | None] = mapped_column(
        enum_column(Seniority, "seniority")
    )
    bio_markdown: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Set when the person follows a link emailed to this address (confirming
    # it, or resetting the password); until then the account cannot sign in.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members")
    role_grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user",
        lazy="selectin",
        cascade="all, delete-orphan",
        foreign_keys="RoleGrant.user_id",
    )

    @property
    def is_active(self):
        return self.active

    # The secret of the session being started, read by Flask-Login when it
    # writes the session and remember cookies (see portal.auth.sessions).
    session_token = None
    current_session_id = None

    def get_id(self):
        return self.session_token

    @property
    def roles(self):
        return {grant.role for grant in self.role_grants}

    def has_role(self, role):
        return role in self.roles

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


class RoleGrant(db.Model):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(
        back_populates="role_grants", foreign_keys=[user_id]
    )
