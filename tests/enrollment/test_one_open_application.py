"""One open application per person, held by the database whatever requests do."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.enrollment import services
from portal.enrollment.models import Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.errors import DomainError
from portal.extensions import db as _db
from tests.concurrency import run_together
from tests.enrollment.conftest import MOTIVATION, NOW


def _enrollments_of(db, user_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Enrollment.status).where(Enrollment.user_id == user_id)
    ).all()


def test_applying_twice_is_refused_with_a_clear_error(db, make_applicant, apply_for):
    person = make_applicant()
    apply_for(person)

    with pytest.raises(DomainError) as raised:
        apply_for(person)

    assert raised.value.field == "motivation"
    assert raised.value.message == "You already have an open Guardian application."
    db.session.rollback()
    assert _enrollments_of(db, person.id) == [S.APPLIED]


def test_applying_again_in_the_browser_goes_back_to_the_open_application(
    db, make_applicant, apply_for, signed_in
):
    person = make_applicant()
    apply_for(person)
    client = signed_in(person)

    response = client.post(
        "/guardians/apply",
        data={
            "guarded_team_id": person.team_id,
            "motivation": MOTIVATION,
            "manager_email": "boss@example.com",
            "hours_per_week": 2,
        },
        follow_redirects=True,
    )

    assert response.request.path == "/guardians/application"
    assert "You already have an open Guardian application." in response.text
    assert _enrollments_of(db, person.id) == [S.APPLIED]


def test_two_applications_at_once_make_exactly_one_row(app, db, make_applicant):
    person = make_applicant()
    person_id, team_id = person.id, person.team_id
    db.session.commit()

    def apply_in_a_request():
        with app.app_context():
            user = _db.session.get(User, person_id)
            try:
                services.apply(
                    user,
                    guarded_team_id=team_id,
                    motivation=MOTIVATION,
                    manager_email="boss@example.com",
                    hours_per_week=3,
                    now=NOW,
                )
                _db.session.commit()
            except DomainError as error:
                _db.session.rollback()
                return error.message
            return "applied"

    results = run_together(apply_in_a_request, apply_in_a_request)

    assert sorted(results) == [
        "You already have an open Guardian application.",
        "applied",
    ]
    assert _enrollments_of(db, person.id) == [S.APPLIED]


def test_the_database_refuses_a_second_open_row(db, make_applicant, enrollment_in):
    person = make_applicant()
    enrollment_in(person, S.IN_TRAINING)

    db.session.add(
        Enrollment(
            user_id=person.id,
            status=S.NOMINATED,
            guarded_team_id=person.team_id,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert _enrollments_of(db, person.id) == [S.IN_TRAINING]


def test_closed_enrollments_do_not_count_against_the_one_open(
    db, make_applicant, enrollment_in
):
    person = make_applicant()
    for status in (S.DECLINED, S.WITHDRAWN, S.ALUMNI, S.DECLINED, S.APPLIED):
        enrollment_in(person, status)

    assert sorted(s.value for s in _enrollments_of(db, person.id)) == [
        "alumni",
        "applied",
        "declined",
        "declined",
        "withdrawn",
    ]
    assert services.open_enrollment(person.id).status == S.APPLIED
