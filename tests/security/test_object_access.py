"""Object-level access: nobody reads or changes another person's objects.

KINDS has one row per mapped model, so a new kind of object fails
``test_every_model_is_in_the_table`` by name until someone decides who may
reach it:

- ``Owned``: someone's own objects. A factory makes one (or one per state that
  matters) for person A; every route that reaches it is listed with what an
  ordinary colleague B gets: OWNER_ONLY (404, as if it did not exist),
  PROGRAM or ADMIN (403 or 404: the page is not theirs at all).
- ``ProgramWide``: program objects with no owner (cohorts): refused to B.
- ``Directory``: public directory data, readable by every colleague
  (DIRECTORY, GET only); its changes are refused.
- ``SecretLink``: reached only by an unguessable link (a certificate's code,
  an emailed token): a guessed or forged link is refused and changes nothing,
  and no page B can reach shows A's secret.
- ``PartOf``: rows reached only through their parent's routes; the parent's
  factory must make one, so the parent's checks cover it.
- ``NotPersonal``: nothing personal to reach, with the reason.

Every route with an object in its address must be listed by some row, so a
new route cannot skip the sweep. B is an ordinary engineer, and a Guardian;
a fingerprint of every table before and after each request shows that B's
requests change nothing.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from itertools import product
from urllib.parse import urlsplit

import pytest
from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from portal import create_app
from portal.accounts.models import Role, RoleGrant
from portal.auth.links import issue_link
from portal.auth.models import LinkPurpose
from portal.auth.services import request_password_reset
from portal.auth.sessions import start_session
from portal.database import utcnow
from portal.enrollment import cohorts
from portal.enrollment import services as enrollment_services
from portal.extensions import db
from portal.mail.links import PREFERENCES_SALT, password_fingerprint, preferences_url
from portal.notifications.kinds import Delivery
from portal.notifications.services import notify, set_preferences
from portal.recognition import services as recognition_services
from portal.recognition.badges import BADGES
from portal.recognition.models import AwardKind, BadgeAward
from portal.reviews import services as review_services
from portal.reviews import surveys as review_surveys
from portal.reviews.models import FindingStatus, Review, Severity
from portal.reviews.models import ReviewStage as S
from portal.training import services as training_services
from portal.training.models import AttemptStatus, QuizAttempt
from portal.training.queries import latest_certificate
from tests.helpers import test_config as portal_test_config
from tests.security.conftest import newest_reset_token
from tests.training.conftest import (
    correct_answers,
    quiz_form_data,
    sync,
    take_quiz,
    write_module,
)

OWNER_ONLY = "owner only"  # anyone else: 404, as if it did not exist
PROGRAM = "program managers"  # anyone else: 403 (or 404)
ADMIN = "admins"  # anyone else: 403 (or 404)
DIRECTORY = "every colleague"  # public directory data: 200, GET only
# A review's recorders (its reviewers, program managers) and its supporting
# Guardian; the owner, a member of its team, sees it but may not do all of it.
ON_THE_REVIEW = "the people the review names"
REFUSED = {
    OWNER_ONLY: {404},
    PROGRAM: {403, 404},
    ADMIN: {403, 404},
    ON_THE_REVIEW: {404},
}
GUESSED_LINK = "a guessed link"  # 404
RESET_LINK_REFUSED = (302, "/auth/reset")  # the reset page's own "no longer valid"
SIGNED_IN_ALREADY = (302, "/")  # a link page sends a signed-in person home

# URL parameters that name no object anyone owns.
NOT_OBJECTS = {
    "slug": "a module of the curriculum, the same for everyone signed in",
    "filename": "static files",
}
SKIPPED = {"static", "bootstrap.static"}
COLLEAGUES = ("engineer", "guardian")
OWNER_NAME, OWNER_EMAIL = "Olive Owner", "olive.owner@example.com"
MOTIVATION = "Olive wants to guard the ledger team"
NOTICE = "Olive, your secret review is scheduled"
COHORT = "Autumn intake for Olive"
NEW_PASSWORD = "a brand new passphrase for olive"


@dataclass(frozen=True)
class Owned:
    """Person A's own objects. ``make(world, owner)`` returns URL values, one
    dict per object; ``data`` gives well-formed form data per endpoint (what
    the owner would post); ``pages`` are the owner's own pages that link to
    the object (``link``); ``reveals`` is text of the object no one else may
    see."""

    make: object
    routes: dict
    data: dict = field(default_factory=dict)
    pages: tuple = ()
    link: object = None
    reveals: object = lambda values: []


@dataclass(frozen=True)
class ProgramWide(Owned):
    """Objects of the whole program, behind the program manager pages."""


@dataclass(frozen=True)
class Directory(Owned):
    """Public directory data: colleagues read it, only admins change it."""


@dataclass(frozen=True)
class SecretLink:
    """Reached only through an unguessable link. ``guesses(values)`` are links
    someone without it could try; ``routes`` says what each answers to them;
    ``secret(values)`` must not appear on the pages B can reach, while the
    owner sees it on ``shown_on``."""

    make: object
    routes: dict
    guesses: object
    secret: object
    shown_on: tuple = ()
    data: dict = field(default_factory=dict)

    # The genuine link of each endpoint, when one object has several
    # (``values["links"][endpoint]``); otherwise ``values`` itself.
    def genuine(self, endpoint, values):
        return values.get("links", {}).get(endpoint, values)


@dataclass(frozen=True)
class PartOf:
    parent: str
    reason: str


@dataclass(frozen=True)
class NotPersonal:
    reason: str


class World:
    """What the factories build on: a required module, a program manager, a
    colleague who nominates, a cohort. Made on first use only."""

    def __init__(self, make_user, make_team, content_root):
        self._make_user, self._make_team = make_user, make_team
        self._root = content_root

    @cached_property
    def module(self):
        write_module(self._root, "object-access", required=True, cooldown_minutes=0)
        sync(self._root)
        return training_services.active_module("object-access")

    @cached_property
    def manager(self):
        return self._make_user(name="Pam Program", roles=["program_manager"])

    @cached_property
    def reviewer(self):
        return self._make_user(name="Rex Reviewer", roles=["security_reviewer"])

    @cached_property
    def colleague(self):
        return self._make_user(name="Nico Nominator", team=self._make_team())

    @cached_property
    def cohort(self):
        start = utcnow().date() + timedelta(days=14)
        cohort = cohorts.create_cohort(
            self.manager,
            name=COHORT,
            start_date=start,
            capacity=5,
            due_dates={self.module.id: start + timedelta(days=30)},
            now=utcnow(),
        )
        db.session.commit()
        return cohort


def _attempts(world, owner):
    """A graded attempt (with its answers and progress) and one in progress."""
    module = world.module
    graded = take_quiz(owner, module, utcnow(), answers="wrong")
    in_progress = training_services.start_attempt(owner, module, utcnow())
    db.session.commit()
    return [{"attempt_id": a.id, "slug": module.slug} for a in (graded, in_progress)]


def _attempt_text(values):
    """What only the attempt's own page shows: the per-attempt tokens of a quiz
    in progress, the explanations of a graded attempt's wrong answers."""
    attempt = db.session.get(QuizAttempt, values["attempt_id"])
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return [entry["f"] for entry in attempt.layout] + [
            token for entry in attempt.layout for token, _ in entry["c"]
        ]
    version = attempt.module_version
    return [
        version.question(answer.question_id)["explanation"]
        for answer in attempt.answers
        if answer.credit < 1
    ]


