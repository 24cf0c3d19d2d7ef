"""The notifications page, opening, reading, the bell, and account events."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.mail.models import OutboxMessage
from portal.notifications.kinds import KINDS, Delivery
from portal.notifications.models import Notification
from portal.notifications.services import notify, preferences_for
from tests.helpers import change_password, counting_statements, login_as

EARLIER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "quartz lantern harbour drift"


def notification(db, recipient, title, link="", minutes=0):
    made = notify(
        recipient,
        "enrollment",
        title,
        now=EARLIER + timedelta(minutes=minutes),
        link=link,
    )
    db.session.commit()
    return made.id


def bell_labels(html):
    return re.findall(r'aria-label="(Notifications[^"]*)"', html)


def read_at(db, notification_id):
    db.session.expire_all()
    return db.session.get(Notification, notification_id).read_at


def test_the_page_lists_only_ones_own_notifications(client, db, engineer, intruder):
    notification(db, engineer, "Sam replied to your question about SSRF")
    notification(db, intruder, "Ivan's own reply", minutes=1)
    login_as(client, engineer)

    response = client.get("/notifications")

    assert response.status_code == 200
    assert "Sam replied to your question about SSRF" in response.text
    assert "Ivan&#39;s own reply" not in response.text
    assert "Ivan's own reply" not in response.text


def test_the_page_needs_signing_in(client):
    response = client.get("/notifications")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_nobody_can_open_or_read_someone_elses_notification(
    client, db, engineer, intruder
):
    private = notification(
        db, engineer, "Your review score is ready", link="/reviews/4"
    )
    login_as(client, intruder)

    assert client.post(f"/notifications/{private}/open").status_code == 404
    assert client.post("/notifications/read-all").status_code == 302

    assert read_at(db, private) is None


def test_opening_marks_read_and_goes_to_the_local_page(client, db, engineer):
    reply = notification(
        db, engineer, "Sam replied", link="/forum/threads/7?page=2#post-9"
    )
    login_as(client, engineer)

    response = client.post(f"/notifications/{reply}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/forum/threads/7?page=2#post-9"
    assert read_at(db, reply) is not None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_a_link_off_the_site_is_not_followed(client, db, engineer, link):
    stored = notification(db, engineer, "Something happened", link=link)
    login_as(client, engineer)

    response = client.post(f"/notifications/{stored}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    assert read_at(db, stored) is not None


def test_opening_needs_a_post(client, db, engineer):
    reply = notification(db, engineer, "Sam replied", link="/forum/threads/7")
    login_as(client, engineer)

    assert client.get(f"/notifications/{reply}/open").status_code == 405
    assert read_at(db, reply) is None


def test_read_all_marks_only_ones_own_notifications_read(
    client, db, engineer, intruder
):
    mine = [notification(db, engineer, f"Reply {n}", minutes=n) for n in range(3)]
    theirs = notification(db, intruder, "Not yours")
    login_as(client, engineer)

    response = client.post("/notifications/read-all", follow_redirects=True)

    assert "3 notification(s) marked as read." in response.text
    assert all(read_at(db, n) is not None for n in mine)
    assert read_at(db, theirs) is None


def test_the_navigation_shows_the_unread_count(client, db, engineer, intruder):
    for n in range(3):
        notification(db, engineer, f"Reply {n}", minutes=n)
    notification(db, intruder, "Someone else's")
    login_as(client, engineer)

    assert bell_labels(client.get("/").text) == ["Notifications, 3 unread"]
    client.post("/notifications/read-all")
    assert bell_labels(client.get("/notifications").text) == ["Notifications"]


def test_changing_ones_password_notifies_and_emails_at_once(client, db, engineer):
    login_as(client, engineer)

    response = change_password(client, NEW_PASSWORD)

    assert response.status_code == 302
    [notice] = db.session.scalars(
        select(Notification).where(Notification.recipient_id == engineer.id)
    ).all()
    assert notice.kind == "account_security"
    assert notice.title.startswith("Your password was changed.")
    assert notice.emailed_at is not None
    [email] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == engineer.email)
    ).all()
    assert email.subject == notice.title
    assert "http://127.0.0.1:5000/auth/reset" in email.body_text
    assert "/notifications/email/" in email.body_text
    assert bell_labels(client.get("/").text) == ["Notifications, 1 unread"]


def test_a_role_grant_notifies_the_person_for_the_digest(client, db, admin, engineer):
    login_as(client, admin)

    response = client.post(
        f"/admin/users/{engineer.id}/roles", data={"role": "program_manager"}
    )

    assert response.status_code == 302
    [notice] = db.session.scalars(
        select(Notification).where(Notification.recipient_id == engineer.id)
    ).all()
    assert (notice.kind, notice.title) == (
        "roles",
        "You now hold the Program manager role.",
    )
    assert notice.link == f"/people/{engineer.id}"
    assert notice.emailed_at is None
    assert (
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == engineer.email)
        ).all()
        == []
    )


def test_the_page_runs_the_same_number_of_queries_however_many_notifications(
    client, db, engineer
):
    login_as(client, engineer)
    counts = []
    for grow_by in (2, 20):
        for n in range(grow_by):
            notify(
                engineer,
                "enrollment",
                f"Reply {n}",
                now=EARLIER,
                link=f"/forum/{n}",
                group_key=f"thread:{n}",
                title_many="{count} replies",
            )
        db.session.commit()
        with counting_statements(db.engine) as statements:
            assert client.get("/notifications").status_code == 200
        counts.append(len(statements))

    assert counts[0] == counts[1]


def test_ones_own_preferences_page_saves_and_refuses_unknown_choices(
    client, db, engineer
):
    login_as(client, engineer)
    assert client.get("/notifications/preferences").status_code == 200
    choices = {name: kind.default.value for name, kind in KINDS.items()}

    refused = client.post(
        "/notifications/preferences", data={**choices, "enrollment": "hourly"}
    )
    assert refused.status_code == 200
    assert preferences_for(engineer.id)["enrollment"] == Delivery.DIGEST

    saved = client.post(
        "/notifications/preferences", data={**choices, "enrollment": "never"}
    )

    assert saved.status_code == 302
    assert saved.headers["Location"] == "/notifications/preferences"
    assert preferences_for(engineer.id)["enrollment"] == Delivery.NEVER
