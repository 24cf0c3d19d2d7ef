"""Cohorts change: edits (never below the seated), a past start date confirmed,
closing, deleting only an empty one; every change audited as before → after."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.enrollment import cohorts, services
from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.errors import DomainError
from portal.extensions import db as _db
from tests.concurrency import run_together
from tests.enrollment.conftest import NOW, fresh, today


def seated(db, cohort, apply_for, make_applicant, program_manager, count):
    for _ in range(count):
        enrollment = apply_for(make_applicant())
        services.place_in_cohort(program_manager, enrollment, cohort, NOW)
    db.session.commit()


def form(cohort, **changes):
    data = {
        "name": cohort.name,
        "start_date": cohort.start_date.isoformat(),
        "capacity": str(cohort.capacity),
    }
    data.update(changes)
    return data


def audit(db, action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action)
    ).all()


def test_editing_a_cohort_saves_and_audits_before_and_after(
    db, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(name="Spring", capacity=5)
    starts = cohort.start_date + timedelta(days=7)

    response = signed_in(program_manager).post(
        f"/program/cohorts/{cohort.id}/edit",
        data=form(cohort, name="Spring 2027", capacity="8", start_date=starts),
        follow_redirects=True,
    )

    assert "Cohort Spring 2027 is saved." in response.text
    saved = fresh(Cohort, cohort.id)
    assert (saved.name, saved.capacity, saved.start_date) == ("Spring 2027", 8, starts)
    (event,) = audit(db, "cohort.update")
    assert event.details == {
        "name": ["Spring", "Spring 2027"],
        "capacity": [5, 8],
        "start_date": [
            (starts - timedelta(days=7)).isoformat(),
            starts.isoformat(),
        ],
    }


def test_capacity_never_goes_below_the_people_seated(
    db, make_cohort, make_applicant, apply_for, program_manager, signed_in
):
    cohort = make_cohort(capacity=4)
    seated(db, cohort, apply_for, make_applicant, program_manager, 3)

    page = signed_in(program_manager).post(
        f"/program/cohorts/{cohort.id}/edit", data=form(cohort, capacity="2")
    )

    assert page.status_code == 200
    assert "3 people are seated: the capacity cannot be lower." in page.text
    assert fresh(Cohort, cohort.id).capacity == 4
    assert audit(db, "cohort.update") == []


def test_a_start_date_in_the_past_needs_confirming(
    db, make_cohort, make_applicant, apply_for, program_manager, signed_in
):
    cohort = make_cohort()
    seated(db, cohort, apply_for, make_applicant, program_manager, 1)
    client = signed_in(program_manager)
    past = today() - timedelta(days=3)

    refused = client.post(
        f"/program/cohorts/{cohort.id}/edit", data=form(cohort, start_date=past)
    )
    confirmed = client.post(
        f"/program/cohorts/{cohort.id}/edit",
        data=form(cohort, start_date=past, confirm_past_start="y"),
    )

    assert "is in the past: tick the box to confirm" in refused.text
    assert confirmed.status_code == 302
    assert fresh(Cohort, cohort.id).start_date == past
    member = _db.session.scalars(select(Enrollment)).one()
    assert member.status == S.IN_TRAINING, "its approved people start at once"


def test_a_closed_cohort_takes_nobody_new(
    db, make_cohort, make_applicant, apply_for, program_manager, signed_in
):
    cohort = make_cohort(name="Winter", capacity=4)
    client = signed_in(program_manager)

    closed = client.post(
        f"/program/cohorts/{cohort.id}/close", follow_redirects=True
    ).text
    enrollment = apply_for(make_applicant())
    approve = client.post(
        f"/program/applications/{enrollment.id}/approve",
        data={"cohort_id": cohort.id},
        follow_redirects=True,
    ).text

    assert "Cohort Winter is closed to new placements." in closed
    assert "Choose a cohort with free seats." in approve
    with pytest.raises(DomainError, match="Cohort Winter is closed."):
        services.place_in_cohort(program_manager, enrollment, cohort, NOW)
    _db.session.rollback()
    assert fresh(Enrollment, enrollment.id).status == S.APPLIED
    reopened = client.post(
        f"/program/cohorts/{cohort.id}/reopen", follow_redirects=True
    ).text
    assert "Cohort Winter is open again." in reopened
    assert [e.action for e in audit(db, "cohort.close")] == ["cohort.close"]


def test_only_an_empty_cohort_can_be_deleted(
    db, make_cohort, make_applicant, apply_for, program_manager, signed_in
):
    empty, used = make_cohort(name="Empty"), make_cohort(name="Used")
    seated(db, used, apply_for, make_applicant, program_manager, 1)
    empty_id, used_id = empty.id, used.id
    client = signed_in(program_manager)

    refused = client.post(f"/program/cohorts/{used_id}/delete", follow_redirects=True)
    deleted = client.post(f"/program/cohorts/{empty_id}/delete", follow_redirects=True)

    assert "1 people were placed in Used: close it instead." in refused.text
    assert "Cohort Empty is deleted." in deleted.text
    assert fresh(Cohort, empty_id) is None and fresh(Cohort, used_id) is not None
    (event,) = audit(db, "cohort.delete")
    assert (event.target_name, event.details) == ("Empty", {})


def test_cohort_changes_are_for_program_managers(db, make_cohort, engineer, signed_in):
    cohort = make_cohort()
    client = signed_in(engineer)

    for path in ("edit", "close", "reopen", "delete"):
        assert client.post(f"/program/cohorts/{cohort.id}/{path}").status_code == 403
    with pytest.raises(DomainError, match="Only program managers"):
        cohorts.close_cohort(engineer, cohort, NOW)


def test_shrinking_while_people_are_placed_never_overbooks(
    app, db, make_cohort, make_applicant, apply_for, program_manager
):
    cohort = make_cohort(capacity=6)
    enrollment_ids = [apply_for(make_applicant()).id for _ in range(6)]
    cohort_id, manager_id = cohort.id, program_manager.id
    db.session.commit()

    def place(enrollment_id):
        with app.app_context():
            try:
                services.place_in_cohort(
                    _db.session.get(User, manager_id),
                    _db.session.get(Enrollment, enrollment_id),
                    _db.session.get(Cohort, cohort_id),
                    NOW,
                )
                _db.session.commit()
                return "placed"
            except DomainError:
                _db.session.rollback()
                return "refused"

    def shrink():
        with app.app_context():
            cohort = _db.session.get(Cohort, cohort_id)
            try:
                cohorts.edit_cohort(
                    _db.session.get(User, manager_id),
                    cohort,
                    name=cohort.name,
                    capacity=3,
                    start_date=cohort.start_date,
                    due_dates={},
                    now=NOW,
                )
                _db.session.commit()
                return "shrunk"
            except DomainError:
                _db.session.rollback()
                return "refused"

    outcomes = run_together(shrink, *[lambda e=e: place(e) for e in enrollment_ids])

    final = fresh(Cohort, cohort_id)
    assert final.seats_taken <= final.capacity
    assert final.seats_taken == outcomes.count("placed")
    assert final.capacity == (3 if outcomes[0] == "shrunk" else 6)
