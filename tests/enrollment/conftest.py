"""Enrollment fixtures: a program manager, cohorts, applicants, enrollments in
any state, required training modules synced from files, and clients whose
requests run as they would in production."""

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Seniority
from portal.database import utcnow
from portal.enrollment import cohorts, services
from portal.enrollment.models import Enrollment, EnrollmentEvent
from portal.extensions import db as _db
from portal.training.certificates import certify_if_complete
from portal.training.models import ModuleProgress
from portal.training.queries import required_modules
from portal.training.standing import TrainingPolicy
from portal.training.sync import sync_content
from tests.helpers import fresh, login_as, row_counts  # noqa: F401 (re-exported)

# In the past, so that what views do at the real time happens after it.
NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
MOTIVATION = "I want to help my team ship software that stays secure."


@pytest.fixture
def signed_in(app):
    """A new client (a browser of its own) signed in as ``user``."""

    def make(user):
        client = app.test_client()
        login_as(client, user)
        return client

    return make


@pytest.fixture
def make_applicant(make_user, make_team):
    """An engineer in a team, with a location and a seniority."""

    def make(team=None, location="Dublin", seniority=Seniority.MID, **fields):
        return make_user(
            team=team or make_team(), location=location, seniority=seniority, **fields
        )

    return make


@pytest.fixture
def make_cohort(db, program_manager):
    """A cohort opened through the service; by default it starts two weeks from
    the real today, so after NOW too."""
    counter = iter(range(1, 1000))

    def make(name=None, capacity=5, start_date=None, due_dates=None):
        cohort = cohorts.create_cohort(
            program_manager,
            name=name or f"Cohort {next(counter)}",
            start_date=start_date or today() + timedelta(days=14),
            capacity=capacity,
            due_dates=due_dates or {},
            now=NOW,
        )
        db.session.commit()
        return cohort

    return make


@pytest.fixture
def apply_for(db):
    """``user`` applies through the service, guarding their own team by default."""

    def apply(user, team=None, hours=4, now=NOW, motivation=MOTIVATION):
        enrollment = services.apply(
            user,
            guarded_team_id=(team or user.team).id,
            motivation=motivation,
            manager_email="Boss@Example.com",
            hours_per_week=hours,
            now=now,
        )
        db.session.commit()
        return enrollment

    return apply


@pytest.fixture
def enrollment_in(db):
    """An enrollment row put straight into ``status`` (setup for later steps)."""

    def make(user, status, team=None, cohort=None, steps_down_on=None, hours=4):
        enrollment = Enrollment(
            user_id=user.id,
            status=status,
            guarded_team_id=(team or user.team).id,
            motivation=MOTIVATION,
            manager_email="boss@example.com",
            hours_per_week=hours,
            cohort_id=cohort.id if cohort else None,
            steps_down_on=steps_down_on,
            created_at=NOW,
            updated_at=NOW,
        )
        _db.session.add(enrollment)
        db.session.commit()
        return enrollment

    return make


MODULE_META = """+++
title = {title}
summary = "A short module for enrollment tests."
version = 1
estimated_minutes = 20
prerequisites = []
required = true
pass_mark = 80
attempts_allowed = 3
cooldown_minutes = 0
tags = ["basics"]
order = {order}
competency = "Do what the module teaches."
+++

Some text to read.
"""

QUIZ = """[[questions]]
id = "pick-one"
type = "single"
prompt = "Which door is the right one?"
explanation = "The red one."
choices = [
  { id = "a", text = "The red door", correct = true },
  { id = "b", text = "The blue door" },
]
"""


@pytest.fixture
def make_required_modules(db, tmp_path):
    """Write ``count`` required modules as files and sync them for real."""
    root = tmp_path / "modules"

    def make(count=1):
        start = len(list(root.iterdir())) if root.exists() else 0
        for number in range(start + 1, start + count + 1):
            folder = root / f"module-{number:02}"
            folder.mkdir(parents=True)
            title = json.dumps(f"Required module {number:02}")
            (folder / "module.md").write_text(
                MODULE_META.format(title=title, order=number), encoding="utf-8"
            )
            (folder / "quiz.toml").write_text(QUIZ, encoding="utf-8")
        sync_content(root)
        db.session.commit()
        return required_modules()

    return make


def pass_required_training(user, now=NOW):
    """Record every required module as passed, then ask training to certify."""
    for module in required_modules():
        _db.session.add(
            ModuleProgress(
                user_id=user.id,
                module_id=module.id,
                attempts=1,
                best_score=100.0,
                last_attempt_at=now,
                passed_at=now,
                passed_version_id=module.current_version_id,
            )
        )
    _db.session.flush()
    certificate = certify_if_complete(user, now, TrainingPolicy())
    _db.session.commit()
    return certificate


def history(enrollment_id):
    """The (from, to) steps recorded for an enrollment, oldest first."""
    return _db.session.execute(
        select(EnrollmentEvent.from_status, EnrollmentEvent.to_status)
        .where(EnrollmentEvent.enrollment_id == enrollment_id)
        .order_by(EnrollmentEvent.id)
    ).all()


def field_error(page, field):
    """The error text shown under a form field, or None."""
    match = re.search(
        rf'id="{field}-error" class="invalid-feedback">(.*?)</div>', page, re.S
    )
    return html.unescape(match.group(1)) if match else None


def today():
    return utcnow().date()
