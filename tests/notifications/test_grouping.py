"""Repeats with one group key fold into one unread notification, even at once."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db as _db
from portal.notifications.models import Notification
from portal.notifications.services import mark_read, notify
from tests.concurrency import run_together

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GROUP = "forum:thread:7:replies"


def reply(recipient, now, group_key=GROUP):
    return notify(
        recipient,
        "enrollment",
        "New reply in “Threat modelling 101”",
        now=now,
        link="/forum/threads/7",
        group_key=group_key,
        title_many="{count} new replies in “Threat modelling 101”",
    )


def rows(db, user_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Notification)
        .where(Notification.recipient_id == user_id)
        .order_by(Notification.id)
    ).all()


def test_ten_replies_fold_into_one_notification(db, make_user):
    reader = make_user()

    results = [reply(reader, NOW + timedelta(minutes=n)) for n in range(10)]
    db.session.commit()

    assert results[0] is not None and results[1:] == [None] * 9
    [notification] = rows(db, reader.id)
    assert notification.count == 10
    assert notification.display_title == "10 new replies in “Threat modelling 101”"
    assert notification.updated_at == NOW + timedelta(minutes=9)
    assert notification.created_at == NOW
    assert notification.read_at is None


def test_a_single_notification_keeps_its_own_title(db, make_user):
    reader = make_user()

    reply(reader, NOW)
    db.session.commit()

    [notification] = rows(db, reader.id)
    assert (notification.count, notification.display_title) == (
        1,
        "New reply in “Threat modelling 101”",
    )


def test_after_reading_a_new_notification_starts_a_new_row(db, make_user):
    reader = make_user()
    for n in range(3):
        reply(reader, NOW + timedelta(minutes=n))
    first = rows(db, reader.id)[0]
    mark_read(reader, first.id, NOW + timedelta(hours=1))
    db.session.commit()

    reply(reader, NOW + timedelta(hours=2))
    reply(reader, NOW + timedelta(hours=3))
    db.session.commit()

    old, new = rows(db, reader.id)
    assert (old.count, old.read_at) == (3, NOW + timedelta(hours=1))
    assert (new.count, new.read_at) == (2, None)
    assert new.display_title == "2 new replies in “Threat modelling 101”"


def test_groups_are_per_recipient_and_per_key(db, make_user):
    reader, other = make_user(), make_user()

    reply(reader, NOW)
    reply(reader, NOW, group_key="forum:thread:8:replies")
    reply(other, NOW)
    reply(reader, NOW)
    for _ in range(2):
        notify(reader, "enrollment", "Ungrouped", now=NOW)
    db.session.commit()

    assert [(n.group_key, n.count) for n in rows(db, reader.id)] == [
        (GROUP, 2),
        ("forum:thread:8:replies", 1),
        (None, 1),
        (None, 1),
    ]
    assert [(n.group_key, n.count) for n in rows(db, other.id)] == [(GROUP, 1)]


def test_concurrent_replies_fold_into_one_unread_row(app, db, make_user):
    reader_id = make_user().id
    # End the transaction the read began and read nothing more: on SQLite it
    # would hold the write lock the threads need.
    db.session.commit()

    def one_request(n):
        def run():
            with app.app_context():
                reply(_db.session.get(User, reader_id), NOW + timedelta(seconds=n))
                _db.session.commit()

        return run

    run_together(*(one_request(n) for n in range(8)))

    unread = [n for n in rows(db, reader_id) if n.read_at is None]
    assert len(unread) == 1
    assert unread[0].count == 8
    assert unread[0].display_title == "8 new replies in “Threat modelling 101”"
