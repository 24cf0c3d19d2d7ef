"""The audit log: append-only, filtered and paginated for admins, exported as CSV."""

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import delete, func, select, update

from portal.audit.models import AuditEvent, AuditLogIsAppendOnly
from portal.audit.services import record_audit
from portal.audit.views import CSV_HEADER
from tests.helpers import login_as


def event_count(db):
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def record_at(db, when, actor, action, target_type, target_id, **details):
    event = record_audit(actor, action, target_type, target_id, **details)
    event.created_at = when
    db.session.commit()
    return event


def listed(client, query=""):
    """The "what happened" sentence of each row of the audit page, as read."""
    page = client.get(f"/admin/audit{query}")
    assert page.status_code == 200
    body = (
        page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        if ("<tbody>" in page.text)
        else ""
    )
    cells = re.findall(r"<tr>\s*<td[^>]*>[^<]*</td>\s*<td>(.*?)</td>", body, re.S)
    return [
        " ".join(unescape(re.sub(r"<div.*?</div>|<[^>]+>", "", c, flags=re.S)).split())
        for c in cells
    ]


def exported(client, query=""):
    response = client.get(f"/admin/audit/export.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.text)))


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


@pytest.fixture
def history(db, admin, engineer):
    """Five events over five days, by two actors and the command line."""
    days = [datetime(2024, 3, d, 12, 0, tzinfo=UTC) for d in range(10, 15)]
    eli, ada = {"target_name": "Eli Engineer"}, {"target_name": "Ada Admin"}
    record_at(
        db, days[0], admin, "role.grant", "user", engineer.id, role="guardian", **eli
    )
    record_at(db, days[1], admin, "org.create", "org", 7, target_name="Payments")
    record_at(db, days[2], engineer, "user.deactivate", "user", engineer.id, **eli)
    record_at(
        db,
        days[3],
        None,
        "accounts.import",
        "import",
        "2024-03-13",
        users_created=2,
        users_updated=1,
        teams_created=0,
        roles_granted=3,
    )
    record_at(db, days[4], admin, "role.grant", "user", admin.id, role="mentor", **ada)
    return days


GRANT_ADA = "Ada Admin granted the mentor role to Ada Admin."
IMPORT = (
    "Someone at the command line imported people: 2 created, 1 updated, 0 teams "
    "created, 3 roles granted."
)
DEACTIVATE = "Eli Engineer deactivated the account of Eli Engineer."
ORG = "Ada Admin created the org Payments."
GRANT_ELI = "Ada Admin granted the guardian role to Eli Engineer."


# Append-only


def test_an_audit_event_cannot_be_updated_through_the_orm(db, admin):
    event = record_audit(admin, "role.grant", "user", 1, role="guardian")
    db.session.commit()

    event.action = "role.revoke"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()

    assert db.session.scalar(select(AuditEvent.action)) == "role.grant"


def test_an_audit_event_cannot_be_deleted_through_the_orm(db, admin):
    event = record_audit(admin, "role.grant", "user", 1)
    db.session.commit()

    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()

    assert event_count(db) == 1


@pytest.mark.parametrize(
    "statement",
    [update(AuditEvent).values(action="tampered"), delete(AuditEvent)],
    ids=["bulk-update", "bulk-delete"],
)
def test_bulk_orm_statements_cannot_change_the_log(db, admin, statement):
    record_audit(admin, "role.grant", "user", 1)
    db.session.commit()

    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement)
    db.session.rollback()

    assert db.session.scalars(select(AuditEvent.action)).all() == ["role.grant"]


def test_new_events_can_still_be_added(db, admin):
    record_audit(admin, "org.create", "org", 1)
    db.session.commit()
    record_audit(admin, "org.update", "org", 1)
    db.session.commit()
    assert event_count(db) == 2


# IP address


def test_ip_is_recorded_for_events_written_during_a_request(app, db, admin, engineer):
    client = app.test_client()
    login_as(client, admin)

    client.post(
        f"/admin/users/{engineer.id}/roles",
        data={"role": "program_manager"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "role.grant")
    )
    assert event.ip == "203.0.113.9"
    assert "203.0.113.9" in client.get("/admin/audit").text


def test_events_written_outside_a_request_have_no_ip(db, admin):
    record_audit(None, "accounts.import", "import", "x")
    db.session.commit()
    assert db.session.scalar(select(AuditEvent.ip)) == ""


# The admin page


def test_page_lists_events_newest_first_as_sentences(
    admin_client, admin, engineer, history
):
    text = admin_client.get("/admin/audit").text

    assert listed(admin_client) == [GRANT_ADA, IMPORT, DEACTIVATE, ORG, GRANT_ELI]
    assert f'<a href="/people/{admin.id}">Ada Admin</a>' in text
    assert '<a href="/orgs/7">Payments</a>' in text
    assert "{&#39;" not in text and "{'" not in text, "no Python dicts"


def test_filter_by_action(admin_client, admin, engineer, history):
    assert listed(admin_client, "?action=role.grant") == [GRANT_ADA, GRANT_ELI]


def test_filter_by_person_name_or_email(admin_client, engineer, history):
    # Eli acted once and was the subject twice; Ada made every other change.
    assert listed(admin_client, "?person=eli") == [DEACTIVATE, GRANT_ELI]
    assert listed(admin_client, "?person=ADMIN@example") == [GRANT_ADA, ORG, GRANT_ELI]
    assert listed(admin_client, "?person=%25") == [], "% is a character, not a wildcard"


