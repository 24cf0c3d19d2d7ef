"""Every route, for every kind of visitor, against a written-down expectation.

EXPECTED has one row per endpoint in ``app.url_map``. A route whose endpoint is
missing from it fails the sweep by name, so a new page cannot ship before
someone decides who may use it. GET routes are fetched; POST-only routes get a
POST with empty data (CSRF is off in the test config).
"""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal import create_app
from portal.accounts.models import Org, Role, Team, User
from portal.audit.models import AuditEvent
from portal.auth.models import UserSession
from portal.database import utcnow
from portal.mail.links import preferences_url
from portal.notifications.models import Notification
from portal.notifications.services import notify
from portal.recognition.models import Award, AwardKind
from portal.training.models import AttemptStatus, QuizAttempt
from tests.helpers import login_as, row_counts
from tests.helpers import test_config as portal_test_config
from tests.security.conftest import audit_count

ACTORS = (
    "anonymous",
    "engineer",
    "intruder",
    "guardian",
    "mentor",
    "reviewer",
    "program_manager",
    "admin",
)
# Signed in without program or admin rights: every page answers them alike.
COLLEAGUES = ("engineer", "intruder", "guardian", "mentor", "reviewer")
SKIPPED = {"static", "bootstrap.static"}
FIRST_MODULE = "guardian-role"  # in content/, with no prerequisites

OK = 200
BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
# (status, location): a location ending in "*" is a prefix, for objects the
# request itself creates; "{user_id}" and the like are filled from the objects.
TO_LOGIN = (302, "/auth/login")
TO_HOME = (302, "/")
TO_TARGET_ADMIN_PAGE = (302, "/admin/users/{user_id}")
TO_APPLICATION = (302, "/program/applications/{enrollment_id}")
TO_REVIEW = (302, "/reviews/{review_id}")
TO_OWN_RECORD = (302, "/recognition/people/*")
TO_AWARDS = (302, "/recognition/awards")


def everyone(expected):
    return dict.fromkeys(ACTORS, expected)


def signed_in_only(expected=OK):
    return {**dict.fromkeys(ACTORS, expected), "anonymous": TO_LOGIN}


def signed_out_only():
    """Pages for visitors; signed-in people are sent to the start page."""
    return {**dict.fromkeys(ACTORS, TO_HOME), "anonymous": OK}


def admin_only(expected=OK):
    return {
        **dict.fromkeys(ACTORS, FORBIDDEN),
        "anonymous": TO_LOGIN,
        "admin": expected,
    }


def program_only(expected=OK):
    """Program pages: program managers and admins."""
    return {**admin_only(expected), "program_manager": expected}


def recorders_only(expected, others=FORBIDDEN):
    """Review records: security reviewers, program managers and admins; the
    other colleagues get ``others``."""
    return {
        **signed_in_only(others),
        "reviewer": expected,
        "program_manager": expected,
        "admin": expected,
    }


