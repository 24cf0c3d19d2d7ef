"""Names made only of spaces are refused everywhere; names are stripped first."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.importer import ImportFailed, import_accounts
from portal.accounts.models import Org, Team, User
from portal.accounts.services import create_org
from portal.database import utcnow
from portal.enrollment.models import Cohort
from portal.errors import DomainError
from tests.helpers import login_as

BLANKS = ["   ", "\t \n", "\u00a0 "]


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("blank", BLANKS)
def test_sign_up_with_a_blank_name_is_refused(client, db, blank):
    response = client.post(
        "/auth/signup",
        data={
            "email": "new.person@example.com",
            "display_name": blank,
            "team_id": "0",
            "password": "violet tugboat humming quietly",
            "confirm": "violet tugboat humming quietly",
        },
    )

    assert response.status_code == 200
    assert "Enter a name." in response.text
    assert count(db, User) == 0


@pytest.mark.parametrize("blank", BLANKS)
def test_a_profile_name_of_spaces_is_refused(client, db, engineer, blank):
    login_as(client, engineer)

    response = client.post("/profile", data={"display_name": blank, "team_id": "0"})

    assert "Enter a name." in response.text
    db.session.refresh(engineer)
    assert engineer.display_name == "Eli Engineer"


def test_names_are_stored_stripped_with_single_spaces(client, db, engineer):
    login_as(client, engineer)

    client.post("/profile", data={"display_name": "  Eli  E.  ", "team_id": "0"})

    db.session.refresh(engineer)
    assert engineer.display_name == "Eli E."


@pytest.mark.parametrize("blank", BLANKS)
def test_orgs_teams_and_cohorts_need_a_real_name(app, db, admin, make_org, blank):
    org = make_org(name="Payments")
    client = app.test_client()
    login_as(client, admin)

    pages = [
        client.post("/admin/orgs/new", data={"name": blank}),
        client.post("/admin/teams/new", data={"name": blank, "org_id": org.id}),
        client.post(
            "/program/cohorts/new",
            data={
                "name": blank,
                "start_date": (utcnow() + timedelta(days=7)).date().isoformat(),
                "capacity": "5",
            },
        ),
    ]

    for page in pages:
        assert page.status_code == 200 and "Enter a name." in page.text
    assert (count(db, Org), count(db, Team), count(db, Cohort)) == (1, 0, 0)


def test_services_refuse_blank_names_too(db, admin):
    with pytest.raises(DomainError) as refused:
        create_org(admin, name=" \t ", description="")

    assert (refused.value.field, refused.value.message) == ("name", "Enter a name.")


def test_the_import_refuses_a_blank_name(db):
    rows = io.StringIO("email,display_name\nnew@example.com,   \n")

    with pytest.raises(ImportFailed) as failed:
        import_accounts(None, rows, ["example.com"], utcnow())

    assert [str(p) for p in failed.value.problems] == [
        "line 2, column display_name: is required"
    ]