def _quiz_answers(values):
    attempt = db.session.get(QuizAttempt, values["attempt_id"])
    return quiz_form_data(attempt, correct_answers(attempt.module_version))


def _nomination(world, owner):
    enrollment = enrollment_services.nominate(
        world.colleague,
        owner.email,
        guarded_team_id=owner.team_id,
        motivation=MOTIVATION,
        hours_per_week=3,
        now=utcnow(),
    )
    db.session.commit()
    return [{"enrollment_id": enrollment.id, "cohort_id": world.cohort.id}]


def _placed_in_cohort(world, owner):
    """A cohort with A placed in it (A's due dates come from it)."""
    enrollment = enrollment_services.apply(
        owner,
        guarded_team_id=owner.team_id,
        motivation=MOTIVATION,
        manager_email="lead@example.com",
        hours_per_week=3,
        now=utcnow(),
    )
    enrollment_services.place_in_cohort(
        world.manager, enrollment, world.cohort, utcnow()
    )
    db.session.commit()
    return [{"cohort_id": world.cohort.id, "enrollment_id": enrollment.id}]


def _notification(world, owner):
    notification = notify(owner, "roles", NOTICE, now=utcnow(), link="/training")
    db.session.commit()
    return [{"notification_id": notification.id}]


DEVICE_ADDRESS = "203.0.113.77"


def _other_device(world, owner):
    """A second browser the owner is signed in on."""
    row = start_session(
        owner,
        remember=True,
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
        address=DEVICE_ADDRESS,
        now=utcnow(),
        config=current_app.config,
    )
    db.session.commit()
    return [{"session_id": row.id}]


def _person(world, owner):
    db.session.add(RoleGrant(user=owner, role=Role.GUARDIAN, granted_at=utcnow()))
    db.session.commit()
    return [
        {"user_id": owner.id, "role": Role.GUARDIAN.value, "slug": world.module.slug}
    ]


