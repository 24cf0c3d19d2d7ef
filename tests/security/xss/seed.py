"""The people and objects the battery writes into, made through the portal's
own services: enough of each kind that every packed value lands on an object
of its own (an edit never overwrites an earlier payload), in every state that
shows a form (applied, active Guardian, certified, in training)."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Org, Role, RoleGrant, Team, User
from portal.auth.passwords import hash_password
from portal.auth.services import request_password_reset
from portal.config import PROJECT_ROOT
from portal.enrollment import cohorts
from portal.enrollment import services as enrollment
from portal.extensions import db
from portal.mail.links import preferences_url
from portal.mail.models import OutboxMessage
from portal.recognition import services as recognition
from portal.reviews import services as review_services
from portal.reviews.models import ReviewStage
from portal.training.certificates import certify_if_complete
from portal.training.models import Module, ModuleProgress
from portal.training.queries import required_modules
from portal.training.services import active_module, start_attempt
from portal.training.standing import TrainingPolicy
from portal.training.sync import sync_content
from tests.helpers import PASSWORD
from tests.security.conftest import RESET_LINK


@dataclass
class Seeded:
    # Who signs in for each role while forms are filled, in order.
    crawlers: dict
    # Who signs in for each role while pages are rendered.
    viewers: dict
    # Real objects for URL parameters while forms are filled, in order.
    params: dict = field(default_factory=dict)
    # Colleagues with no application, for email fields (a nominee), in order.
    emails: list = field(default_factory=list)


class _People:
    def __init__(self, team, now):
        self.team, self.now = team, now
        self.password_hash = hash_password(PASSWORD)

    def make(self, label, number, roles=()):
        user = User(
            email=f"{label}{number}@example.com",
            display_name=f"{label.capitalize()} {number}",
            password_hash=self.password_hash,
            email_verified_at=self.now,
            team=self.team,
            location="Lisbon",
            created_at=self.now,
        )
        user.role_grants = [RoleGrant(role=r, granted_at=self.now) for r in roles]
        db.session.add(user)
        return user

    def many(self, label, how_many, roles=()):
        users = [self.make(label, n, roles) for n in range(how_many)]
        db.session.flush()
        return users


def _pass_required(user, now):
    """Every required module passed, then the certificate it earns."""
    for module in required_modules():
        db.session.add(
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
    db.session.flush()
    return certify_if_complete(user, now, TrainingPolicy())


def _apply(user, now):
    return enrollment.apply(
        user,
        guarded_team_id=user.team_id,
        motivation="I want to help my team ship secure software.",
        manager_email="manager@example.com",
        hours_per_week=3,
        now=now,
    )


def _orgs_and_teams(worlds):
    orgs = [Org(name=f"Org {n}", description="") for n in range(worlds)]
    teams = [
        Team(org=org, name=f"Team {n}", description="") for n, org in enumerate(orgs)
    ]
    db.session.add_all(teams)
    db.session.flush()
    return orgs, teams


def _guardians(people, manager, now, how_many):
    cohort = cohorts.create_cohort(
        manager,
        name="Guardians cohort",
        start_date=now.date(),
        capacity=how_many,
        due_dates={},
        now=now,
    )
    guardians = people.many("guardian", how_many)
    applications = []
    for user in guardians:
        application = _apply(user, now)
        enrollment.place_in_cohort(manager, application, cohort, now)
        _pass_required(user, now)
        applications.append(application)
    return guardians, applications


def _reset_token(user, now):
    request_password_reset(user.email, now=now, allowed_domains=["example.com"])
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == user.email)
    ).first()
    return RESET_LINK.search(message.body_text).group(1)


def _cohorts(manager, how_many, now):
    start = now.date() + timedelta(days=60)
    return [
        cohorts.create_cohort(
            manager, name=f"Cohort {n}", start_date=start, capacity=5,
            due_dates={}, now=now,
        )
        for n in range(how_many)
    ]  # fmt: skip


def _interleaved(*lists):
    return [item for items in zip(*lists, strict=True) for item in items]


def _reviews(how_many, manager, guardian, reviewer, now):
    """Open reviews the Guardian supports and the reviewer reviews, and as
    many approved ones whose survey the reviewer has still to fill."""
    made = []
    for n in range(2 * how_many):
        review = review_services.create_review(
            manager,
            title=f"Review {n}",
            team_id=guardian.team_id,
            ticket_url="",
            opened_on=now.date(),
            guardians=guardian.email,
            reviewers=reviewer.email,
            now=now,
        )
        made.append(review)
    for review in made[how_many:]:
        for stage in (ReviewStage.GUIDANCE, ReviewStage.SUBMITTED):
            review_services.move_review(manager, review, stage, now=now)
        for stage in (ReviewStage.IN_REVIEW, ReviewStage.APPROVED):
            review_services.move_review(reviewer, review, stage, now=now)
    return made[:how_many], made[how_many:]


def _awards_to_revoke(manager, person, how_many, now):
    """Awards dated a day ahead: the awards page lists them first, so the
    battery revokes these and the citations it writes stay on the wall."""
    kind = recognition.define_award_kind(manager, "Seeded award", "", 0, now)
    for number in range(how_many):
        # A day apart: the same award goes to a person once a day.
        granted = now + timedelta(days=1 + number)
        recognition.grant_award(manager, person.email, kind, "Seeded", 0, granted)


def seed(worlds, once, now):
    """Everything the battery needs: ``worlds`` objects of each kind that is
    edited, ``once`` of each state a form can be sent from only once (an
    application declined, a certificate revoked)."""
    sync_content(PROJECT_ROOT / "content" / "modules")
    orgs, teams = _orgs_and_teams(worlds)
    people = _People(teams[0], now)
    admin = people.make("admin", 0, [Role.ADMIN])
    manager = people.make("manager", 0, [Role.PROGRAM_MANAGER])
    writers = people.many("writer", worlds + once)
    for writer in writers[worlds:]:  # an application to withdraw, from the start
        _apply(writer, now)
    # Half step down themselves, the others are moved to alumni: a step-down
    # dated today (what the form offers) takes effect at once.
    guardians, enrolled = _guardians(people, manager, now, 2 * once)
    applications = [_apply(user, now) for user in people.many("applicant", once)]
    graduates = people.many("graduate", once)
    certificates = [_pass_required(user, now) for user in graduates]
    targets = people.many("target", once)
    nominees = people.many("nominee", worlds + once)
    viewer = nominees[0]
    attempt = start_attempt(viewer, active_module("guardian-role"), now)
    reviewer = people.make("reviewer", 0, [Role.SECURITY_REVIEWER])
    # Guardians to thank: their record pages carry the kudos form.
    thanked = people.many("thanked", once, [Role.GUARDIAN])
    db.session.flush()
    _awards_to_revoke(manager, thanked[0], worlds, now)
    open_reviews, approved = _reviews(worlds, manager, guardians[0], reviewer, now)
    return Seeded(
        crawlers={
            "anonymous": [None],
            "engineer": writers,
            "guardian": guardians[:once],
            "reviewer": [reviewer],
            # The second signs in for forms that ask first (revoking awards).
            "program_manager": [
                manager,
                people.make("manager", 1, [Role.PROGRAM_MANAGER]),
            ],
            "admin": [admin],
        },
        viewers={
            "anonymous": None,
            "engineer": viewer,
            "reviewer": reviewer,
            "program_manager": manager,
            "admin": admin,
        },
        params={
            "user_id": [u.id for u in targets],
            "org_id": [o.id for o in orgs],
            "team_id": [t.id for t in teams],
            "cohort_id": [c.id for c in _cohorts(manager, worlds, now)],
            # Interleaved, so that the first pages show both kinds' forms.
            "enrollment_id": [
                e.id for e in _interleaved(applications, enrolled[once:])
            ],
            "code": [c.verification_code for c in certificates],
            "slug": sorted(db.session.scalars(select(Module.slug))),
            "attempt_id": [attempt.id],
            "review_id": [r.id for r in open_reviews],
            "surveys.fill:review_id": [r.id for r in approved],
            "recognition.person:user_id": [u.id for u in thanked],
            "auth.reset_password:token": [_reset_token(targets[-1], now)],
            "notifications.email_preferences:token": [
                preferences_url(viewer).rpartition("/")[2]
            ],
        },
        emails=[u.email for u in nominees],
    )
