"""Who may see and change what: program pages, and one's own application only."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from tests.enrollment.conftest import MOTIVATION, fresh, history, row_counts

PROGRAM_PAGES = [
    "/program/applications",
    "/program/applications/{enrollment}",
    "/program/cohorts",
    "/program/cohorts/new",
    "/program/cohorts/{cohort}",
    "/program/cohorts/{cohort}/suggest",
    "/program/coverage",
]


@pytest.fixture
def waiting(make_applicant, apply_for, make_cohort):
    """An application waiting for a decision, and a cohort with free seats."""
    applicant = make_applicant(name="Wanda Waiting")
    return {"enrollment": apply_for(applicant), "cohort": make_cohort(capacity=2)}


def _path(template, waiting):
    return template.format(
        enrollment=waiting["enrollment"].id, cohort=waiting["cohort"].id
    )


@pytest.mark.parametrize("template", PROGRAM_PAGES)
def test_program_pages_are_for_program_managers_and_admins(
    db, client, waiting, program_manager, admin, engineer, signed_in, template
):
    path = _path(template, waiting)

    anonymous = client.get(path)
    refused = signed_in(engineer).get(path)

    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/auth/login")
    assert refused.status_code == 403
    assert "You do not have permission" in refused.text
    assert "Wanda Waiting" not in refused.text
    assert signed_in(program_manager).get(path).status_code == 200
    assert signed_in(admin).get(path).status_code == 200


def _program_posts(waiting):
    enrollment, cohort = waiting["enrollment"].id, waiting["cohort"].id
    return [
        (f"/program/applications/{enrollment}/approve", {"cohort_id": cohort}),
        (f"/program/applications/{enrollment}/decline", {"reason": "No."}),
        (f"/program/applications/{enrollment}/alumni", {"reason": ""}),
        (f"/program/cohorts/{cohort}/place", {"enrollment_ids": [enrollment]}),
        (
            "/program/cohorts/new",
            {"name": "Mine", "start_date": "2031-01-01", "capacity": 5},
        ),
    ]


def test_an_engineer_cannot_decide_or_open_cohorts(db, waiting, engineer, signed_in):
    client = signed_in(engineer)
    before = row_counts()

    for path, data in _program_posts(waiting):
        response = client.post(path, data=data)
        assert response.status_code == 403, path

    assert row_counts() == before
    assert fresh(Enrollment, waiting["enrollment"].id).status == S.APPLIED
    assert fresh(Cohort, waiting["cohort"].id).seats_taken == 0


def test_the_applicant_cannot_approve_themselves_through_the_program_pages(
    db, waiting, signed_in
):
    applicant = waiting["enrollment"].user
    enrollment_id = waiting["enrollment"].id

    response = signed_in(applicant).post(
        f"/program/applications/{enrollment_id}/approve",
        data={"cohort_id": waiting["cohort"].id},
    )

    assert response.status_code == 403
    assert history(enrollment_id) == [(None, S.APPLIED)]


def test_a_guardian_is_not_a_program_manager(db, waiting, make_user, signed_in):
    guardian = make_user(roles=["guardian", "mentor", "security_reviewer"])

    response = signed_in(guardian).get("/program/applications")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("confirm", {}),
        ("withdraw", {"reason": "not mine"}),
        ("step-down", {"steps_down_on": "2031-01-01", "reason": ""}),
    ],
)
@pytest.mark.parametrize("status", [S.NOMINATED, S.APPLIED, S.ACTIVE])
def test_nobody_acts_on_someone_elses_application(
    db, make_applicant, enrollment_in, intruder, signed_in, action, data, status
):
    owner = make_applicant()
    enrollment = enrollment_in(owner, status)
    client = signed_in(intruder)
    audit_before = db.session.scalars(select(AuditEvent.id)).all()

    response = client.post(
        f"/guardians/application/{enrollment.id}/{action}", data=data
    )

    assert response.status_code == 404
    after = fresh(Enrollment, enrollment.id)
    assert (after.status, after.steps_down_on) == (status, None)
    assert history(enrollment.id) == []
    assert db.session.scalars(select(AuditEvent.id)).all() == audit_before


def test_unknown_applications_are_not_found(db, program_manager, signed_in, intruder):
    person, manager = signed_in(intruder), signed_in(program_manager)

    assert person.post("/guardians/application/999/confirm").status_code == 404
    assert person.post("/guardians/application/999/withdraw").status_code == 404
    assert manager.get("/program/applications/999").status_code == 404
    assert manager.get("/program/cohorts/999").status_code == 404


def test_the_application_page_shows_only_ones_own(
    db, make_applicant, apply_for, signed_in
):
    mine, theirs = make_applicant(name="Mia Mine"), make_applicant(name="Theo Theirs")
    own = apply_for(mine, motivation=MOTIVATION + " Mine.")
    other = apply_for(theirs, motivation="Something only Theo wrote about himself.")

    page = signed_in(mine).get("/guardians/application").text

    assert f'id="enrollment-{own.id}"' in page
    assert f'id="enrollment-{other.id}"' not in page
    assert f"/guardians/application/{other.id}/" not in page


def test_signing_in_is_needed_to_apply_or_nominate(db, client):
    for path in ("/guardians/apply", "/guardians/nominate", "/guardians/application"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/auth/login"), path
    posted = client.post("/guardians/apply", data={"motivation": MOTIVATION})
    assert posted.status_code == 302
    assert db.session.scalars(select(Enrollment)).all() == []
