"""The application form, and the program managers' filtered queue."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Seniority
from portal.database import utcnow
from portal.enrollment.models import Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from tests.enrollment.conftest import (
    MOTIVATION,
    field_error,
    history,
    pass_required_training,
)


def _form(team_id, **changes):
    data = {
        "guarded_team_id": team_id,
        "motivation": MOTIVATION,
        "manager_email": "boss@example.com",
        "hours_per_week": 4,
    }
    data.update(changes)
    return data


def _enrollments(db):
    db.session.expire_all()
    return db.session.scalars(select(Enrollment)).all()


def test_the_apply_form_offers_every_team_and_picks_ones_own(
    db, make_applicant, make_team, signed_in
):
    person = make_applicant()
    other = make_team(name="Elsewhere")

    page = signed_in(person).get("/guardians/apply").text

    assert "Why do you want to be a Guardian?" in page
    assert re.search(rf'<option selected value="{person.team_id}">', page)
    assert f'<option value="{other.id}">' in page


def test_a_good_application_is_recorded(db, make_applicant, make_team, signed_in):
    person = make_applicant()
    other = make_team(name="Elsewhere")

    response = signed_in(person).post(
        "/guardians/apply",
        data=_form(
            other.id,
            motivation=f"  {MOTIVATION}  ",
            manager_email="Boss@Example.COM",
            hours_per_week=6,
        ),
        follow_redirects=True,
    )

    assert "Your application is in." in response.text
    [enrollment] = _enrollments(db)
    assert (
        enrollment.user_id,
        enrollment.status,
        enrollment.guarded_team_id,
        enrollment.motivation,
        enrollment.manager_email,
        enrollment.hours_per_week,
    ) == (person.id, S.APPLIED, other.id, MOTIVATION, "boss@example.com", 6)
    assert history(enrollment.id) == [(None, S.APPLIED)]


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"motivation": "Too short."},
            "motivation",
            "Field must be between 20 and 2000 characters long.",
        ),
        ({"manager_email": "my boss"}, "manager_email", "Invalid email address."),
        ({"hours_per_week": 0}, "hours_per_week", "Between 1 and 40 hours a week."),
        ({"hours_per_week": 41}, "hours_per_week", "Between 1 and 40 hours a week."),
        ({"guarded_team_id": 99999}, "guarded_team_id", "Not a valid choice."),
    ],
)
def test_bad_input_shows_errors_and_creates_nothing(
    db, make_applicant, signed_in, changes, field, error
):
    person = make_applicant()

    response = signed_in(person).post(
        "/guardians/apply", data=_form(person.team_id, **changes)
    )

    assert response.status_code == 200
    assert field_error(response.text, field) == error
    assert _enrollments(db) == []


def test_all_bad_fields_are_reported_at_once(db, make_applicant, signed_in):
    person = make_applicant()

    response = signed_in(person).post(
        "/guardians/apply",
        data=_form(
            person.team_id,
            motivation="short",
            manager_email="nope",
            hours_per_week=0,
        ),
    )

    assert field_error(response.text, "motivation")
    assert field_error(response.text, "manager_email")
    assert field_error(response.text, "hours_per_week")
    assert _enrollments(db) == []


@pytest.fixture
def queue(db, make_org, make_team, make_applicant, apply_for, enrollment_in):
    """Four waiting applications across two orgs, and one nomination."""
    alpha = make_team(name="Alpha team", org=make_org("Alpha"))
    beta = make_team(name="Beta team", org=make_org("Beta"))
    rows = [
        ("Ann", alpha, "Dublin", Seniority.SENIOR, 4),
        ("Bob", alpha, "Lisbon", Seniority.JUNIOR, 10),
        ("Cat", beta, "dublin", Seniority.SENIOR, 2),
        ("Dan", beta, "Austin", Seniority.MID, 8),
    ]
    for name, team, location, seniority, hours in rows:
        person = make_applicant(
            name=name, team=team, location=location, seniority=seniority
        )
        apply_for(person, hours=hours)
    enrollment_in(make_applicant(name="Nia Nominated", team=beta), S.NOMINATED)
    return {"alpha": alpha.org_id, "beta": beta.org_id}


def _listed(page):
    return re.findall(r'<td><a href="/program/applications/\d+">([^<]+)</a></td>', page)


def _filter(client, org_id=0, location="", seniority="", min_hours=""):
    """The query string a browser sends from the filter form."""
    return client.get(
        "/program/applications",
        query_string={
            "org_id": org_id,
            "location": location,
            "seniority": seniority,
            "min_hours": min_hours,
        },
    ).text


def test_the_queue_lists_applications_oldest_first(
    db, queue, program_manager, signed_in
):
    page = signed_in(program_manager).get("/program/applications").text

    assert _listed(page) == ["Ann", "Bob", "Cat", "Dan"]
    assert "4 waiting for a decision" in page
    assert "1 nomination(s) wait for the nominee to confirm" in page


def test_the_queue_filters_like_the_form_asks(db, queue, program_manager, signed_in):
    client = signed_in(program_manager)

    assert _listed(_filter(client, org_id=queue["alpha"])) == ["Ann", "Bob"]
    assert _listed(_filter(client, location=" DUBLIN ")) == ["Ann", "Cat"]
    assert _listed(_filter(client, seniority="senior")) == ["Ann", "Cat"]
    assert _listed(_filter(client, min_hours=5)) == ["Bob", "Dan"]
    assert _listed(
        _filter(client, org_id=queue["beta"], location="Dublin", seniority="senior")
    ) == ["Cat"]
    assert _listed(_filter(client, org_id=queue["alpha"], min_hours=20)) == []


def test_a_filter_link_with_one_field_still_filters(
    db, queue, program_manager, signed_in
):
    client = signed_in(program_manager)

    assert _listed(client.get("/program/applications?location=Lisbon").text) == ["Bob"]
    assert _listed(client.get("/program/applications?min_hours=9").text) == ["Bob"]


def _input(page, name):
    return re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)


def test_a_bad_filter_is_marked_on_its_field(db, queue, program_manager, signed_in):
    page = _filter(signed_in(program_manager), min_hours=0)

    assert "is-invalid" in _input(page, "min_hours")
    assert "is-invalid" not in _input(page, "location")


def test_the_queue_resets_a_team_from_another_org_and_matches_part_of_a_location(
    db, make_org, make_team, make_applicant, apply_for, program_manager, signed_in
):
    payments, platform = make_org(name="Payments"), make_org(name="Platform")
    checkout = make_team(name="Checkout", org=payments)
    identity = make_team(name="Identity", org=platform)
    lisbon = make_applicant(team=checkout, location="Lisbon (office)", name="Lia")
    berlin = make_applicant(team=identity, location="Berlin", name="Ben")
    for person in (lisbon, berlin):
        apply_for(person)
    client = signed_in(program_manager)

    # The team was chosen under Payments; the org then changed to Platform.
    moved = client.get(
        f"/program/applications?org_id={platform.id}&team_id={checkout.id}"
    ).text
    partial = client.get("/program/applications?location=LISB").text

    assert "Ben" in moved and "Lia" not in moved, "filtered by the new org"
    assert "Lia" in partial and "Ben" not in partial
    assert 'data-submit-on-change="team_id"' in moved


def test_the_queue_shows_an_applicant_already_certified(
    db, make_required_modules, make_applicant, apply_for, program_manager, signed_in
):
    make_required_modules(1)
    person = make_applicant(name="Cora Certified")
    pass_required_training(person, now=utcnow())
    apply_for(person)

    page = signed_in(program_manager).get("/program/applications").text

    assert (
        'Cora Certified</a> <span class="badge role-guardian">Already certified' in page
    )
