"""The audit log: append-only, filtered and paginated for admins, exported as CSV."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, update

from portal.audit.models import AuditEvent, AuditLogIsAppendOnly
from portal.audit.services import record_audit
from portal.audit.views import CSV_HEADER
from tests.conftest import login_as


def event_count(db):
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def record_at(db, when, actor, action, target_type, target_id, **details):
    event = record_audit(actor, action, target_type, target_id, **details)
    event.created_at = when
    db.session.commit()
    return event


def listed_targets(client, query=""):
    """The "target" cell of each row of the audit page."""
    page = client.get(f"/admin/audit{query}")
    assert page.status_code == 200
    return re.findall(r"<td><code>[^<]*</code></td>\s*<td>([^<]*)</td>", page.text)


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
    record_at(db, days[0], admin, "role.grant", "user", engineer.id, role="guardian")
    record_at(db, days[1], admin, "org.create", "org", 7, name="Payments")
    record_at(db, days[2], engineer, "user.deactivate", "user", engineer.id, reason="")
    record_at(db, days[3], None, "accounts.import", "import", "2024-03-13")
    record_at(db, days[4], admin, "role.grant", "user", admin.id, role="mentor")
    return days


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


def test_page_lists_events_newest_first_with_actor(
    admin_client, admin, engineer, history
):
    text = admin_client.get("/admin/audit").text

    assert listed_targets(admin_client) == [
        f"user {admin.id}",
        "import 2024-03-13",
        f"user {engineer.id}",
        "org 7",
        f"user {engineer.id}",
    ]
    assert f'<a href="/admin/users/{admin.id}">Ada Admin</a>' in text
    assert "system / command line" in text


def test_filter_by_action(admin_client, admin, engineer, history):
    assert listed_targets(admin_client, "?action=role.grant") == [
        f"user {admin.id}",
        f"user {engineer.id}",
    ]


def test_filter_by_actor(admin_client, engineer, history):
    assert listed_targets(admin_client, f"?actor_id={engineer.id}") == [
        f"user {engineer.id}"
    ]


def test_filter_by_target(admin_client, engineer, history):
    query = f"?target_type=user&target_id={engineer.id}"
    assert listed_targets(admin_client, query) == [f"user {engineer.id}"] * 2
    assert listed_targets(admin_client, "?target_type=org") == ["org 7"]


def test_filter_by_date_range_includes_both_days(
    admin_client, admin, engineer, history
):
    query = "?since=2024-03-11&until=2024-03-13"
    assert listed_targets(admin_client, query) == [
        "import 2024-03-13",
        f"user {engineer.id}",
        "org 7",
    ]
    assert listed_targets(admin_client, "?since=2024-03-14") == [f"user {admin.id}"]
    assert listed_targets(admin_client, "?until=2024-03-10") == [f"user {engineer.id}"]


def test_filters_combine(admin_client, admin, history):
    query = f"?action=role.grant&actor_id={admin.id}&since=2024-03-12"
    assert listed_targets(admin_client, query) == [f"user {admin.id}"]


def test_more_than_fifty_events_make_a_second_page(admin_client, db, admin):
    for number in range(57):
        record_audit(admin, "org.update", "org", number)
    db.session.commit()

    first = admin_client.get("/admin/audit")
    second = admin_client.get("/admin/audit?page=2")

    assert first.text.count("<td><code>") == 50
    assert "Page 1 of 2 · 57 in all" in first.text
    assert 'href="/admin/audit?page=2"' in first.text
    assert second.text.count("<td><code>") == 7
    assert "Page 2 of 2" in second.text
    shown = listed_targets(admin_client) + listed_targets(admin_client, "?page=2")
    assert sorted(shown) == sorted(f"org {n}" for n in range(57)), (
        "nothing twice or lost"
    )


def test_pagination_keeps_the_filters(admin_client, db, admin):
    for number in range(55):
        record_audit(admin, "org.update", "org", number)
        record_audit(admin, "team.update", "team", number)
    db.session.commit()

    first = admin_client.get("/admin/audit?action=org.update")

    assert "Page 1 of 2 · 55 in all" in first.text
    assert 'href="/admin/audit?action=org.update&amp;page=2"' in first.text
    second = listed_targets(admin_client, "?action=org.update&page=2")
    assert len(second) == 5 and all(t.startswith("org ") for t in second)


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
    assert newest["actor_id"] == str(admin.id)
    assert newest["actor_email"] == "admin@example.com"
    assert newest["action"] == "role.grant"
    assert (newest["target_type"], newest["target_id"]) == ("user", str(admin.id))
    assert newest["details"] == '{"role": "mentor"}'
    system = dict(zip(CSV_HEADER, rows[2], strict=True))
    assert (system["actor_id"], system["actor_email"]) == ("", "")


def test_csv_export_follows_the_filters(admin_client, engineer, history):
    rows = exported(admin_client, "?action=role.grant&since=2024-03-11")
    assert [r[3] for r in rows[1:]] == ["role.grant"]

    rows = exported(admin_client, f"?target_type=user&target_id={engineer.id}")
    assert [(r[3], r[5]) for r in rows[1:]] == [
        ("user.deactivate", str(engineer.id)),
        ("role.grant", str(engineer.id)),
    ]


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)"]
)
def test_csv_export_escapes_formula_cells(admin_client, db, admin, dangerous):
    record_audit(admin, "org.create", "org", dangerous, name="x")
    db.session.commit()

    rows = exported(admin_client)

    assert rows[1][5] == "'" + dangerous
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row
    )


def test_csv_export_streams_many_rows(admin_client, db, admin):
    for number in range(1200):
        record_audit(admin, "org.update", "org", number)
    db.session.commit()

    rows = exported(admin_client)

    assert len(rows) == 1201
    assert {r[5] for r in rows[1:]} == {str(n) for n in range(1200)}