EXPECTED = {
    "core.index": everyone(OK),
    "core.healthz": everyone(OK),
    "auth.signup": signed_out_only(),
    "auth.login": signed_out_only(),
    "auth.logout": everyone(TO_LOGIN),
    "auth.change_password": signed_in_only(),
    "auth.forgot_password": everyone(OK),
    "auth.reset_password": everyone(OK),
    # The emailed link is the credential; a signed-in person is sent home.
    "auth.confirm_email": signed_out_only(),
    "auth.sign_in_link": signed_out_only(),
    "devices.index": signed_in_only(),
    # The session is the target's: nobody else can end it.
    "devices.revoke": signed_in_only(NOT_FOUND),
    # Signing out everywhere ends the actor's own sessions, this one included.
    "devices.revoke_all": everyone(TO_LOGIN),
    "accounts.profile": signed_in_only(),
    # An empty form closes one's own account and signs out; the last admin
    # is refused and sent back to the profile page.
    "accounts.close_account": {
        **signed_in_only(TO_LOGIN),
        "admin": (302, "/profile"),
    },
    "accounts.person": signed_in_only(),
    "accounts.orgs": signed_in_only(),
    "accounts.org": signed_in_only(),
    "accounts.team": signed_in_only(),
    "admin.users": admin_only(),
    "admin.user": admin_only(),
    "admin.grant_role": admin_only(BAD_REQUEST),  # an empty form names no role
    "admin.revoke_role": admin_only(TO_TARGET_ADMIN_PAGE),
    "admin.deactivate": admin_only(TO_TARGET_ADMIN_PAGE),
    "admin.reactivate": admin_only(TO_TARGET_ADMIN_PAGE),
    "admin.edit_org": admin_only(),
    "admin.edit_team": admin_only(),
    "audit.index": admin_only(),
    "audit.export_csv": admin_only(),
    "jobs.index": admin_only(),
    "notifications.index": signed_in_only(),
    # The notification belongs to the target: nobody else can open it.
    "notifications.open_notification": signed_in_only(NOT_FOUND),
    "notifications.read_all": signed_in_only((302, "/notifications")),
    "notifications.preferences": signed_in_only(),
    # The signed link in every email is the credential: no sign-in needed.
    "notifications.email_preferences": everyone(OK),
    "training.index": signed_in_only(),
    "training.module": signed_in_only(),
    "training.progress": signed_in_only(),
    # An empty form starts the actor's own attempt and goes to it.
    "training.start_attempt": signed_in_only((302, "/training/attempts/*")),
    # The attempt is the target's: nobody else can see or answer it.
    "training.attempt": signed_in_only(NOT_FOUND),
    # Certificates are public so that anyone can verify one.
    "training.certificate": everyone(OK),
    # Revoking needs a reason: the empty form shows the certificate again.
    "training.revoke_certificate": program_only(),
    # The actor has attempts left: nothing to ask for, back to the module.
    "training.request_more_attempts": signed_in_only((302, "/training/modules/{slug}")),
    "training.stats": program_only(),
    "training_program.person": program_only(),
    # Empty forms give no reason: back to the person's training, unchanged.
    "training_program.grant_attempts": program_only(
        (302, "/program/people/{user_id}/training")
    ),
    "training_program.reset_module": program_only(
        (302, "/program/people/{user_id}/training")
    ),
    "training.module_stats": program_only(),
    # Anyone signed in may apply, nominate, and see their own application.
    "enrollment.apply": signed_in_only(),
    "enrollment.nominate": signed_in_only(),
    "enrollment.application": signed_in_only(),
    # The enrollment is the target's: nobody else can confirm or withdraw it.
    "enrollment.confirm": signed_in_only(NOT_FOUND),
    "enrollment.withdraw": signed_in_only(NOT_FOUND),
    # An empty form names no last day: back to one's own application.
    "enrollment.step_down": signed_in_only((302, "/guardians/application")),
    # The program pages are for program managers (and admins).
    "program.applications": program_only(),
    "program.application": program_only(),
    # Empty forms name no cohort and no reason; an applied enrollment cannot
    # become alumni: each goes back to the application, unchanged.
    "program.approve": program_only(TO_APPLICATION),
    "program.decline": program_only(TO_APPLICATION),
    "program.make_alumni": program_only(TO_APPLICATION),
    "cohorts.index": program_only(),
    "cohorts.new": program_only(),
    "cohorts.cohort": program_only(),
    "cohorts.suggest": program_only(),
    "cohorts.progress": program_only(),
    "cohorts.edit": program_only(),
    # An empty form still closes the (open) cohort, and deletes it (nobody was
    # placed in it); reopening an open one is refused, back to the cohort.
    "cohorts.close": program_only((302, "/program/cohorts/{cohort_id}")),
    "cohorts.reopen": program_only((302, "/program/cohorts/{cohort_id}")),
    "cohorts.delete": program_only((302, "/program/cohorts")),
    "cohorts.progress_csv": program_only(),
    # Nobody chosen: back to the suggestion.
    "cohorts.place": program_only((302, "/program/cohorts/{cohort_id}/suggest")),
    "program.coverage": program_only(),
    # An empty target means the company default: saved, back to coverage.
    "program.set_ratio_target": program_only((302, "/program/coverage")),
    # Security reviews: the review belongs to the target's team; "reviewer" is
    # its security reviewer. Nobody else of the colleagues may even see it.
    "reviews.index": signed_in_only(),
    "reviews.new": recorders_only(OK),
    "reviews.show": recorders_only(OK, others=NOT_FOUND),
    "reviews.edit": recorders_only(OK, others=NOT_FOUND),
    # Empty forms name no stage, no counts, no finding: back to the review.
    "reviews.move": recorders_only(TO_REVIEW, others=NOT_FOUND),
    "reviews.counts": recorders_only(TO_REVIEW, others=NOT_FOUND),
    "reviews.add_finding": recorders_only(TO_REVIEW, others=NOT_FOUND),
    "reviews.update_finding": recorders_only(TO_REVIEW, others=NOT_FOUND),
    # The button's form is only its token (CSRF is off here): the finding goes.
    "reviews.remove_finding": recorders_only(TO_REVIEW, others=NOT_FOUND),
    # Only the review's own reviewer fills its survey; program managers and
    # admins see the review but may not.
    "surveys.fill": {
        **recorders_only(FORBIDDEN, others=NOT_FOUND),
        "reviewer": OK,
    },
    # Only the supporting Guardian (the target) checks readiness, and the
    # review is past submission anyway.
    "surveys.readiness": recorders_only(FORBIDDEN, others=NOT_FOUND),
    "surveys.home": recorders_only(OK),
    "surveys.mine": signed_in_only(),
    "surveys.scoring_rules": signed_in_only(),
    "surveys.guide": signed_in_only(),
    "surveys.edit_guide": program_only(),
    "surveys.stuck": program_only(),
    # Recognition: the boards, the wall and "How points work" are for everyone
    # signed in; the target (a Guardian who shows their name) has a record
    # everyone may read, and a ledger only they and program managers may.
    "recognition.wall": signed_in_only(),
    "recognition.board": signed_in_only(),
    "recognition.scores": signed_in_only(),
    "recognition.how_points_work": signed_in_only(),
    "recognition.me": signed_in_only(TO_OWN_RECORD),
    "recognition.person": signed_in_only(),
    "recognition.history": {
        **signed_in_only(NOT_FOUND),
        "program_manager": OK,
        "admin": OK,
    },
    # An empty note is refused: back to the target's record, nothing sent.
    "recognition.give_kudos": signed_in_only((302, "/recognition/people/{user_id}")),
    # An empty form shows one's name: saved, back to one's own record.
    "recognition.privacy": signed_in_only(TO_OWN_RECORD),
    "recognition.awards": program_only(),
    # Empty forms name no award and give no reason: back to the awards page.
    "recognition.define_award": program_only(TO_AWARDS),
    "recognition.revoke_award": program_only(TO_AWARDS),
}


