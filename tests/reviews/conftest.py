"""Review fixtures: the people around one team's review, reviews put straight
into any stage, active Guardians of a team, signed-in clients, and the helpers
that prove a refused step changed nothing."""

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from portal.accounts.models import Team, User
from portal.audit.models import AuditEvent
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.extensions import db as _db
from portal.notifications.models import Notification
from portal.reviews.models import (
    Part,
    Review,
    ReviewEvent,
    ReviewPerson,
    ReviewStage,
    Survey,
)
from portal.reviews.surveys import guide_edition_in_force
from tests.helpers import fresh, login_as, row_counts  # noqa: F401 (re-exported)

# A Monday in the past (ISO week 2025-W23): what views do at the real time
# happens after it.
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
ANSWERS = {"q1": 4, "q2": 5, "q3": 1, "q4": 3}


@pytest.fixture
def signed_in(app):
    """A new client (a browser of its own) signed in as ``user``."""

    def make(user):
        client = app.test_client()
        login_as(client, user)
        return client

    return make


@pytest.fixture
def guard(db):
    """Make ``user`` an active Guardian of ``team``: the enrollment row the
    enrollment lifecycle ends with (or another ``status``)."""

    def make(user, team, status=EnrollmentStatus.ACTIVE):
        _db.session.add(
            Enrollment(
                user_id=user.id,
                status=status,
                guarded_team_id=team.id,
                motivation="I guard this team.",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_review(db, make_team):
    """A review row put straight into ``stage`` (setup for later steps), with
    its supporting Guardians and reviewers; no history, no audit."""
    counter = iter(range(1, 100_000))

    def make(
        team=None,
        stage=ReviewStage.ENGAGED,
        guardians=(),
        reviewers=(),
        title=None,
        opened_on=None,
        entered_at=NOW,
    ):
        review = Review(
            title=title or f"Service {next(counter)}",
            team=team or make_team(),
            opened_on=opened_on or entered_at.date() - timedelta(days=30),
            closed_on=entered_at.date() if stage.is_closed else None,
            stage=stage,
            stage_entered_at=entered_at,
            created_at=NOW,
            updated_at=NOW,
            people=[ReviewPerson(user_id=u.id, part=Part.GUARDIAN) for u in guardians]
            + [ReviewPerson(user_id=u.id, part=Part.REVIEWER) for u in reviewers],
        )
        db.session.add(review)
        db.session.commit()
        return review

    return make


@dataclass
class Cast:
    """Everyone around one team's reviews, each as the lifecycle sees them."""

    team: Team
    member: User  # an engineer of the team
    team_guardian: User  # an active Guardian of the team, not on the review
    supporter: User  # the review's supporting Guardian, from another team
    reviewer: User  # the security reviewer listed on the review
    other_reviewer: User  # a security reviewer not on it: records it
    manager: User  # a program manager: records it
    admin: User
    outside_guardian: User  # an active Guardian of another team
    outside_engineer: User  # an engineer of another team
    intruder: User

    def review(self, make_review, stage=ReviewStage.ENGAGED, **fields):
        return make_review(
            team=self.team,
            stage=stage,
            guardians=[self.supporter],
            reviewers=[self.reviewer],
            **fields,
        )


@pytest.fixture
def cast(
    make_user,
    make_team,
    guard,
    reviewer,
    program_manager,
    admin,
    guardian,
    engineer,
    intruder,
):
    team = make_team(name="Checkout")
    outside_guardian = guard(guardian, guardian.team)
    return Cast(
        team=team,
        member=make_user(name="Mia Member", team=team),
        # Of another team: they see the review only as the team's Guardian.
        team_guardian=guard(
            make_user(
                name="Tom Teamguard", roles=["guardian"], team=make_team(name="Ops")
            ),
            team,
        ),
        supporter=make_user(
            name="Sam Supporter", roles=["guardian"], team=make_team(name="Payments")
        ),
        reviewer=reviewer,
        other_reviewer=make_user(
            name="Olga Otherreviewer", roles=["security_reviewer"]
        ),
        manager=program_manager,
        admin=admin,
        outside_guardian=outside_guardian,
        outside_engineer=engineer,
        intruder=intruder,
    )


def review_state(review_id):
    """Everything a stage change touches: the review's row, its history and
    audit rows, and every notification."""
    _db.session.expire_all()
    review = _db.session.get(Review, review_id)
    return {
        "row": (
            review.stage,
            review.stage_entered_at,
            review.closed_on,
            review.updated_at,
        ),
        "events": history(review_id),
        "audit": audit_rows(review_id),
        "notifications": notifications(),
    }


def history(review_id):
    """The (from, to, actor) steps recorded for a review, oldest first."""
    return _db.session.execute(
        select(ReviewEvent.from_stage, ReviewEvent.to_stage, ReviewEvent.actor_id)
        .where(ReviewEvent.review_id == review_id)
        .order_by(ReviewEvent.id)
    ).all()


def audit_rows(review_id, action=None):
    """(action, actor id, details) of the review's audit events, oldest first."""
    query = select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.details).where(
        AuditEvent.target_type == "review", AuditEvent.target_id == str(review_id)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return [tuple(row) for row in _db.session.execute(query.order_by(AuditEvent.id))]


def notifications(kind=None):
    """(recipient id, kind, title, link) of every notification, oldest first."""
    query = select(
        Notification.recipient_id,
        Notification.kind,
        Notification.title,
        Notification.link,
    )
    if kind:
        query = query.where(Notification.kind == kind)
    return [tuple(row) for row in _db.session.execute(query.order_by(Notification.id))]


def recipients(kind):
    return sorted(row[0] for row in notifications(kind))


def surveys_of(review_id):
    _db.session.expire_all()
    return _db.session.scalars(
        select(Survey).where(Survey.review_id == review_id).order_by(Survey.id)
    ).all()


def first_guide_edition():
    """Store the shipped guide as edition 1 (as the first answer would)."""
    edition = guide_edition_in_force(NOW)
    _db.session.commit()
    return edition


@contextmanager
def meeting_before(engine, statement_start, parties=2):
    """Hold each of ``parties`` threads just before it runs a statement that
    begins with ``statement_start``, and release them together.

    Only on PostgreSQL: there two transactions both read before either writes,
    so they meet before the write that decides. On SQLite every writing
    transaction begins IMMEDIATE and the second waits at its first statement
    for the first to commit, so they never both reach the write (and holding
    the first there would wait for ever).
    """
    meeting = threading.Barrier(parties, timeout=60)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(statement_start):
            meeting.wait()

    meets = engine.dialect.name == "postgresql"
    if meets:
        event.listen(engine, "before_cursor_execute", hold)
    try:
        yield meets
    finally:
        if meets:
            event.remove(engine, "before_cursor_execute", hold)