def _org_and_team(world, owner):
    return [{"org_id": owner.team.org_id, "team_id": owner.team_id}]


def _certificate(world, owner):
    take_quiz(owner, world.module, utcnow(), answers="correct")
    certificate = latest_certificate(owner.id)
    return [{"code": certificate.verification_code, "certificate_id": certificate.id}]


def _certificate_guesses(values):
    code = values["code"]
    return [
        {"code": str(values["certificate_id"])},
        {"code": "1"},
        {"code": code[:-1] + ("A" if code[-1] != "A" else "B")},
    ]


def _account_links(world, owner):
    """A reset link, and the confirmation and sign-in links of the same kind."""
    request_password_reset(owner.email, now=utcnow(), allowed_domains=["example.com"])
    db.session.commit()
    token = newest_reset_token(owner.email)
    stored = hashlib.sha256(token.encode()).hexdigest()
    links = {}
    for endpoint, purpose in (
        ("auth.confirm_email", LinkPurpose.VERIFY_EMAIL),
        ("auth.sign_in_link", LinkPurpose.SIGN_IN),
    ):
        url = issue_link(owner, purpose, timedelta(hours=1), utcnow())
        links[endpoint] = {"token": url.rpartition("/")[2]}
    db.session.commit()
    return [{"token": token, "stored_hash": stored, "links": links}]


def _reset_guesses(values):
    token = values["token"]
    return [
        {"token": values["stored_hash"]},  # what a copy of the database shows
        {"token": token[:-1] + ("A" if token[-1] != "A" else "B")},
    ]


def _preferences_link(world, owner):
    set_preferences(owner, {"enrollment": Delivery.NEVER})
    db.session.commit()
    return [
        {
            "token": preferences_url(owner).rpartition("/")[2],
            "user_id": owner.id,
            "fingerprint": password_fingerprint(owner),
        }
    ]


def _preferences_guesses(values):
    """Links naming A that were not signed by the portal for email preferences."""
    payload = {"user": values["user_id"], "pw": values["fingerprint"]}
    wrong_key = URLSafeTimedSerializer("not the portal's key", salt=PREFERENCES_SALT)
    other_salt = URLSafeTimedSerializer(current_app.secret_key, salt="other-purpose")
    return [{"token": wrong_key.dumps(payload)}, {"token": other_salt.dumps(payload)}]


def _pages_about(owner):
    """Pages a colleague can open that are about A, or about themselves."""
    team = owner.team
    return [f"/people/{owner.id}", f"/teams/{team.id}", f"/orgs/{team.org_id}"] + [
        "/orgs",
        "/",
        "/notifications",
        "/training/progress",
        "/guardians/application",
    ]


REVIEW_TITLE = "Ledger reconciliation service for Olive"


def _review(world, owner):
    """Two reviews of A's team that A supports as its Guardian: one open with
    A's readiness check and a listed finding, one approved with its survey."""
    db.session.add(RoleGrant(user=owner, role=Role.GUARDIAN, granted_at=utcnow()))
    reviewer = world.reviewer
    db.session.commit()
    values = []
    for number in (1, 2):
        review = review_services.create_review(
            world.manager,
            title=f"{REVIEW_TITLE} {number}",
            team_id=owner.team_id,
            ticket_url="https://tickets.example.com/SEC-1",
            opened_on=utcnow().date(),
            guardians=owner.email,
            reviewers=reviewer.email,
            now=utcnow(),
        )
        finding = review_services.add_finding(
            world.manager,
            review,
            title="Ledger totals readable by any team",
            severity=Severity.HIGH,
            status=FindingStatus.OPEN,
            fixed_on=None,
            now=utcnow(),
        )
        values.append({"review_id": review.id, "finding_id": finding.id})
    first, second = (db.session.get(Review, v["review_id"]) for v in values)
    review_surveys.record_readiness(owner, first, READINESS, "", utcnow())
    for stage in (S.GUIDANCE, S.SUBMITTED):
        review_services.move_review(world.manager, second, stage, now=utcnow())
    for stage in (S.IN_REVIEW, S.APPROVED):
        review_services.move_review(reviewer, second, stage, now=utcnow())
    review_surveys.submit_survey(reviewer, second, READINESS, "Good", "", utcnow())
    db.session.commit()
    return values


CITATION = "Olive reconciled the ledger by hand"
KUDOS_NOTE = "Thanks for the ledger walkthrough"


def _award(world, owner, kind_name="Ledger Hero"):
    kind = db.session.scalar(select(AwardKind).where(AwardKind.name == kind_name))
    if kind is None:
        kind = recognition_services.define_award_kind(
            world.manager, kind_name, "", 40, utcnow()
        )
    award = recognition_services.grant_award(
        world.manager, owner.email, kind, CITATION, 40, utcnow()
    )
    db.session.commit()
    return award


