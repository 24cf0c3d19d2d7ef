"""A cohort's progress matrix: each member × required module, overdue marked,
sortable, and the same as CSV."""

import csv
import io
from datetime import timedelta

from portal.training.queries import required_modules
from portal.training.services import start_attempt, submit_attempt
from tests.enrollment.conftest import NOW, today
from tests.training.conftest import correct_answers


def _take(person, module, when, right):
    attempt = start_attempt(person, module, when)
    answers = correct_answers(attempt.module_version) if right else {}
    submit_attempt(person, attempt, answers, when)


def test_the_matrix_marks_overdue_sorts_and_exports(
    db,
    make_applicant,
    apply_for,
    make_cohort,
    make_required_modules,
    program_manager,
    signed_in,
    make_team,
    make_org,
):
    first, second = make_required_modules(2)
    started = today() - timedelta(days=20)
    cohort = make_cohort(
        capacity=5,
        start_date=started,
        due_dates={
            first.id: started + timedelta(days=5),
            second.id: today() + timedelta(days=30),
        },
    )
    org = make_org()
    ada = make_applicant(name="Ada Late", team=make_team(name="Alpha", org=org))
    bob = make_applicant(name="=Bob Formula", team=make_team(name="Zeta", org=org))
    client = signed_in(program_manager)
    for person in (ada, bob):
        client.post(
            f"/program/applications/{apply_for(person).id}/approve",
            data={"cohort_id": cohort.id},
        )
    db.session.commit()
    _take(bob, first, NOW, right=True)
    _take(ada, first, NOW, right=False)
    db.session.commit()

    client.get("/")  # shows the approval messages, so the matrix pages hold only rows
    by_name = client.get(f"/program/cohorts/{cohort.id}/progress").text
    by_passed = client.get(f"/program/cohorts/{cohort.id}/progress?sort=passed").text
    odd = client.get(f"/program/cohorts/{cohort.id}/progress?sort=nonsense")
    exported = client.get(f"/program/cohorts/{cohort.id}/progress.csv?sort=team")

    # "=" sorts before letters: by name Bob comes first; by modules passed too.
    assert by_name.index("=Bob Formula") < by_name.index("Ada Late")
    assert by_passed.index("=Bob Formula") < by_passed.index("Ada Late")
    assert "table-danger" in by_name and "overdue since" in by_name
    # An unknown order is a 400 that says so, and the matrix still shows by name.
    assert odd.status_code == 400 and "Some filters could not be read" in odd.text
    assert odd.text.index("=Bob Formula") < odd.text.index("Ada Late")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:6] == ["name", "email", "team", "status", "passed", "overdue"]
    assert [r[0] for r in rows[1:]] == ["Ada Late", "'=Bob Formula"], "team order"
    ada_row = rows[1]
    assert ada_row[4:6] == ["0", "1"]
    assert ada_row[6].startswith("Failed (1/3), overdue since")
    assert rows[2][6].startswith("Passed ")
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert len(rows[0]) == 6 + len(required_modules())


def test_only_program_managers_see_the_matrix(
    db, make_cohort, engineer, admin, signed_in
):
    cohort = make_cohort()
    url = f"/program/cohorts/{cohort.id}/progress"

    assert signed_in(engineer).get(url).status_code == 403
    assert signed_in(engineer).get(url + ".csv").status_code == 403
    assert signed_in(admin).get(url).status_code == 200
