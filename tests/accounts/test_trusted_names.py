"""Names people can trust, wherever a name is typed or imported.

Display names (sign-up, profile), org, team and cohort names and the people
import refuse control characters, direction overrides and invisible
characters, with a clear message and nothing saved; and they are stored
NFKC-normalised, so look-alike compatibility letters become plain ones.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal.accounts.importer import ImportFailed, import_accounts
from portal.accounts.models import Org, Team, User
from portal.database import utcnow
from portal.enrollment import cohorts
from portal.enrollment.models import Cohort
from portal.text import NAME_PROBLEM
from tests.helpers import login_as

GOOD_PASSWORD = "violet tugboat humming quietly"
REFUSED = {
    "bell (control)": "\x07",
    "escape (control)": "\x1b",
    "line feed": "\n",
    "carriage return": "\r",
    "right-to-left override U+202E": "\u202e",
    "left-to-right override U+202D": "\u202d",
    "right-to-left embedding U+202B": "\u202b",
    "right-to-left isolate U+2067": "\u2067",
    "right-to-left mark U+200F": "\u200f",
    "zero-width space U+200B": "\u200b",
    "zero-width joiner U+200D": "\u200d",
    "byte order mark U+FEFF": "\ufeff",
    "line separator U+2028": "\u2028",
    "paragraph separator U+2029": "\u2029",
}
FULLWIDTH = "ｆｕｌｌ Ｎａｍｅ"
NORMALISED = "full Name"
# One character whose NFKC form is 18 characters long.
EXPANDS = "\ufdfa"


@dataclass
class Surface:
    """One place where a name is typed: post a name, read what is stored."""

    client: object
    path: str
    form: dict
    field: str
    read: object
    # Sign-up is limited per client address: each try comes from a new one.
    new_address_each_time: bool = False
    posts: int = 0

    def post(self, name):
        self.posts += 1
        if self.new_address_each_time:
            self.client.environ_base["REMOTE_ADDR"] = f"10.8.0.{self.posts}"
        return self.client.post(self.path, data={**self.form, self.field: name})


def signed_in(app, user):
    client = app.test_client()
    login_as(client, user)
    return client


def all_names(db, column):
    db.session.expire_all()
    return sorted(db.session.scalars(select(column)).all())


@pytest.fixture
def surface(request, app, db, engineer, admin, program_manager, make_org, make_team):
    org = make_org(name="Payments")
    team = make_team(name="Checkout", org=org)
    start = (utcnow() + timedelta(days=30)).date().isoformat()
    cohort = cohorts.create_cohort(
        program_manager,
        name="Spring",
        start_date=date.fromisoformat(start),
        capacity=5,
        due_dates={},
        now=utcnow(),
    )
    db.session.commit()
    cohort_form = {"start_date": start, "capacity": "5"}
    surfaces = {
        "sign-up": lambda: Surface(
            app.test_client(),
            "/auth/signup",
            {
                "email": "new.person@example.com",
                "team_id": "0",
                "password": GOOD_PASSWORD,
                "confirm": GOOD_PASSWORD,
            },
            "display_name",
            lambda: all_names(db, User.display_name),
            new_address_each_time=True,
        ),
        "profile": lambda: Surface(
            signed_in(app, engineer),
            "/profile",
            {"team_id": "0"},
            "display_name",
            lambda: all_names(db, User.display_name),
        ),
        "new org": lambda: Surface(
            signed_in(app, admin),
            "/admin/orgs/new",
            {"description": ""},
            "name",
            lambda: all_names(db, Org.name),
        ),
        "org edit": lambda: Surface(
            signed_in(app, admin),
            f"/admin/orgs/{org.id}/edit",
            {"description": ""},
            "name",
            lambda: all_names(db, Org.name),
        ),
        "new team": lambda: Surface(
            signed_in(app, admin),
            "/admin/teams/new",
            {"org_id": str(org.id), "description": ""},
            "name",
            lambda: all_names(db, Team.name),
        ),
        "team edit": lambda: Surface(
            signed_in(app, admin),
            f"/admin/teams/{team.id}/edit",
            {"org_id": str(org.id), "description": ""},
            "name",
            lambda: all_names(db, Team.name),
        ),
        "new cohort": lambda: Surface(
            signed_in(app, program_manager),
            "/program/cohorts/new",
            cohort_form,
            "name",
            lambda: all_names(db, Cohort.name),
        ),
        "cohort edit": lambda: Surface(
            signed_in(app, program_manager),
            f"/program/cohorts/{cohort.id}/edit",
            cohort_form,
            "name",
            lambda: all_names(db, Cohort.name),
        ),
    }
    return surfaces[request.param]()


SURFACES = [
    "sign-up",
    "profile",
    "new org",
    "org edit",
    "new team",
    "team edit",
    "new cohort",
    "cohort edit",
]


@pytest.mark.parametrize("surface", SURFACES, indirect=True)
def test_a_name_with_a_hidden_or_control_character_is_refused(surface):
    before = surface.read()

    for label, character in REFUSED.items():
        response = surface.post(f"Eve{character}lyn Example")

        assert response.status_code == 200, label
        assert NAME_PROBLEM in unescape(response.text), label
        assert surface.read() == before, label


@pytest.mark.parametrize("surface", SURFACES, indirect=True)
def test_a_name_is_stored_nfkc_normalised(surface):
    response = surface.post(FULLWIDTH)

    assert response.status_code == 302
    stored = surface.read()
    assert NORMALISED in stored
    assert FULLWIDTH not in stored


@pytest.mark.parametrize("surface", ["sign-up", "profile", "new org"], indirect=True)
def test_the_length_limit_applies_to_the_normalised_name(surface):
    before = surface.read()

    response = surface.post(EXPANDS * 7)  # 7 characters typed, 126 once normalised

    assert response.status_code == 200
    assert "cannot be longer than" in response.text
    assert surface.read() == before


@pytest.mark.parametrize("surface", ["sign-up", "profile", "new team"], indirect=True)
def test_runs_of_spaces_in_a_name_become_one(surface):
    # portal.text: a name is normalised "with its spaces collapsed", so that
    # "Eve  Lyn" cannot pass for a colleague called "Eve Lyn".
    response = surface.post("Eve   Lyn")

    assert response.status_code == 302
    assert "Eve Lyn" in surface.read()


# The people import: every row or none.


def import_csv(app, text):
    return import_accounts(
        None, io.StringIO(text), app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"], utcnow()
    )


def everything(db):
    return (
        all_names(db, User.display_name),
        all_names(db, Org.name),
        all_names(db, Team.name),
    )


@pytest.mark.parametrize("column", ["display_name", "org", "team"])
def test_the_import_refuses_a_hidden_or_control_character(app, db, column):
    before = everything(db)
    for label, character in REFUSED.items():
        row = {"display_name": "Ada Import", "org": "Payments", "team": "Checkout"}
        row[column] = f"Eve{character}lyn"
        # A quoted cell may hold a line break; the csv module reads it as text.
        cells = ",".join(f'"{row[name]}"' for name in ("display_name", "org", "team"))
        text = (
            "email,display_name,org,team\n"
            "first@example.com,First Person,Payments,Checkout\n"
            f"imported@example.com,{cells}\n"
        )

        with pytest.raises(ImportFailed) as failed:
            import_csv(app, text)

        db.session.rollback()
        [problem] = failed.value.problems
        assert problem.column == column, label
        assert "control or invisible character" in problem.message, label
        assert everything(db) == before, label


def test_the_import_stores_names_nfkc_normalised(app, db):
    import_csv(
        app,
        "email,display_name,org,team\n"
        f"imported@example.com,{FULLWIDTH},ｐａｙｍｅｎｔｓ,Ｃｈｅｃｋｏｕｔ\n",
    )
    db.session.commit()

    assert everything(db) == (["full Name"], ["payments"], ["Checkout"])


def test_the_import_applies_its_length_limit_to_the_normalised_name(app, db):
    # 6 characters in the file, 108 once normalised: past the 100 allowed.
    text = f"email,display_name\nimported@example.com,{EXPANDS * 6}\n"

    with pytest.raises(ImportFailed) as failed:
        import_csv(app, text)

    db.session.rollback()
    assert [p.column for p in failed.value.problems] == ["display_name"]
    assert everything(db)[0] == []