def _hidden_record(world, owner):
    """A's recognition record while A, a Guardian, hides their name: points
    from an award and kudos, a badge, and the ledger behind them."""
    db.session.add(RoleGrant(user=owner, role=Role.GUARDIAN, granted_at=utcnow()))
    db.session.flush()
    _award(world, owner)
    recognition_services.give_kudos(world.colleague, owner, KUDOS_NOTE, utcnow())
    db.session.add(
        BadgeAward(
            user_id=owner.id,
            badge=next(iter(BADGES)),
            awarded_at=utcnow(),
            evidence="Olive's first review",
        )
    )
    recognition_services.set_name_hidden(owner, True, utcnow())
    db.session.commit()
    return [{"user_id": owner.id}]


def _granted_award(world, owner):
    return [{"award_id": _award(world, owner).id}]


READINESS = {"q1": 4, "q2": 3, "q3": 1, "q4": None}
ANSWERS = {"q1": "4", "q2": "3", "q3": "1", "q4": "n/a"}
INTERNAL = "internal bookkeeping of scheduled work, behind the admin jobs page"

KINDS = {
    "QuizAttempt": Owned(
        make=_attempts,
        routes={"training.attempt": OWNER_ONLY},
        data={"training.attempt": _quiz_answers},
        pages=("/training/modules/{slug}",),
        link="/training/attempts/{attempt_id}",
        reveals=_attempt_text,
    ),
    "QuizAnswer": PartOf("QuizAttempt", "graded answers show on the attempt's page"),
    "ModuleProgress": PartOf(
        "QuizAttempt",
        "a person's standing, kept by their graded attempts; program managers "
        "see it at /program/people/<user_id>/training (listed under User)",
    ),
    "Enrollment": Owned(
        make=_nomination,
        routes={
            "enrollment.confirm": OWNER_ONLY,
            "enrollment.withdraw": OWNER_ONLY,
            "enrollment.step_down": OWNER_ONLY,
            "program.application": PROGRAM,
            "program.approve": PROGRAM,
            "program.decline": PROGRAM,
            "program.make_alumni": PROGRAM,
        },
        data={
            "enrollment.withdraw": lambda v: {"reason": "not for me"},
            "enrollment.step_down": lambda v: {
                "steps_down_on": utcnow().date().isoformat(),
                "reason": "done",
            },
            "program.approve": lambda v: {"cohort_id": v["cohort_id"]},
            "program.decline": lambda v: {"reason": "declined by a colleague"},
            "program.make_alumni": lambda v: {"reason": "moved on"},
        },
        pages=("/guardians/application",),
        link="/guardians/application/{enrollment_id}/",
        reveals=lambda v: [MOTIVATION],
    ),
    "EnrollmentEvent": PartOf("Enrollment", "an application's history"),
    "UserSession": Owned(
        make=_other_device,
        routes={"devices.revoke": OWNER_ONLY},
        pages=("/profile/devices",),
        link="/profile/devices/{session_id}/revoke",
        reveals=lambda v: [DEVICE_ADDRESS],
    ),
    "Notification": Owned(
        make=_notification,
        routes={"notifications.open_notification": OWNER_ONLY},
        pages=("/notifications",),
        link="/notifications/{notification_id}/open",
        reveals=lambda v: [NOTICE],
    ),
    "NotificationPreference": SecretLink(
        make=_preferences_link,
        routes={"notifications.email_preferences": GUESSED_LINK},
        guesses=_preferences_guesses,
        secret=lambda v: v["token"],
        data={"notifications.email_preferences": lambda v: {"roles": "never"}},
    ),
    "Certificate": SecretLink(
        make=_certificate,
        # Verifying is public to anyone holding the link (by design); revoking
        # is for program managers (the route sweep covers the genuine code).
        routes={
            "training.certificate": GUESSED_LINK,
            "training.revoke_certificate": GUESSED_LINK,
        },
        guesses=_certificate_guesses,
        secret=lambda v: v["code"],
        shown_on=("/training/progress",),
        data={"training.revoke_certificate": lambda v: {"reason": "forged"}},
    ),
    "AccountLink": SecretLink(
        make=_account_links,
        routes={
            "auth.reset_password": RESET_LINK_REFUSED,
            "auth.confirm_email": SIGNED_IN_ALREADY,
            "auth.sign_in_link": SIGNED_IN_ALREADY,
        },
        guesses=_reset_guesses,
        secret=lambda v: v["token"],
        data={
            "auth.reset_password": lambda v: {
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            }
        },
    ),
    "Cohort": ProgramWide(
        make=_placed_in_cohort,
        routes={
            "cohorts.cohort": PROGRAM,
            "cohorts.edit": PROGRAM,
            "cohorts.close": PROGRAM,
            "cohorts.reopen": PROGRAM,
            "cohorts.delete": PROGRAM,
            "cohorts.progress": PROGRAM,
            "cohorts.progress_csv": PROGRAM,
            "cohorts.suggest": PROGRAM,
            "cohorts.place": PROGRAM,
        },
        data={
            "cohorts.edit": lambda v: {
                "name": "Taken over",
                "start_date": utcnow().date().isoformat(),
                "capacity": 50,
            },
            "cohorts.place": lambda v: {"enrollment_ids": [v["enrollment_id"]]},
        },
        reveals=lambda v: [COHORT],
    ),
    "CohortDueDate": PartOf("Cohort", "a cohort's training due dates"),
    "ModuleDueDate": PartOf(
        "Cohort", "a member's due dates, copied from the cohort they were placed in"
    ),
    "User": Directory(
        make=_person,
        routes={
            "accounts.person": DIRECTORY,
            "admin.user": ADMIN,
            "admin.grant_role": ADMIN,
            "admin.revoke_role": ADMIN,
            "admin.deactivate": ADMIN,
            "admin.reactivate": ADMIN,
            "training_program.person": PROGRAM,
            "training_program.grant_attempts": PROGRAM,
            "training_program.reset_module": PROGRAM,
        },
        data={
            "admin.grant_role": lambda v: {"role": Role.ADMIN.value},
            "admin.deactivate": lambda v: {"reason": "taken over"},
            "training_program.grant_attempts": lambda v: {"count": 3, "reason": "x"},
            "training_program.reset_module": lambda v: {"reason": "x"},
        },
    ),
    "RoleGrant": PartOf("User", "the roles on a public profile, changed by admins"),
    "Org": Directory(
        make=_org_and_team,
        routes={
            "accounts.org": DIRECTORY,
            "admin.edit_org": ADMIN,
            "program.set_ratio_target": PROGRAM,
        },
        data={
            "admin.edit_org": lambda v: {"name": "Taken over", "description": ""},
            "program.set_ratio_target": lambda v: {"target": 3},
        },
    ),
    "Team": Directory(
        make=_org_and_team,
        routes={"accounts.team": DIRECTORY, "admin.edit_team": ADMIN},
        data={
            "admin.edit_team": lambda v: {"org_id": v["org_id"], "name": "Taken over"}
        },
    ),
    "Review": Owned(
        make=_review,
        routes={
            "reviews.show": OWNER_ONLY,
            "reviews.edit": ON_THE_REVIEW,
            "reviews.move": ON_THE_REVIEW,
            "reviews.counts": ON_THE_REVIEW,
            "reviews.add_finding": ON_THE_REVIEW,
            "reviews.update_finding": ON_THE_REVIEW,
            "reviews.remove_finding": ON_THE_REVIEW,
            "surveys.fill": ON_THE_REVIEW,
            "surveys.readiness": ON_THE_REVIEW,
        },
        data={
            "reviews.edit": lambda v: {
                "title": "Taken over",
                "team_id": 1,
                "opened_on": utcnow().date().isoformat(),
            },
            "reviews.move": lambda v: {"stage": "guidance"},
            "reviews.counts": lambda v: {
                "critical_count": 9,
                "high_count": 9,
                "medium_count": 9,
                "low_count": 9,
                "informational_count": 9,
            },
            "reviews.add_finding": lambda v: {
                "title": "Planted",
                "severity": "low",
                "status": "open",
            },
            "reviews.update_finding": lambda v: {"status": "accepted_risk"},
            "surveys.fill": lambda v: {**ANSWERS, "feedback": "planted"},
            "surveys.readiness": lambda v: dict(ANSWERS),
        },
        pages=("/reviews/mine",),
        link="/reviews/{review_id}",
        reveals=lambda v: [REVIEW_TITLE, "Ledger totals readable"],
    ),
    "ReviewPerson": PartOf("Review", "the review's Guardians and reviewers"),
    "ReviewEvent": PartOf("Review", "a review's stage history"),
    "Finding": PartOf("Review", "findings listed on the review's page"),
    "ReadinessCheck": PartOf(
        "Review", "a supporting Guardian's self-rating, on the review's page"
    ),
    "Survey": PartOf("Review", "reviewers' surveys, on the review's page"),
    # A Guardian who hides their name: their record, ledger and kudos are as
    # if they did not exist for colleagues (program managers see them, below).
    "RecognitionPreference": Owned(
        make=_hidden_record,
        routes={
            "recognition.person": OWNER_ONLY,
            "recognition.history": OWNER_ONLY,
            "recognition.give_kudos": OWNER_ONLY,
        },
        data={"recognition.give_kudos": lambda v: {"note": "planted kudos"}},
        pages=("/recognition/leaderboard?period=all", "/recognition/"),
        link="/recognition/people/{user_id}",
    ),
    "Kudos": PartOf("RecognitionPreference", "kudos on the receiver's record"),
    "BadgeAward": PartOf("RecognitionPreference", "badges on the person's record"),
    "PointsEntry": PartOf(
        "RecognitionPreference",
        "the ledger: /recognition/people/<user_id>/points, for the person and "
        "program managers",
    ),
    "PointsTotal": PartOf(
        "RecognitionPreference", "running totals, on the record and the boards"
    ),
    "Award": Owned(
        make=_granted_award,
        routes={"recognition.revoke_award": PROGRAM},
        data={"recognition.revoke_award": lambda v: {"reason": "taken over"}},
        reveals=lambda v: [CITATION],
    ),
    "AwardKind": NotPersonal(
        "the kinds of award, listed for program managers at /recognition/awards"
    ),
    "PointsSnapshot": NotPersonal(
        "the weekly standings the boards compare ranks with; no page opens one"
    ),
    "GuideEdition": NotPersonal(
        "the calibration guide, the same for everyone signed in (/reviews/guide)"
    ),
    "AuditEvent": NotPersonal(
        "the audit log: admins only (/admin/audit and its export), append-only, "
        "no page opens one event"
    ),
    "Module": NotPersonal(
        "the curriculum, the same for everyone signed in, written only by "
        "`flask content sync`; addressed by slug"
    ),
    "ModuleVersion": NotPersonal("the curriculum's versions (see Module)"),
    "JobRun": NotPersonal(INTERNAL),
    "SentReminder": NotPersonal(INTERNAL),
    "OutboxMessage": NotPersonal(
        "the email outbox: admins see its queue at /admin/jobs; no page opens a message"
    ),
    "PasswordResetRequest": NotPersonal(
        "addresses typed into the reset form, for its job; no page reads them"
    ),
}

