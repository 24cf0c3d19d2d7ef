"""Cohorts: capacity under concurrent placements, due dates, the cohort form."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.enrollment import cohorts, services
from portal.enrollment.models import Cohort, CohortDueDate, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.training.models import ModuleDueDate
from tests.concurrency import run_together
from tests.enrollment.conftest import NOW, field_error, fresh, today

PLACERS = 8
CAPACITY = 3


def test_eight_concurrent_placements_fill_exactly_the_capacity(
    app, db, make_applicant, apply_for, make_cohort, program_manager
):
    cohort = make_cohort(capacity=CAPACITY)
    enrollment_ids = [apply_for(make_applicant()).id for _ in range(PLACERS)]
    cohort_id, manager_id = cohort.id, program_manager.id
    db.session.commit()

    def place(enrollment_id):
        def in_a_request():
            with app.app_context():
                try:
                    services.place_in_cohort(
                        _db.session.get(User, manager_id),
                        _db.session.get(Enrollment, enrollment_id),
                        _db.session.get(Cohort, cohort_id),
                        NOW,
                    )
                    _db.session.commit()
                except DomainError as error:
                    _db.session.rollback()
                    return error.message
                return "placed"

        return in_a_request

    results = run_together(*(place(i) for i in enrollment_ids))

    assert results.count("placed") == CAPACITY, results
    refusals = [r for r in results if r != "placed"]
    assert refusals == [f"Cohort {cohort.name} is full."] * (PLACERS - CAPACITY)
    assert fresh(Cohort, cohort_id).seats_taken == CAPACITY
    statuses = db.session.execute(
        select(Enrollment.status, Enrollment.cohort_id).where(
            Enrollment.id.in_(enrollment_ids)
        )
    ).all()
    assert sorted(statuses, key=lambda row: row[0].value) == sorted(
        [(S.APPROVED, cohort_id)] * CAPACITY + [(S.APPLIED, None)] * 5,
        key=lambda row: row[0].value,
    )


def test_the_database_refuses_more_seats_than_capacity(db, make_cohort):
    cohort = make_cohort(capacity=CAPACITY)

    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Cohort)
            .where(Cohort.id == cohort.id)
            .values(seats_taken=CAPACITY + 1)
        )
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE cohorts SET seats_taken = capacity + 1 WHERE id = :id"),
            {"id": cohort.id},
        )
    db.session.rollback()

    assert fresh(Cohort, cohort.id).seats_taken == 0


def test_a_full_cohort_refuses_one_more(
    db, make_applicant, apply_for, make_cohort, program_manager
):
    cohort = make_cohort(capacity=1)
    services.place_in_cohort(program_manager, apply_for(make_applicant()), cohort, NOW)
    db.session.commit()
    late = apply_for(make_applicant())

    with pytest.raises(DomainError, match="is full"):
        services.place_in_cohort(program_manager, late, cohort, NOW)
    db.session.rollback()

    assert fresh(Enrollment, late.id).status == S.APPLIED
    assert fresh(Cohort, cohort.id).seats_taken == 1


def _cohort_form(name, start, capacity, due):
    data = {"name": name, "start_date": start.isoformat(), "capacity": capacity}
    data.update({f"due_{module_id}": day.isoformat() for module_id, day in due.items()})
    return data


def test_a_program_manager_opens_a_cohort_with_due_dates(
    db, make_required_modules, program_manager, signed_in
):
    first, second = make_required_modules(2)
    client = signed_in(program_manager)
    start = today() + timedelta(days=7)
    form = client.get("/program/cohorts/new").text
    assert "Due date: Required module 01" in form
    assert "Due date: Required module 02" in form

    response = client.post(
        "/program/cohorts/new",
        data=_cohort_form("Spring", start, 12, {first.id: start + timedelta(days=30)}),
    )

    cohort = db.session.scalars(select(Cohort)).one()
    assert response.headers["Location"].endswith(f"/program/cohorts/{cohort.id}")
    assert (cohort.name, cohort.start_date, cohort.capacity) == ("Spring", start, 12)
    assert cohort.seats_taken == 0 and cohort.created_by_id == program_manager.id
    assert [(d.module_id, d.due_on) for d in cohort.due_dates] == [
        (first.id, start + timedelta(days=30))
    ]
    page = client.get(f"/program/cohorts/{cohort.id}").text
    assert "Required module 01" in page and "0 of 12 seats taken" in page


def test_a_due_date_before_the_start_is_refused(
    db, make_required_modules, program_manager, signed_in
):
    [module] = make_required_modules(1)
    start = today() + timedelta(days=7)

    response = signed_in(program_manager).post(
        "/program/cohorts/new",
        data=_cohort_form("Spring", start, 12, {module.id: start - timedelta(days=1)}),
    )

    assert response.status_code == 200
    assert "A due date cannot be before the cohort starts." in response.text
    assert db.session.scalars(select(Cohort)).all() == []
    assert db.session.scalars(select(CohortDueDate)).all() == []


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("capacity", "0", "Number must be between 1 and 1000."),
        ("name", "", "Enter a name."),
        ("name", "   ", "Enter a name."),
        ("start_date", "someday", "Not a valid date value."),
    ],
)
def test_the_cohort_form_checks_its_shape(
    db, program_manager, signed_in, field, value, error
):
    data = _cohort_form("Spring", today(), 12, {})
    data[field] = value

    response = signed_in(program_manager).post("/program/cohorts/new", data=data)

    assert field_error(response.text, field) == error
    assert db.session.scalars(select(Cohort)).all() == []


def test_a_cohort_name_is_used_once(db, make_cohort, program_manager, signed_in):
    make_cohort(name="Spring")

    response = signed_in(program_manager).post(
        "/program/cohorts/new", data=_cohort_form("Spring", today(), 3, {})
    )

    assert field_error(response.text, "name") == "Another cohort already has this name."
    assert len(db.session.scalars(select(Cohort)).all()) == 1


def _due_dates_of(db, user_id):
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(ModuleDueDate.module_id, ModuleDueDate.due_on).where(
                ModuleDueDate.user_id == user_id
            )
        ).all()
    )


def test_placing_someone_gives_them_the_cohorts_due_dates(
    db,
    make_required_modules,
    make_applicant,
    apply_for,
    make_cohort,
    program_manager,
    signed_in,
):
    first, second, third = make_required_modules(3)
    start = today() + timedelta(days=7)
    due = {first.id: start + timedelta(days=10), second.id: start + timedelta(days=20)}
    cohort = make_cohort(capacity=4, start_date=start, due_dates=due)
    person = make_applicant()
    # An earlier due date for the first module is replaced by the cohort's.
    db.session.add(ModuleDueDate(user_id=person.id, module_id=first.id, due_on=start))
    db.session.commit()
    enrollment = apply_for(person)

    response = signed_in(program_manager).post(
        f"/program/applications/{enrollment.id}/approve", data={"cohort_id": cohort.id}
    )

    assert response.status_code == 302
    assert fresh(Enrollment, enrollment.id).status == S.APPROVED
    assert _due_dates_of(db, person.id) == due
    assert third.id not in _due_dates_of(db, person.id)


def test_new_due_dates_reach_everyone_already_placed(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    [module] = make_required_modules(1)
    cohort = make_cohort(capacity=2)
    person = make_applicant()
    services.place_in_cohort(program_manager, apply_for(person), cohort, NOW)
    db.session.commit()
    assert _due_dates_of(db, person.id) == {}
    later = cohort.start_date + timedelta(days=21)

    cohorts.set_due_dates(program_manager, fresh(Cohort, cohort.id), {module.id: later})
    db.session.commit()

    assert _due_dates_of(db, person.id) == {module.id: later}


def test_changing_the_due_dates_again_updates_them(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    first, second = make_required_modules(2)
    cohort = make_cohort(capacity=2)
    start = cohort.start_date
    cohorts.set_due_dates(
        program_manager,
        cohort,
        {first.id: start + timedelta(days=7), second.id: start + timedelta(days=14)},
    )
    person = make_applicant()
    services.place_in_cohort(program_manager, apply_for(person), cohort, NOW)
    db.session.commit()

    cohorts.set_due_dates(
        program_manager,
        fresh(Cohort, cohort.id),
        {first.id: start + timedelta(days=21), second.id: None},
    )
    db.session.commit()

    dates = db.session.execute(
        select(CohortDueDate.module_id, CohortDueDate.due_on).where(
            CohortDueDate.cohort_id == cohort.id
        )
    ).all()
    assert dates == [(first.id, start + timedelta(days=21))]
    assert _due_dates_of(db, person.id)[first.id] == start + timedelta(days=21)