def test_filter_by_target(admin_client, engineer, history):
    query = f"?target_type=user&target_id={engineer.id}"
    assert listed(admin_client, query) == [DEACTIVATE, GRANT_ELI]
    assert listed(admin_client, "?target_type=org") == [ORG]


def test_filter_by_date_range_includes_both_days(
    admin_client, admin, engineer, history
):
    query = "?since=2024-03-11&until=2024-03-13"
    assert listed(admin_client, query) == [IMPORT, DEACTIVATE, ORG]
    assert listed(admin_client, "?since=2024-03-14") == [GRANT_ADA]
    assert listed(admin_client, "?until=2024-03-10") == [GRANT_ELI]


def test_filters_combine(admin_client, admin, history):
    query = "?action=role.grant&person=Ada&since=2024-03-12"
    assert listed(admin_client, query) == [GRANT_ADA]


def test_changes_read_as_before_and_after(admin_client, db, admin):
    record_audit(
        admin,
        "cohort.update",
        "cohort",
        4,
        target_name="Spring 2027",
        name=["Spring", "Spring 2027"],
        capacity=[5, 8],
    )
    db.session.commit()

    text = admin_client.get("/admin/audit").text

    assert listed(admin_client) == ["Ada Admin edited cohort Spring 2027."]
    assert "Capacity: 5 → 8" in text and "Name: Spring → Spring 2027" in text


def test_an_automatic_step_names_the_person_who_caused_it(admin_client, db, admin):
    record_audit(
        None,
        "enrollment.in_training",
        "enrollment",
        3,
        target_name="Eli Engineer",
        caused_by=admin,
        cohort="Spring",
        from_status="approved",
    )
    db.session.commit()

    assert listed(admin_client) == [
        "Eli Engineer started training in cohort Spring, after an action of Ada Admin."
    ]


def test_more_than_fifty_events_make_a_second_page(admin_client, db, admin):
    for number in range(57):
        record_audit(admin, "org.update", "org", number, target_name=f"Org {number}")
    db.session.commit()

    first = admin_client.get("/admin/audit")
    second = admin_client.get("/admin/audit?page=2")

    assert len(listed(admin_client)) == 50
    assert "Page 1 of 2 · 57 in all" in first.text
    assert 'href="/admin/audit?page=2"' in first.text
    assert len(listed(admin_client, "?page=2")) == 7
    assert "Page 2 of 2" in second.text
    shown = listed(admin_client) + listed(admin_client, "?page=2")
    assert sorted(shown) == sorted(
        f"Ada Admin edited the org Org {n}." for n in range(57)
    ), "nothing twice or lost"


def test_pagination_keeps_the_filters(admin_client, db, admin):
    for number in range(55):
        record_audit(admin, "org.update", "org", number)
        record_audit(admin, "team.update", "team", number)
    db.session.commit()

    first = admin_client.get("/admin/audit?action=org.update")

    assert "Page 1 of 2 · 55 in all" in first.text
    assert 'href="/admin/audit?page=2&amp;action=org.update"' in first.text
    second = listed(admin_client, "?action=org.update&page=2")
    assert len(second) == 5 and all("edited the org" in t for t in second)


def test_audit_pages_are_for_admins_only(client, intruder, history):
    login_as(client, intruder)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_audit_page_needs_sign_in(client):
    response = client.get("/admin/audit/export.csv")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


# CSV export


def test_csv_export_has_header_and_every_event(admin_client, admin, history):
    rows = exported(admin_client)

    assert rows[0] == CSV_HEADER
    assert len(rows) == 6
    newest = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert newest["time_utc"] == "2024-03-14T12:00:00+00:00"
    assert (newest["actor"], newest["actor_email"]) == (
        "Ada Admin",
        "admin@example.com",
    )
    assert newest["what_happened"] == GRANT_ADA.rstrip(".")
    assert newest["action"] == "role.grant"
    assert (newest["target_type"], newest["target_id"]) == ("user", str(admin.id))
    assert newest["details"] == '{"role": "mentor"}'
    system = dict(zip(CSV_HEADER, rows[2], strict=True))
    assert (system["actor"], system["actor_email"]) == ("", "")


def test_csv_export_follows_the_filters(admin_client, engineer, history):
    column = CSV_HEADER.index("action")
    rows = exported(admin_client, "?action=role.grant&since=2024-03-11")
    assert [r[column] for r in rows[1:]] == ["role.grant"]

    rows = exported(admin_client, f"?target_type=user&target_id={engineer.id}")
    assert [r[column] for r in rows[1:]] == ["user.deactivate", "role.grant"]


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)"]
)
def test_csv_export_escapes_formula_cells(admin_client, db, admin, dangerous):
    record_audit(admin, "org.create", "org", dangerous, name="x")
    db.session.commit()

    rows = exported(admin_client)

    assert rows[1][CSV_HEADER.index("target_id")] == "'" + dangerous
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row
    )


def test_csv_export_streams_many_rows(admin_client, db, admin):
    for number in range(1200):
        record_audit(admin, "org.update", "org", number)
    db.session.commit()

    rows = exported(admin_client)

    assert len(rows) == 1201
    target_id = CSV_HEADER.index("target_id")
    assert {r[target_id] for r in rows[1:]} == {str(n) for n in range(1200)}