WITH_ROUTES = sorted(k for k, row in KINDS.items() if isinstance(row, Owned))
OWNED = sorted(k for k, row in KINDS.items() if type(row) is Owned)
SECRET_LINKS = sorted(k for k, row in KINDS.items() if isinstance(row, SecretLink))
PARTS = sorted(k for k, row in KINDS.items() if isinstance(row, PartOf))


def _rules():
    # create_app has no side effects and never connects here: it only lists routes.
    app = create_app(portal_test_config("sqlite://"))
    return [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]


RULES = _rules()


def _rules_naming_objects(endpoint):
    return [
        r
        for r in RULES
        if r.endpoint == endpoint and set(r.arguments) - set(NOT_OBJECTS)
    ]


def _object_rules(endpoint):
    """The endpoint's rules that name an object in their address."""
    rules = _rules_naming_objects(endpoint)
    assert rules, f"{endpoint} has no route with an object in its address"
    return rules


def _has_staff_pages(row):
    return any(
        expected in (PROGRAM, ADMIN) and "GET" in rule.methods
        for endpoint, expected in row.routes.items()
        for rule in _rules_naming_objects(endpoint)
    )


WITH_STAFF_PAGES = [k for k in WITH_ROUTES if _has_staff_pages(KINDS[k])]


# The table itself.


