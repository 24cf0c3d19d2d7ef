"""Program managers decide on applications; the applicant is told each decision."""

from datetime import timedelta

from sqlalchemy import select

from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.notifications.models import Notification
from tests.enrollment.conftest import fresh, history, today

REASON = "We need you on the incident rota this quarter; apply again in June."


def _told(db, user_id):
    db.session.expire_all()
    return db.session.execute(
        select(Notification.title, Notification.link).where(
            Notification.recipient_id == user_id, Notification.kind == "enrollment"
        )
    ).all()


def test_approval_places_the_applicant_and_tells_them(
    db, make_applicant, apply_for, make_cohort, program_manager, signed_in
):
    person = make_applicant()
    enrollment = apply_for(person)
    cohort = make_cohort(name="Autumn", capacity=3)
    client = signed_in(program_manager)
    page = client.get(f"/program/applications/{enrollment.id}").text
    assert "Autumn (3 of 3 seats left)" in page

    response = client.post(
        f"/program/applications/{enrollment.id}/approve",
        data={"cohort_id": cohort.id},
        follow_redirects=True,
    )

    assert f"{person.display_name} is approved into Autumn." in response.text
    placed = fresh(Enrollment, enrollment.id)
    assert (placed.status, placed.cohort_id) == (S.APPROVED, cohort.id)
    assert fresh(Cohort, cohort.id).seats_taken == 1
    assert _told(db, person.id) == [
        (
            "Your Guardian application is approved: you are in cohort Autumn.",
            "/guardians/application",
        )
    ]


def test_approval_into_a_started_cohort_starts_training_at_once(
    db, make_applicant, apply_for, make_cohort, program_manager, signed_in
):
    person = make_applicant()
    enrollment = apply_for(person)
    cohort = make_cohort(start_date=today() - timedelta(days=1))

    signed_in(program_manager).post(
        f"/program/applications/{enrollment.id}/approve", data={"cohort_id": cohort.id}
    )

    assert fresh(Enrollment, enrollment.id).status == S.IN_TRAINING
    titles = [title for title, _ in _told(db, person.id)]
    assert len(titles) == 2
    assert "Your Guardian training has started" in titles[1]


def test_a_full_cohort_is_not_offered(
    db, make_applicant, apply_for, make_cohort, program_manager, signed_in
):
    full = make_cohort(name="Full", capacity=1)
    open_one = make_cohort(name="Roomy", capacity=2)
    client = signed_in(program_manager)
    first = apply_for(make_applicant())
    client.post(
        f"/program/applications/{first.id}/approve", data={"cohort_id": full.id}
    )
    second = apply_for(make_applicant())

    page = client.get(f"/program/applications/{second.id}").text
    refused = client.post(
        f"/program/applications/{second.id}/approve",
        data={"cohort_id": full.id},
        follow_redirects=True,
    )

    assert "Roomy (2 of 2 seats left)" in page and "Full (" not in page
    assert "Choose a cohort with free seats." in refused.text
    assert fresh(Enrollment, second.id).status == S.APPLIED
    assert fresh(Cohort, full.id).seats_taken == 1
    assert open_one.seats_taken == 0


def test_declining_tells_the_applicant_why(
    db, make_applicant, apply_for, program_manager, signed_in
):
    person = make_applicant()
    enrollment = apply_for(person)

    response = signed_in(program_manager).post(
        f"/program/applications/{enrollment.id}/decline",
        data={"reason": f"  {REASON}  "},
        follow_redirects=True,
    )

    assert f"{person.display_name}&#39;s application is declined." in response.text
    declined = fresh(Enrollment, enrollment.id)
    assert declined.status == S.DECLINED
    assert declined.decision_reason == REASON
    assert _told(db, person.id) == [
        (f"Your Guardian application was declined: {REASON}", "/guardians/application")
    ]
    own_page = signed_in(person).get("/guardians/application").text
    assert f'Reason</dt><dd class="col-sm-9">{REASON}</dd>' in own_page


def test_declining_needs_a_reason(
    db, make_applicant, apply_for, program_manager, signed_in
):
    person = make_applicant()
    enrollment = apply_for(person)

    response = signed_in(program_manager).post(
        f"/program/applications/{enrollment.id}/decline",
        data={"reason": ""},
        follow_redirects=True,
    )

    assert "Give the applicant a reason for declining." in response.text
    assert fresh(Enrollment, enrollment.id).status == S.APPLIED
    assert history(enrollment.id) == [(None, S.APPLIED)]
    assert _told(db, person.id) == []


def test_a_program_manager_moves_an_active_guardian_to_alumni(
    db, make_applicant, enrollment_in, program_manager, signed_in
):
    person = make_applicant(roles=["guardian"])
    enrollment = enrollment_in(person, S.ACTIVE)

    signed_in(program_manager).post(
        f"/program/applications/{enrollment.id}/alumni", data={"reason": "Left"}
    )

    assert fresh(Enrollment, enrollment.id).status == S.ALUMNI
    assert history(enrollment.id) == [(S.ACTIVE, S.ALUMNI)]
    assert _told(db, person.id)[-1][0].startswith("You have stepped down")
