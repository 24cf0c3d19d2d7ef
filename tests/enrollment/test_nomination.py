"""Nominating a colleague: they are told, and confirm or decline themselves."""

import pytest
from sqlalchemy import select

from portal.enrollment.models import Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.notifications.models import Notification
from tests.enrollment.conftest import field_error, fresh, history

REASON = "She already runs our threat modelling sessions."


@pytest.fixture
def nominee(make_applicant):
    return make_applicant(email="nina@example.com", name="Nina Nominee")


@pytest.fixture
def line_manager(make_user, make_team):
    return make_user(email="lena@example.com", name="Lena Lead", team=make_team())


def _nominate(client, email, team_id):
    return client.post(
        "/guardians/nominate",
        data={
            "email": email,
            "guarded_team_id": team_id,
            "motivation": REASON,
            "hours_per_week": 3,
        },
    )


def _enrollments(db):
    db.session.expire_all()
    return db.session.scalars(select(Enrollment)).all()


def test_a_nomination_waits_for_the_nominee_who_confirms(
    db, nominee, line_manager, signed_in
):
    response = _nominate(signed_in(line_manager), "Nina@Example.com", nominee.team_id)

    assert response.status_code == 302
    [enrollment] = _enrollments(db)
    assert enrollment.status == S.NOMINATED
    assert enrollment.user_id == nominee.id
    assert enrollment.nominated_by_id == line_manager.id
    assert enrollment.manager_email == line_manager.email
    assert enrollment.motivation == REASON
    told = db.session.execute(
        select(Notification.title, Notification.link).where(
            Notification.recipient_id == nominee.id,
            Notification.kind == "enrollment",
        )
    ).all()
    assert told == [
        (
            "Lena Lead nominated you to become a Guardian. Confirm to apply.",
            "/guardians/application",
        )
    ]

    client = signed_in(nominee)
    page = client.get("/guardians/application").text
    assert "Nominated by</dt>" in page and "Lena Lead" in page
    assert "Confirm: I want to apply" in page
    confirmed = client.post(
        f"/guardians/application/{enrollment.id}/confirm", follow_redirects=True
    )

    assert "your nomination is now an application" in confirmed.text
    assert fresh(Enrollment, enrollment.id).status == S.APPLIED
    assert history(enrollment.id) == [(None, S.NOMINATED), (S.NOMINATED, S.APPLIED)]


def test_the_nominee_can_decline_the_nomination(db, nominee, line_manager, signed_in):
    _nominate(signed_in(line_manager), nominee.email, nominee.team_id)
    [enrollment] = _enrollments(db)
    client = signed_in(nominee)
    assert "Decline the nomination" in client.get("/guardians/application").text

    response = client.post(
        f"/guardians/application/{enrollment.id}/withdraw", data={"reason": ""}
    )

    assert response.status_code == 302
    assert fresh(Enrollment, enrollment.id).status == S.WITHDRAWN
    assert history(enrollment.id)[-1] == (S.NOMINATED, S.WITHDRAWN)


def test_the_nominator_cannot_confirm_for_the_nominee(
    db, nominee, line_manager, signed_in
):
    client = signed_in(line_manager)
    _nominate(client, nominee.email, nominee.team_id)
    [enrollment] = _enrollments(db)

    response = client.post(f"/guardians/application/{enrollment.id}/confirm")

    assert response.status_code == 404
    assert fresh(Enrollment, enrollment.id).status == S.NOMINATED


def test_nominating_oneself_is_refused(db, line_manager, signed_in):
    response = _nominate(
        signed_in(line_manager), line_manager.email, line_manager.team_id
    )
    assert response.status_code == 200
    assert (
        field_error(response.text, "email")
        == "Apply yourself instead of nominating yourself."
    )
    assert _enrollments(db) == []


def test_an_unknown_address_is_refused_with_a_form_error(
    db, line_manager, nominee, signed_in
):
    response = _nominate(signed_in(line_manager), "nobody@example.com", nominee.team_id)

    assert response.status_code == 200
    assert field_error(response.text, "email") == "No active account uses this address."
    assert _enrollments(db) == []


def test_someone_with_an_open_application_cannot_be_nominated(
    db, nominee, line_manager, apply_for, signed_in
):
    apply_for(nominee)

    response = _nominate(signed_in(line_manager), nominee.email, nominee.team_id)

    assert response.status_code == 200
    assert (
        field_error(response.text, "motivation")
        == "Nina Nominee already has an open Guardian application."
    )
    assert [e.status for e in _enrollments(db)] == [S.APPLIED]


def test_a_closed_account_cannot_be_nominated(db, make_user, line_manager, signed_in):
    closed = make_user(email="gone@example.com", active=False)

    response = _nominate(signed_in(line_manager), closed.email, line_manager.team_id)

    assert field_error(response.text, "email") == "That account is not active."
    assert _enrollments(db) == []