def test_every_model_is_in_the_table():
    mappers = list(db.Model.registry.mappers)
    models = {mapper.class_.__name__ for mapper in mappers}
    missing = sorted(models - KINDS.keys())
    assert not missing, (
        f"kinds of object missing from KINDS (say who may reach each): {missing}"
    )
    stale = sorted(KINDS.keys() - models)
    assert not stale, f"KINDS lists models that no longer exist: {stale}"
    mapped = {table.name for mapper in mappers for table in mapper.tables}
    unmapped = sorted({t.name for t in db.metadata.sorted_tables} - mapped)
    assert not unmapped, f"tables without a model, so without a row here: {unmapped}"
    for name, row in KINDS.items():
        if isinstance(row, PartOf):
            parent = KINDS[row.parent]
            assert isinstance(parent, Owned | SecretLink), f"{name}: bad parent"


def test_every_route_with_an_object_in_its_address_is_in_a_row():
    listed = {
        endpoint for row in KINDS.values() for endpoint in getattr(row, "routes", {})
    }
    unlisted = sorted(
        f"{r.endpoint} ({r.rule})"
        for r in RULES
        if set(r.arguments) - set(NOT_OBJECTS) and r.endpoint not in listed
    )
    assert not unlisted, f"routes naming an object, in no row of KINDS: {unlisted}"
    for rule in RULES:
        ids = set(re.findall(r"<int:(\w+)>", rule.rule))
        assert not ids & set(NOT_OBJECTS), f"{rule.rule}: an id always names an object"
    for name, row in KINDS.items():
        for endpoint, expected in getattr(row, "routes", {}).items():
            rules = _object_rules(endpoint)
            if expected == DIRECTORY:
                methods = {m for r in rules for m in r.methods}
                assert "POST" not in methods, f"{name}: {endpoint} changes things"