def _swept_rules():
    # create_app has no side effects and never connects here: it only lists routes.
    app = create_app(portal_test_config("sqlite://"))
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    return sorted(rules, key=lambda r: (r.endpoint, r.rule))


SWEPT_RULES = _swept_rules()


def test_every_route_is_in_the_table(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()} - SKIPPED
    missing = sorted(endpoints - EXPECTED.keys())
    assert not missing, f"routes missing from EXPECTED (add a row for each): {missing}"
    stale = sorted(EXPECTED.keys() - endpoints)
    assert not stale, f"EXPECTED lists endpoints that no longer exist: {stale}"
    for endpoint, row in EXPECTED.items():
        assert set(row) == set(ACTORS), f"{endpoint} must give one status per actor"


def _url_values(rule, params):
    values = {}
    for argument in rule.arguments:
        key = f"{rule.endpoint}:{argument}"
        if key not in params and argument not in params:
            pytest.fail(
                f"no real object for <{argument}> in {rule.rule}: "
                "add one to the objects fixture"
            )
        values[argument] = params.get(key, params.get(argument))
    return values


def _request(client, rule, params):
    path = rule.build(_url_values(rule, params), append_unknown=False)[1]
    if "GET" in rule.methods:
        return "GET", path, client.get(path)
    return "POST", path, client.post(path, data={})


