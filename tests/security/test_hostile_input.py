"""Input that once broke pages with a server error: each answers 400, 404 or
413 now, with a clear message, and changes nothing."""

import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.database import utcnow
from portal.enrollment.models import Cohort
from portal.training.models import ModuleProgress
from tests.helpers import login_as

HUGE_ID = 9223372036854775808  # one past the largest 64-bit integer
PAST_INTEGER = 2147483648  # one past PostgreSQL's INTEGER
PAGINATED = [
    "/admin/users",
    "/admin/jobs",
    "/admin/audit",
    "/program/applications",
    "/program/coverage",
    "/notifications",
    "/orgs/{org_id}",
    "/recognition/leaderboard",
]


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user(email="root@example.com", roles=["admin", "program_manager"])
    client = app.test_client()
    login_as(client, admin)
    return client


@pytest.fixture
def org_id(make_team):
    return make_team().org_id


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "path",
    [
        f"/teams/{HUGE_ID}",
        f"/orgs/{HUGE_ID}",
        f"/people/{HUGE_ID}",
        f"/admin/users/{HUGE_ID}",
        f"/program/cohorts/{HUGE_ID}",
        f"/program/applications/{HUGE_ID}",
        f"/training/attempts/{HUGE_ID}",
        "/teams/99999999999999999999999999999999",
        f"/teams/{PAST_INTEGER}",
        f"/people/{PAST_INTEGER}",
        f"/program/cohorts/{PAST_INTEGER}",
        f"/program/people/{PAST_INTEGER}/training",
        f"/recognition/people/{HUGE_ID}",
        f"/recognition/people/{PAST_INTEGER}/points",
    ],
)
def test_an_id_past_what_an_id_column_holds_is_not_found(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 404
    assert "There is nothing here" in response.text


@pytest.mark.parametrize("path", PAGINATED)
@pytest.mark.parametrize("page", ["99999999999999999999", "0", "1.5"])
def test_a_page_that_is_not_a_page_number_is_a_bad_request(
    admin_client, org_id, path, page
):
    response = admin_client.get(path.format(org_id=org_id), query_string={"page": page})
    assert response.status_code == 400
    assert "The page number must be a whole number from 1." in response.text


@pytest.mark.parametrize("path", PAGINATED)
def test_a_page_past_the_last_is_not_found(admin_client, org_id, path):
    response = admin_client.get(path.format(org_id=org_id), query_string={"page": 50})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "role=anything",
        "status=everyone",
        "q=" + "x" * 500,
    ],
)
def test_an_unknown_filter_value_is_a_bad_request_that_says_which(admin_client, query):
    response = admin_client.get(f"/admin/users?{query}")
    assert response.status_code == 400
    assert "Some filters could not be read" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/jobs?status=nonsense",
        "/program/coverage?show=nonsense",
        "/program/coverage?org_id=99999999999999999999",
        "/program/applications?org_id=99999999999999999999&team_id=-1",
        "/program/applications?seniority=emperor",
        "/training?kind=secret",
        "/recognition/leaderboard?board=galaxy",
        "/recognition/leaderboard?period=decade",
        "/recognition/leaderboard?org=99999999999999999999",
        "/recognition/leaderboard/scores?period=decade",
        "/recognition/leaderboard/scores?org=-1",
    ],
)
def test_unknown_filters_on_every_list_are_bad_requests(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 400
    assert "Some filters could not be read" in response.text


def test_a_repeated_parameter_reads_the_first(admin_client):
    response = admin_client.get("/admin/users?page=1&page=2&status=active&status=x")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name", ["endpoint", "_scheme", "_method", "_external", "_anchor", "values"]
)
def test_url_for_keywords_in_the_query_never_reach_the_links(
    admin_client, make_user, name
):
    for number in range(50):  # two pages of people with the admin
        make_user(email=f"many{number}@example.com")
    response = admin_client.get(
        "/admin/users", query_string={name: "javascript", "status": "active"}
    )
    assert response.status_code == 200
    assert "Page 1 of 2" in response.text
    pager = response.text.split('aria-label="People pages"')[1].split("</nav>")[0]
    links = re.findall(r'href="(/[^"]*)"', pager)
    assert links, "the pager links to the other page"
    for link in links:
        arguments = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert set(arguments) == {"page", "status"}, link
        assert arguments["status"] == ["active"]


def test_a_file_where_text_is_expected_is_refused(db, app, make_user):
    person = make_user(name="Fay File")
    client = app.test_client()
    login_as(client, person)
    response = client.post(
        "/profile",
        data={"display_name": (io.BytesIO(b"evil"), "name.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "This form takes text, not files." in response.text
    db.session.expire_all()
    assert db.session.get(User, person.id).display_name == "Fay File"


@pytest.mark.parametrize("body_type", ["application/json", "text/xml"])
def test_a_body_that_is_not_a_form_is_refused(app, make_user, body_type):
    client = app.test_client()
    login_as(client, make_user())
    response = client.post("/profile", data="[1, 2]", content_type=body_type)
    assert response.status_code == 400
    assert "Forms are sent as form data." in response.text


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_far_away_date_in_a_filter_is_refused(admin_client, until):
    response = admin_client.get("/admin/audit", query_string={"until": until})
    assert response.status_code == 400
    assert "Choose a date between 2000 and 2099." in response.text


def test_a_cohort_cannot_start_at_the_end_of_the_calendar(db, admin_client):
    response = admin_client.post(
        "/program/cohorts/new",
        data={"name": "Far future", "start_date": "9999-12-31", "capacity": 5},
    )
    assert response.status_code == 200
    assert "Choose a date between 2000 and 2099." in response.text
    assert _count(db, Cohort) == 0


def test_a_body_over_the_limit_gets_the_branded_413_page(db, app, make_user):
    client = app.test_client()
    login_as(client, make_user(name="Big Sender"))
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/profile", data={"display_name": "x" * (limit + 1)})
    assert response.status_code == 413
    assert "larger than the portal accepts" in response.text
    assert "Sign out" in response.text  # the whole branded page, not a bare error
    assert db.session.scalar(select(User.display_name).where(User.active)) == (
        "Big Sender"
    )


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "GET", "path": "/admin/users", "query_string": {"q": "a\x00b"}},
        {"method": "POST", "path": "/profile", "data": {"display_name": "Nul\x00l"}},
        {"method": "GET", "path": "/training/a%00b"},
    ],
)
def test_nul_characters_are_refused_on_every_database(db, admin_client, request_args):
    events = _count(db, AuditEvent)
    response = admin_client.open(**request_args)
    assert response.status_code == 400
    assert "Text cannot contain NUL characters" in response.text
    assert _count(db, AuditEvent) == events


def test_a_program_manager_cannot_grant_themselves_attempts(db, app, make_user):
    manager = make_user(roles=["program_manager"])
    client = app.test_client()
    login_as(client, manager)
    page = client.get(f"/program/people/{manager.id}/training")
    assert page.status_code == 200
    assert "Grant attempts or reset" not in page.text
    events = _count(db, AuditEvent)
    client.post(
        f"/program/people/{manager.id}/training/guardian-role/attempts",
        data={"count": 3, "reason": "I would like more tries"},
    )
    assert _count(db, ModuleProgress) == 0
    assert _count(db, AuditEvent) == events


def test_a_cohort_due_date_far_ahead_is_refused(db, admin_client):
    start = (utcnow() + timedelta(days=7)).date()
    response = admin_client.post(
        "/program/cohorts/new",
        data={"name": "Soon", "start_date": start.isoformat(), "capacity": "9" * 30},
    )
    assert response.status_code == 200
    assert _count(db, Cohort) == 0
