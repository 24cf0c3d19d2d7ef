"""Fixtures for the security tests: signed-in clients, a victim, reset links
and real objects for every URL parameter."""

import re
import shutil
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.auth.links import issue_link
from portal.auth.models import LinkPurpose
from portal.auth.services import request_password_reset
from portal.auth.sessions import start_session
from portal.config import PROJECT_ROOT
from portal.database import utcnow
from portal.enrollment import cohorts
from portal.enrollment import services as enrollment_services
from portal.extensions import db as _db
from portal.mail.links import preferences_url
from portal.mail.models import OutboxMessage
from portal.notifications.services import notify
from portal.recognition import services as recognition_services
from portal.recognition.models import AwardKind
from portal.reviews.models import (
    Finding,
    Part,
    Review,
    ReviewPerson,
    ReviewStage,
    Severity,
)
from portal.training.certificates import certify_if_complete
from portal.training.models import ModuleProgress
from portal.training.queries import required_modules
from portal.training.services import active_module, start_attempt
from portal.training.standing import TrainingPolicy
from portal.training.sync import sync_content
from tests.helpers import login_as

RESET_LINK = re.compile(r"/auth/reset/([A-Za-z0-9_-]+)")


@pytest.fixture
def make_app(app, app_factory):
    """An app with config overrides; the shared app's context stays pushed for
    the test's own queries."""
    return app_factory


@pytest.fixture
def signed_in(app):
    """A new client (a browser of its own) signed in as ``user``."""

    def make(user, remember=False):
        client = app.test_client()
        login_as(client, user, remember=remember)
        return client

    return make


@pytest.fixture
def victim(make_user, make_team):
    """A colleague, holding the guardian role, whom the intruder targets."""
    return make_user(
        email="victim@example.com",
        name="Vera Victim",
        team=make_team(),
        roles=["guardian"],
    )


def newest_reset_token(email):
    """The token in the newest reset email queued for ``email``."""
    message = _db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no email was queued for {email}"
    match = RESET_LINK.search(message.body_text)
    assert match, "the reset email carries no reset link"
    return match.group(1)


@pytest.fixture
def reset_token(app, db):
    """Issue a real reset link for ``user`` through the service; return its token."""

    def issue(user):
        request_password_reset(
            user.email, now=utcnow(), allowed_domains=["example.com"]
        )
        db.session.commit()
        return newest_reset_token(user.email)

    return issue


def audit_count():
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(AuditEvent))


def is_signed_in(client):
    """True when the start page greets a signed-in person."""
    page = client.get("/")
    assert page.status_code == 200
    return "Welcome, " in page.text


def shows_landing_page(client):
    page = client.get("/")
    return page.status_code == 200 and "Become a Security Guardian" in page.text


FIRST_MODULE = "guardian-role"  # in content/, with no prerequisites


@pytest.fixture
def objects(db, make_user, make_org, make_team, reset_token, tmp_path, reviewer):
    """Real objects for the URL parameters, all about a target none of the actors is."""
    org = make_org(name="Payments")
    team = make_team(name="Checkout", org=org)
    target = make_user(
        email="target@example.com",
        name="Tara Target",
        team=team,
        roles=[Role.GUARDIAN.value],
    )
    notification = notify(
        target,
        "roles",
        "You now hold the Guardian role.",
        now=utcnow(),
        link=f"/people/{target.id}",
    )
    db.session.commit()
    preferences_token = preferences_url(target).rpartition("/")[2]
    links = _account_links(target)
    device = start_session(
        target,
        remember=False,
        user_agent="Firefox",
        address="192.0.2.10",
        now=utcnow(),
        config=current_app.config,
    )
    db.session.commit()
    training = _training_objects(db, target, make_user(), tmp_path / "modules")
    manager = make_user(roles=["program_manager"])
    return {
        **training,
        **_enrollment_objects(db, target, manager),
        **_recognition_objects(db, target, manager),
        **_review_objects(db, target, reviewer),
        "user_id": target.id,
        "org_id": org.id,
        "team_id": team.id,
        "role": Role.GUARDIAN.value,
        "notification_id": notification.id,
        "session_id": device.id,
        # Each route names its own token: reset, confirmation, sign-in and
        # email-preference links.
        "auth.reset_password:token": reset_token(target),
        **links,
        "notifications.email_preferences:token": preferences_token,
    }


