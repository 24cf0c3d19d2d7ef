"""Coverage per org and team, stepping down, and the daily enrollment calendar."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Org, Role, User
from portal.audit.models import AuditEvent
from portal.enrollment import queries, services
from portal.enrollment.models import Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.errors import DomainError
from portal.notifications.models import Notification
from tests.enrollment.conftest import (
    NOW,
    fresh,
    history,
    today,
)
from tests.helpers import login_as


@pytest.fixture
def company(make_org, make_team, make_user, enrollment_in):
    """Apps (Web: 3 engineers, one of them its Guardian; Mobile: 1) and Data
    (Lake: 2), plus a closed account in Web that no count includes."""
    apps, data = make_org("Apps"), make_org("Data")
    web = make_team(name="Web", org=apps)
    mobile = make_team(name="Mobile", org=apps)
    lake = make_team(name="Lake", org=data)
    guardian = make_user(name="Gus Guardian", team=web, roles=["guardian"])
    make_user(team=web)
    make_user(team=web)
    make_user(team=web, active=False)
    make_user(team=mobile)
    lake_people = [make_user(team=lake), make_user(team=lake)]
    enrollment = enrollment_in(guardian, S.ACTIVE)
    return {
        "apps": apps,
        "data": data,
        "web": web,
        "mobile": mobile,
        "lake": lake,
        "guardian": guardian,
        "enrollment": enrollment,
        "lake_people": lake_people,
    }


def _org_row(page, name):
    match = re.search(rf">{name}</a></th>(.*?)</tr>", page, re.S)
    assert match, f"no row for {name}"
    return match.group(1)


def _listed_teams(page):
    """Teams in the by-team table, in order."""
    table = page.split("By team</h2>", 1)[1]
    return re.findall(r'<td><a href="/teams/\d+">([^<]+)</a></td>', table)


def test_org_ratios_count_engineers_and_guardians(db, company):
    rows = {
        row["org"].name: (
            row["engineers"],
            row["guardians"],
            row["teams"],
            row["ratio"],
        )
        for row in queries.org_ratios(25)
    }

    assert rows == {"Apps": (4, 1, 2, 4.0), "Data": (2, 0, 1, None)}


@pytest.mark.parametrize(
    ("target", "apps_badge"),
    [(25, "On target"), (3, "Below target: 1 more needed")],
)
def test_the_coverage_page_compares_each_org_with_the_target(
    db, app_factory, company, program_manager, target, apps_badge
):
    app = app_factory(PORTAL_GUARDIAN_RATIO_TARGET=target)
    client = app.test_client()
    login_as(client, program_manager)

    page = client.get("/program/coverage").text

    assert f"the company default is {target}" in page
    apps = _org_row(page, "Apps")
    assert re.findall(r'text-end">([^<]+)<', apps) == ["2", "4", "1", "4"]
    assert apps_badge in apps
    assert "No Guardians" in _org_row(page, "Data")


def test_uncovered_lists_only_teams_without_a_guardian(
    db, company, program_manager, signed_in
):
    client = signed_in(program_manager)

    everyone = _listed_teams(client.get("/program/coverage").text)
    uncovered = _listed_teams(client.get("/program/coverage?uncovered=1").text)
    in_data = _listed_teams(
        client.get(f"/program/coverage?uncovered=1&org_id={company['data'].id}").text
    )

    assert everyone == ["Apps / Mobile", "Apps / Web", "Data / Lake"]
    assert uncovered == ["Apps / Mobile", "Data / Lake"]
    assert in_data == ["Data / Lake"]


def test_a_team_whose_only_guardian_steps_down_is_flagged(
    db, company, enrollment_in, program_manager, signed_in
):
    guardian = company["guardian"]
    services.step_down(
        guardian, company["enrollment"], NOW.date() + timedelta(days=30), NOW
    )
    first, second = company["lake_people"]
    enrollment_in(first, S.ACTIVE, steps_down_on=NOW.date() + timedelta(days=9))
    enrollment_in(second, S.ACTIVE)  # Lake keeps a Guardian: not flagged
    db.session.commit()

    flagged = [(team.name, count) for team, count in queries.flagged_teams()]
    page = signed_in(program_manager).get("/program/coverage").text

    assert flagged == [("Web", 1)]
    alert = page.split("Teams about to lose their only Guardian", 1)[1].split("</ul>")[
        0
    ]
    assert "Apps / Web</a>: every Guardian (1) is stepping down" in alert
    assert "Lake" not in alert
    web_row = re.search(r"Apps / Web</a></td>(.*?)</tr>", page, re.S).group(1)
    assert "Every Guardian stepping down" in web_row
    lake_row = re.search(r"Data / Lake</a></td>(.*?)</tr>", page, re.S).group(1)
    assert "stepping down" not in lake_row


def test_stepping_down_in_the_browser_records_the_last_day(db, company, signed_in):
    guardian = company["guardian"]
    client = signed_in(guardian)
    last_day = today() + timedelta(days=14)

    response = client.post(
        f"/guardians/application/{company['enrollment'].id}/step-down",
        data={"steps_down_on": last_day.isoformat(), "reason": "New job"},
    )

    assert response.status_code == 302
    enrollment = fresh(Enrollment, company["enrollment"].id)
    assert (enrollment.status, enrollment.steps_down_on) == (S.ACTIVE, last_day)
    assert "Steps down on" in client.get("/guardians/application").text


def test_stepping_down_today_makes_an_alumni_at_once(db, company):
    guardian, enrollment = company["guardian"], company["enrollment"]

    services.step_down(guardian, enrollment, NOW.date(), NOW, reason="Leaving")
    db.session.commit()

    assert fresh(Enrollment, enrollment.id).status == S.ALUMNI
    assert Role.GUARDIAN not in fresh(User, guardian.id).roles


def test_a_step_down_date_in_the_past_is_refused(db, company):
    with pytest.raises(DomainError, match="today or a later date"):
        services.step_down(
            company["guardian"],
            company["enrollment"],
            NOW.date() - timedelta(days=1),
            NOW,
        )
    db.session.rollback()
    assert fresh(Enrollment, company["enrollment"].id).steps_down_on is None


def test_someone_else_cannot_step_a_guardian_down(db, company, intruder):
    with pytest.raises(DomainError, match="Only the Guardian or a program manager"):
        services.step_down(intruder, company["enrollment"], NOW.date(), NOW)
    db.session.rollback()
    assert fresh(Enrollment, company["enrollment"].id).status == S.ACTIVE


def test_the_calendar_starts_cohorts_and_retires_guardians(
    db,
    make_applicant,
    make_user,
    apply_for,
    enrollment_in,
    make_cohort,
    program_manager,
):
    earlier = NOW - timedelta(days=10)
    starting = make_cohort(start_date=NOW.date())
    later = make_cohort(start_date=NOW.date() + timedelta(days=1))
    starts = apply_for(make_applicant(), now=earlier)
    waits = apply_for(make_applicant(), now=earlier)
    services.place_in_cohort(program_manager, starts, starting, earlier)
    services.place_in_cohort(program_manager, waits, later, earlier)
    leaver = make_applicant(roles=["guardian"])
    leaves = enrollment_in(leaver, S.ACTIVE, steps_down_on=NOW.date())
    stays = enrollment_in(
        make_applicant(roles=["guardian"]),
        S.ACTIVE,
        steps_down_on=NOW.date() + timedelta(days=1),
    )
    db.session.commit()
    assert fresh(Enrollment, starts.id).status == S.APPROVED

    report = services.run_enrollment_calendar(NOW)
    db.session.commit()

    assert report == "1 started training, 1 stepped down, 0 certificate(s) lapsed"
    assert fresh(Enrollment, starts.id).status == S.IN_TRAINING
    assert fresh(Enrollment, waits.id).status == S.APPROVED
    assert fresh(Enrollment, leaves.id).status == S.ALUMNI
    assert fresh(Enrollment, stays.id).status == S.ACTIVE
    assert Role.GUARDIAN not in fresh(User, leaver.id).roles
    assert history(leaves.id) == [(S.ACTIVE, S.ALUMNI)]
    started_note = db.session.scalars(
        select(Notification.title).where(
            Notification.recipient_id == starts.user_id,
            Notification.title.like("%training has started%"),
        )
    ).all()
    assert len(started_note) == 1
    # A second run the same day, or a retry, finds nothing left to do.
    assert services.run_enrollment_calendar(NOW) == (
        "0 started training, 0 stepped down, 0 certificate(s) lapsed"
    )


def test_a_team_with_a_single_guardian_is_a_risk(
    db, make_org, make_team, make_applicant, enrollment_in, program_manager, signed_in
):
    org = make_org(name="Payments")
    lone = make_team(name="Lone", org=org)
    pair = make_team(name="Pair", org=org)
    enrollment_in(make_applicant(team=lone), S.ACTIVE)
    for _ in range(2):
        enrollment_in(make_applicant(team=pair), S.ACTIVE)
    client = signed_in(program_manager)

    page = client.get("/program/coverage").text
    singles = client.get("/program/coverage?show=single").text

    assert "1 team rests on a single Guardian" in page
    assert "Single Guardian: a risk" in page
    assert "Payments / Lone" in singles and "Payments / Pair" not in singles
    bogus = client.get("/program/coverage?show=bogus")
    assert bogus.status_code == 400 and "Some filters could not be read" in bogus.text


def test_each_org_sets_its_own_target(
    db, make_org, make_team, make_applicant, enrollment_in, program_manager, signed_in
):
    org = make_org(name="Payments")
    team = make_team(name="Checkout", org=org)
    for _ in range(9):
        make_applicant(team=team)
    enrollment_in(make_applicant(team=team), S.ACTIVE)
    client = signed_in(program_manager)

    assert "On target" in client.get("/program/coverage").text  # 10 per 1, default 25
    saved = client.post(
        f"/program/coverage/orgs/{org.id}/target",
        data={"target": "5"},
        follow_redirects=True,
    ).text
    refused = client.post(
        f"/program/coverage/orgs/{org.id}/target", data={"target": "0"}
    )

    assert "The Guardian target for Payments is saved." in saved
    assert "Below target: 1 more needed" in saved
    assert refused.status_code == 302
    assert fresh(Org, org.id).guardian_ratio_target == 5
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "org.ratio_target")
    ).all()
    assert [e.details for e in events] == [{"target": [None, 5]}]
    client.post(f"/program/coverage/orgs/{org.id}/target", data={"target": ""})
    assert fresh(Org, org.id).guardian_ratio_target is None