def _client_for(actor, app, request):
    client = app.test_client()
    if actor != "anonymous":
        login_as(client, request.getfixturevalue(actor))
    return client


def _check(response, expected, params, where):
    if isinstance(expected, tuple):
        status, location = expected
        location = location.format(**params)
        assert response.status_code == status, f"{where}: got {response.status_code}"
        actual = urlsplit(response.headers["Location"])
        assert actual.netloc in ("", "portal.test"), f"{where}: left the site"
        if location.endswith("*"):
            assert actual.path.startswith(location[:-1]), f"{where}: to {actual.path}"
        else:
            assert actual.path == location, f"{where}: redirected to {actual.path}"
    else:
        assert response.status_code == expected, f"{where}: got {response.status_code}"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    "rule", SWEPT_RULES, ids=[f"{r.endpoint}:{r.rule}" for r in SWEPT_RULES]
)
def test_route_sweep(app, db, request, objects, rule, actor):
    if rule.endpoint not in EXPECTED:
        pytest.fail(
            f"route {rule.endpoint} ({rule.rule}) is missing from EXPECTED: "
            "decide who may use it and add a row"
        )
    expected = EXPECTED[rule.endpoint][actor]
    client = _client_for(actor, app, request)
    events_before = audit_count()

    method, path, response = _request(client, rule, objects)

    where = f"{actor} {method} {path}"
    _check(response, expected, objects, where)
    if expected == FORBIDDEN or (actor == "anonymous" and expected == TO_LOGIN):
        assert audit_count() == events_before, f"{where}: refused but audited a change"
    if expected == FORBIDDEN:
        assert "You do not have permission" in response.text, f"{where}: bare 403"
    db.session.expire_all()
    unread = db.session.get(Notification, objects["notification_id"]).read_at is None
    assert unread, f"{where}: the target's notification was marked read by someone else"


# The intruder, acting on other people's objects with well-formed requests.


@pytest.fixture
def intruder_client(app, intruder):
    client = app.test_client()
    login_as(client, intruder)
    return client


def _fresh(db, model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


def test_intruder_cannot_deactivate_a_colleague(db, intruder_client, victim):
    response = intruder_client.post(
        f"/admin/users/{victim.id}/deactivate", data={"reason": "because I can"}
    )
    assert response.status_code == FORBIDDEN
    victim = _fresh(db, User, victim.id)
    assert victim.active and victim.deactivated_at is None
    assert not db.session.scalars(
        select(UserSession).where(UserSession.revoked_at.is_not(None))
    ).all()


def test_intruder_cannot_grant_themselves_admin(db, intruder_client, intruder):
    response = intruder_client.post(
        f"/admin/users/{intruder.id}/roles", data={"role": Role.ADMIN.value}
    )
    assert response.status_code == FORBIDDEN
    assert _fresh(db, User, intruder.id).roles == set()


def test_intruder_cannot_revoke_a_colleagues_role(db, intruder_client, victim):
    response = intruder_client.post(
        f"/admin/users/{victim.id}/roles/{Role.GUARDIAN.value}/revoke"
    )
    assert response.status_code == FORBIDDEN
    assert _fresh(db, User, victim.id).roles == {Role.GUARDIAN}


def test_intruder_cannot_reactivate_a_closed_account(db, intruder_client, make_user):
    closed = make_user(active=False)
    response = intruder_client.post(f"/admin/users/{closed.id}/reactivate")
    assert response.status_code == FORBIDDEN
    assert not _fresh(db, User, closed.id).active


def _org_and_team_names(db):
    db.session.expire_all()
    orgs = db.session.scalars(select(Org.name)).all()
    return set(orgs) | set(db.session.scalars(select(Team.name)))


def test_intruder_cannot_rename_or_create_orgs_and_teams(
    db, intruder_client, make_org, make_team
):
    org = make_org(name="Payments")
    team = make_team(name="Checkout", org=org)
    attempts = [
        (f"/admin/orgs/{org.id}/edit", {"name": "Owned", "description": "x"}),
        ("/admin/orgs/new", {"name": "Intruder Org", "description": ""}),
        (f"/admin/teams/{team.id}/edit", {"org_id": org.id, "name": "Owned"}),
        ("/admin/teams/new", {"org_id": org.id, "name": "Intruder Team"}),
    ]
    names_before = _org_and_team_names(db)
    for path, data in attempts:
        assert intruder_client.post(path, data=data).status_code == FORBIDDEN, path
    names_after = _org_and_team_names(db)
    assert names_after == names_before
    assert {"Payments", "Checkout"} <= names_after


def test_intruder_cannot_read_the_audit_log_or_admin_pages(
    intruder_client, victim, admin
):
    for path in (
        "/admin/audit",
        "/admin/audit/export.csv",
        "/admin/users",
        f"/admin/users/{victim.id}",
        f"/admin/users/{admin.id}",
    ):
        response = intruder_client.get(path)
        assert response.status_code == FORBIDDEN, path
        assert victim.email not in response.text, path


def test_intruder_attempts_leave_no_audit_trail_of_changes(
    db, intruder_client, victim, intruder
):
    intruder_client.post(f"/admin/users/{victim.id}/deactivate", data={})
    intruder_client.post(f"/admin/users/{intruder.id}/roles", data={"role": "admin"})
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent)).all() == []