def _account_links(target):
    """Live confirmation and sign-in links for the target, by route."""
    links = {}
    for endpoint, purpose in (
        ("auth.confirm_email", LinkPurpose.VERIFY_EMAIL),
        ("auth.sign_in_link", LinkPurpose.SIGN_IN),
    ):
        url = issue_link(target, purpose, timedelta(hours=1), utcnow())
        links[f"{endpoint}:token"] = url.rpartition("/")[2]
    return links


def _training_objects(db, target, graduate, modules_dir):
    """A real module, an attempt the target started, a graduate's certificate."""
    now = utcnow()
    # One module from content/, so modules being written there now do not matter.
    source = PROJECT_ROOT / "content" / "modules" / FIRST_MODULE
    shutil.copytree(source, modules_dir / FIRST_MODULE)
    sync_content(modules_dir)
    module = active_module(FIRST_MODULE)
    attempt = start_attempt(target, module, now)
    for required in required_modules():
        db.session.add(
            ModuleProgress(
                user_id=graduate.id,
                module_id=required.id,
                attempts=1,
                best_score=100.0,
                last_attempt_at=now,
                passed_at=now,
                passed_version_id=required.current_version_id,
            )
        )
    db.session.flush()
    certificate = certify_if_complete(graduate, now, TrainingPolicy())
    db.session.commit()
    return {
        "slug": module.slug,
        "attempt_id": attempt.id,
        "code": certificate.verification_code,
    }


def _enrollment_objects(db, target, manager):
    """The target's Guardian application, and a cohort with a training due date."""
    now = utcnow()
    enrollment = enrollment_services.apply(
        target,
        guarded_team_id=target.team_id,
        motivation="I want to help my team ship secure software.",
        manager_email="boss@example.com",
        hours_per_week=4,
        now=now,
    )
    start = now.date() + timedelta(days=14)
    cohort = cohorts.create_cohort(
        manager,
        name="Spring",
        start_date=start,
        capacity=5,
        due_dates={m.id: start + timedelta(days=30) for m in required_modules()},
        now=now,
    )
    db.session.commit()
    return {"enrollment_id": enrollment.id, "cohort_id": cohort.id}


def _review_objects(db, target, reviewer):
    """An approved review of the target's team that the target supported as its
    Guardian and the ``reviewer`` fixture reviewed, with one listed finding."""
    now = utcnow()
    review = Review(
        title="Checkout API",
        team_id=target.team_id,
        opened_on=now.date() - timedelta(days=30),
        closed_on=now.date(),
        stage=ReviewStage.APPROVED,
        stage_entered_at=now,
        people=[
            ReviewPerson(user_id=target.id, part=Part.GUARDIAN),
            ReviewPerson(user_id=reviewer.id, part=Part.REVIEWER),
        ],
    )
    db.session.add(review)
    db.session.flush()
    finding = Finding(
        review_id=review.id, title="Open redirect", severity=Severity.MEDIUM
    )
    db.session.add(finding)
    db.session.commit()
    return {"review_id": review.id, "finding_id": finding.id}


def _recognition_objects(db, target, manager):
    """An award the target was granted (with its points), to revoke."""
    now = utcnow()
    kind = AwardKind(name="Guardian of the Quarter", points=50, created_at=now)
    db.session.add(kind)
    db.session.flush()
    award = recognition_services.grant_award(
        manager, target.email, kind, "For *steady* help.", 50, now
    )
    db.session.commit()
    return {"award_id": award.id}
