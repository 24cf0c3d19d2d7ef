"""People's text never reaches str.format or % as a template: names with braces
and percent signs go through every decision and message unharmed."""

import pytest
from sqlalchemy import select

from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.notifications.models import Notification
from portal.notifications.services import notify
from tests.enrollment.conftest import NOW, fresh

ODD_NAMES = ["Pilot {2026}", "Q3 {name} {0}", "100% {cohort!r}"]


@pytest.mark.parametrize("cohort_name", ODD_NAMES)
def test_approving_into_a_cohort_with_braces_in_its_name(
    db, make_applicant, apply_for, make_cohort, program_manager, signed_in, cohort_name
):
    person = make_applicant(name="Zoë {user} O'Brien %s")
    enrollment = apply_for(person)
    cohort = make_cohort(name=cohort_name, capacity=2)
    client = signed_in(program_manager)

    response = client.post(
        f"/program/applications/{enrollment.id}/approve",
        data={"cohort_id": cohort.id},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Zoë {user} O&#39;Brien %s is approved into" in response.text
    assert fresh(Enrollment, enrollment.id).status == S.APPROVED
    assert fresh(Cohort, cohort.id).seats_taken == 1


def test_declining_and_admin_messages_keep_braces(
    db, make_applicant, apply_for, program_manager, signed_in, admin
):
    person = make_applicant(name="{0} {name}")
    enrollment = apply_for(person)
    manager = signed_in(program_manager)

    declined = manager.post(
        f"/program/applications/{enrollment.id}/decline",
        data={"reason": "Not this quarter {reason} %(x)s"},
        follow_redirects=True,
    )
    granted = signed_in(admin).post(
        f"/admin/users/{person.id}/roles",
        data={"role": "program_manager", "action": "grant"},
        follow_redirects=True,
    )

    assert "{0} {name}&#39;s application is declined." in declined.text
    assert fresh(Enrollment, enrollment.id).decision_reason == (
        "Not this quarter {reason} %(x)s"
    )
    assert granted.status_code == 200 and "{0} {name}" in granted.text


def test_a_grouped_notification_title_with_braces(db, make_user):
    person = make_user()
    for _ in range(2):
        notify(
            person,
            "enrollment",
            "A note",
            now=NOW,
            group_key="odd",
            title_many="{count} notes about {cohort} 100%",
        )
        db.session.commit()

    shown = db.session.scalars(
        select(Notification).where(Notification.group_key == "odd")
    ).one()
    assert shown.display_title == "2 notes about {cohort} 100%"


def test_choosing_more_people_than_seats_says_how_many(
    db, make_applicant, apply_for, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(capacity=2)
    chosen = [apply_for(make_applicant()) for _ in range(3)]
    client = signed_in(program_manager)

    response = client.post(
        f"/program/cohorts/{cohort.id}/place",
        data={"enrollment_ids": [e.id for e in chosen]},
        follow_redirects=True,
    )

    assert "Nobody was placed: 2 seats free, 3 chosen." in response.text
    assert fresh(Cohort, cohort.id).seats_taken == 0
    assert {fresh(Enrollment, e.id).status for e in chosen} == {S.APPLIED}