# Person B against person A's objects.


@pytest.fixture
def world(make_user, make_team, tmp_path):
    return World(make_user, make_team, tmp_path / "modules")


@pytest.fixture
def owner(make_user, make_org, make_team):
    team = make_team(name="Ledger", org=make_org(name="Finance"))
    return make_user(email=OWNER_EMAIL, name=OWNER_NAME, team=team)


def fingerprint():
    """Every row of every table, as the database has it now."""
    db.session.expire_all()
    return {
        table.name: db.session.execute(
            select(table).order_by(*table.primary_key.columns)
        ).all()
        for table in db.metadata.sorted_tables
    }


def _changed(before, after):
    return sorted(name for name in before if before[name] != after[name])


def _path(rule, values):
    missing = set(rule.arguments) - values.keys()
    assert not missing, f"the factory gives no {sorted(missing)} for {rule.rule}"
    return rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]


def _requests(endpoint, values, data):
    """(method, path, form data) for every way of calling the endpoint."""
    for rule in _object_rules(endpoint):
        path = _path(rule, values)
        for method in sorted({"GET", "POST"} & rule.methods):
            form = (
                data.get(endpoint, lambda v: {})(values) if method == "POST" else None
            )
            yield method, path, form


def _send(client, method, path, form):
    if method == "GET":
        return client.get(path)
    return client.post(path, data=form)


def _check_answer(response, expected, where):
    status = response.status_code
    if expected == DIRECTORY:
        assert status == 200, f"{where}: got {status}"
    elif expected == GUESSED_LINK:
        assert status == 404, f"{where}: got {status}"
    elif isinstance(expected, tuple):
        assert status == expected[0], f"{where}: got {status}"
        assert urlsplit(response.headers["Location"]).path == expected[1], where
    else:
        assert status in REFUSED[expected], f"{where}: got {status}, not 404"


def _assert_nothing_leaks(response, texts, where):
    shown = response.get_data(as_text=True) + response.headers.get("Location", "")
    for text in texts:
        assert text not in shown, f"{where}: shows {text!r}"


def _colleagues(request, signed_in):
    """An ordinary engineer and a Guardian, each signed in on a client of their
    own (before the fingerprint: signing in stamps the time)."""
    return {name: signed_in(request.getfixturevalue(name)) for name in COLLEAGUES}


@pytest.mark.parametrize("kind", WITH_ROUTES)
def test_a_colleague_cannot_reach_someone_elses_object(
    request, world, owner, signed_in, kind
):
    row = KINDS[kind]
    objects = row.make(world, owner)
    clients = _colleagues(request, signed_in)
    before = fingerprint()
    for (colleague, client), values in product(clients.items(), objects):
        private = [OWNER_NAME, OWNER_EMAIL, *row.reveals(values)]
        for endpoint, expected in row.routes.items():
            for method, path, form in _requests(endpoint, values, row.data):
                where = f"{colleague} {method} {path} ({kind})"
                response = _send(client, method, path, form)
                _check_answer(response, expected, where)
                if expected != DIRECTORY:
                    _assert_nothing_leaks(response, private, where)
                changed = _changed(before, fingerprint())
                assert not changed, f"{where} changed {changed}"
        for page in row.pages:
            shown = client.get(page.format(**values)).get_data(as_text=True)
            assert row.link.format(**values) not in shown, f"{colleague} {page}"
            assert not any(text in shown for text in private), f"{page} leaks"


@pytest.mark.parametrize("kind", OWNED)
def test_the_owner_reaches_their_own_object(world, owner, signed_in, kind):
    """The same requests work for the owner: the 404s above are about who asks."""
    row = KINDS[kind]
    objects = row.make(world, owner)
    client = signed_in(owner)
    for values in objects:
        for page in row.pages:
            shown = client.get(page.format(**values)).get_data(as_text=True)
            assert row.link.format(**values) in shown, f"owner {page}"
        for endpoint, expected in row.routes.items():
            if expected != OWNER_ONLY:
                continue
            for method, path, form in _requests(endpoint, values, row.data):
                response = _send(client, method, path, form)
                assert response.status_code < 400, f"owner {method} {path}"
                if method == "GET":
                    shown = response.get_data(as_text=True)
                    assert all(t in shown for t in row.reveals(values)), path