@pytest.fixture
def victims_notification(db, victim):
    notification = notify(
        victim,
        "roles",
        "You now hold the Guardian role.",
        now=utcnow(),
        link=f"/people/{victim.id}",
    )
    db.session.commit()
    return notification


def test_intruder_cannot_open_or_clear_a_colleagues_notification(
    db, intruder_client, victims_notification
):
    opened = intruder_client.post(f"/notifications/{victims_notification.id}/open")
    cleared = intruder_client.post("/notifications/read-all")
    listed = intruder_client.get("/notifications")

    assert opened.status_code == NOT_FOUND
    assert cleared.status_code == 302
    assert victims_notification.title not in listed.text
    assert _fresh(db, Notification, victims_notification.id).read_at is None


def test_forged_email_preferences_link_is_refused(app, intruder_client, victim):
    with app.test_request_context():
        genuine = preferences_url(victim).rpartition("/")[2]
    forged = [
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "eyJ1c2VyIjogMX0.forged.signature",
        "not-a-token",
    ]

    for token in forged:
        response = intruder_client.post(
            f"/notifications/email/{token}", data={"roles": "never"}
        )
        assert response.status_code == NOT_FOUND, token
    assert intruder_client.get(f"/notifications/email/{genuine}").status_code == OK


def test_intruder_cannot_answer_or_see_a_colleagues_quiz(db, intruder_client, objects):
    path = f"/training/attempts/{objects['attempt_id']}"

    seen = intruder_client.get(path)
    answered = intruder_client.post(path, data={})

    assert seen.status_code == answered.status_code == NOT_FOUND
    attempt = _fresh(db, QuizAttempt, objects["attempt_id"])
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.answers == []


def test_intruder_cannot_grant_define_or_revoke_awards(
    db, intruder_client, intruder, objects
):
    award_id = objects["award_id"]
    kind_id = _fresh(db, Award, award_id).kind_id
    attempts = [
        (
            "/recognition/awards",
            {
                "kind_id": kind_id,
                "email": intruder.email,
                "citation": "Me",
                "points": 1000,
            },
        ),
        ("/recognition/awards/kinds", {"name": "Intruder of the Year", "points": 1000}),
        (f"/recognition/awards/{award_id}/revoke", {"reason": "because I can"}),
    ]
    before = row_counts()
    for path, data in attempts:
        response = intruder_client.post(path, data=data)
        assert response.status_code == FORBIDDEN, path
        assert "You do not have permission" in response.text, path
    assert row_counts() == before
    assert _fresh(db, Award, award_id).revoked_at is None
    names = db.session.scalars(select(AwardKind.name)).all()
    assert names == ["Guardian of the Quarter"]
