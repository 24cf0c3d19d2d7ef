"""Program pages run a fixed number of SQL statements, however many rows they list."""

from datetime import timedelta

import pytest

from portal.accounts.models import Seniority, User
from portal.enrollment import cohorts, services
from portal.enrollment.models import Cohort
from portal.enrollment.models import EnrollmentStatus as S
from portal.training.queries import required_modules
from portal.training.services import start_attempt, submit_attempt
from tests.enrollment.conftest import NOW
from tests.helpers import counting_statements

N = 3
SENIORITIES = list(Seniority)


class Rows:
    """Adds, each time, people from new orgs and teams with what a page lists."""

    def __init__(self, db, make, kind):
        self.db, self.make, self.kind, self.count = db, make, kind, 0
        self.cohort_id = None

    def _applicant(self):
        self.count += 1
        org = self.make["org"](f"Org {self.count:02}")
        team = self.make["team"](name=f"Team {self.count:02}", org=org)
        return self.make["applicant"](
            team=team,
            name=f"Person {self.count:02}",
            location=f"City {self.count}",
            seniority=SENIORITIES[self.count % len(SENIORITIES)],
        )

    def grow(self, by):
        for _ in range(by):
            person = self._applicant()
            getattr(self, f"_add_{self.kind}")(person)
        self.db.session.commit()

    def _add_applications(self, person):
        self.make["apply"](person, hours=1 + self.count % 5)
        self.make["enrollment_in"](self._applicant(), S.NOMINATED)

    def _add_coverage(self, person):
        stepping = NOW.date() + timedelta(days=9) if self.count % 2 else None
        self.make["enrollment_in"](person, S.ACTIVE, steps_down_on=stepping)
        self.make["team"](name=f"Unguarded {self.count:02}", org=person.team.org)

    def _add_cohort(self, person):
        if self.cohort_id is None:
            self.cohort_id = self.make["cohort"](capacity=100).id
        cohort = self.db.session.get(Cohort, self.cohort_id)
        manager = self.db.session.get(User, self.make["manager_id"])
        modules = self.make["modules"](1)  # every required module, one more each time
        due_on = cohort.start_date + timedelta(days=7)
        cohorts.set_due_dates(manager, cohort, {m.id: due_on for m in modules})
        enrollment = self.make["apply"](person)
        services.place_in_cohort(manager, enrollment, cohort, NOW)

    def _add_cohort_progress(self, person):
        self._add_cohort(person)
        module = required_modules()[0]
        attempt = start_attempt(person, module, NOW)
        submit_attempt(person, attempt, {}, NOW)

    def url(self):
        return {
            "applications": "/program/applications",
            "coverage": "/program/coverage",
            "cohort": f"/program/cohorts/{self.cohort_id}",
            "cohort_progress": f"/program/cohorts/{self.cohort_id}/progress",
        }[self.kind]


def statements_for(db, client, url):
    db.session.commit()
    db.session.remove()
    with counting_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.text


@pytest.mark.parametrize(
    "kind", ["applications", "coverage", "cohort", "cohort_progress"]
)
def test_program_pages_do_not_run_more_queries_with_more_rows(
    db,
    make_org,
    make_team,
    make_applicant,
    apply_for,
    enrollment_in,
    make_cohort,
    make_required_modules,
    program_manager,
    signed_in,
    kind,
):
    make = {
        "org": make_org,
        "team": make_team,
        "applicant": make_applicant,
        "apply": apply_for,
        "enrollment_in": enrollment_in,
        "cohort": make_cohort,
        "modules": make_required_modules,
        "manager_id": program_manager.id,
    }
    rows = Rows(db, make, kind)
    client = signed_in(program_manager)

    rows.grow(N)
    small, _ = statements_for(db, client, rows.url())
    rows.grow(2 * N)
    large, page = statements_for(db, client, rows.url())

    assert large == small, (
        f"{rows.url()}: {small} statements for {N}, {large} for {3 * N}"
    )
    last = {
        "applications": "Person 17",
        "coverage": "Team 09",
        "cohort": "Person 09",
        "cohort_progress": "Person 09",
    }
    assert last[kind] in page, "the page lists the newest rows too"