@pytest.mark.parametrize("kind", WITH_STAFF_PAGES)
def test_the_people_a_page_is_for_can_open_it(
    world, owner, program_manager, admin, signed_in, kind
):
    """Program pages open for program managers and admin pages for admins:
    the refusals above are about who asks."""
    row = KINDS[kind]
    objects = row.make(world, owner)
    clients = {PROGRAM: signed_in(program_manager), ADMIN: signed_in(admin)}
    for values in objects:
        for endpoint, expected in row.routes.items():
            if expected not in clients:
                continue
            for rule in _object_rules(endpoint):
                if "GET" in rule.methods:
                    path = _path(rule, values)
                    assert clients[expected].get(path).status_code == 200, path


@pytest.mark.parametrize("kind", SECRET_LINKS)
def test_a_guessed_link_opens_nothing(request, world, owner, signed_in, kind):
    row = KINDS[kind]
    objects = row.make(world, owner)
    clients = _colleagues(request, signed_in)
    before = fingerprint()
    for (colleague, client), values in product(clients.items(), objects):
        for guess in row.guesses(values):
            for endpoint, expected in row.routes.items():
                for method, path, form in _requests(endpoint, guess, row.data):
                    where = f"{colleague} {method} {path} ({kind})"
                    response = _send(client, method, path, form)
                    _check_answer(response, expected, where)
                    _assert_nothing_leaks(response, [OWNER_EMAIL], where)
                    changed = _changed(before, fingerprint())
                    assert not changed, f"{where} changed {changed}"
        for page in _pages_about(owner):
            shown = client.get(page).get_data(as_text=True)
            assert row.secret(values) not in shown, f"{colleague} {page}: {kind}"


@pytest.mark.parametrize("kind", SECRET_LINKS)
def test_the_genuine_link_works(client, world, owner, signed_in, kind):
    """The guesses above fail because they are guesses: the real link opens."""
    row = KINDS[kind]
    values = row.make(world, owner)[0]
    for endpoint in row.routes:
        for rule in _object_rules(endpoint):
            if "GET" in rule.methods:
                path = _path(rule, row.genuine(endpoint, values))
                assert client.get(path).status_code == 200, path
    own = signed_in(owner)
    for page in row.shown_on:
        assert row.secret(values) in own.get(page).get_data(as_text=True), page


@pytest.mark.parametrize("kind", PARTS)
def test_the_parent_factory_makes_the_part(world, owner, kind):
    """So the parent's checks cover the part too."""
    row = KINDS[kind]
    model = next(
        m.class_ for m in db.Model.registry.mappers if m.class_.__name__ == kind
    )

    def count():
        return db.session.scalar(select(func.count()).select_from(model))

    before = count()
    KINDS[row.parent].make(world, owner)
    assert count() > before, f"{row.parent}'s factory makes no {kind}"


# Recognition records the program sees and colleagues do not.


def _deactivated_guardian(world, make_user, make_team):
    """A Guardian with an award, whose account was closed since."""
    person = make_user(name="Dora Departed", roles=["guardian"], team=make_team())
    _award(world, person)
    person.active = False
    db.session.commit()
    return person.id


def test_hidden_and_deactivated_records_are_for_the_program_only(
    request, world, owner, make_user, make_team, signed_in, program_manager, admin
):
    """A colleague gets a 404 for the record, ledger and kudos of someone who
    hides their name or whose account is closed, and changes nothing; program
    managers and admins read both; the person reads their own."""
    hidden = _hidden_record(world, owner)[0]["user_id"]
    departed = _deactivated_guardian(world, make_user, make_team)
    clients = _colleagues(request, signed_in)
    staff = {"program_manager": signed_in(program_manager), "admin": signed_in(admin)}
    own = signed_in(owner)
    before = fingerprint()
    for (name, client), user_id in product(clients.items(), (hidden, departed)):
        for path in (
            f"/recognition/people/{user_id}",
            f"/recognition/people/{user_id}/points",
        ):
            response = client.get(path)
            assert response.status_code == 404, f"{name} {path}"
            _assert_nothing_leaks(response, [OWNER_NAME, "Dora Departed"], path)
        kudos = client.post(f"/recognition/people/{user_id}/kudos", data={"note": "x"})
        assert kudos.status_code == 404, f"{name} kudos to {user_id}"
    assert not _changed(before, fingerprint())
    for name, client in staff.items():
        for user_id in (hidden, departed):
            for path in (
                f"/recognition/people/{user_id}",
                f"/recognition/people/{user_id}/points",
            ):
                assert client.get(path).status_code == 200, f"{name} {path}"
    record = own.get(f"/recognition/people/{hidden}").get_data(as_text=True)
    assert KUDOS_NOTE in record and "first review" in record and CITATION in record
    ledger = own.get(f"/recognition/people/{hidden}/points").get_data(as_text=True)
    assert "Ledger Hero" in ledger and "Kudos from Nico Nominator" in ledger
