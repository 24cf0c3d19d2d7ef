"""Outbox delivery over real SMTP: back-off while it is down, sent once when up."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.mail.models import OutboxMessage, OutboxStatus
from portal.mail.services import (
    MAX_ATTEMPTS,
    SENDING_STALE_AFTER,
    deliver_pending,
    retry_delay,
)
from tests.concurrency import run_together
from tests.jobs.support import smtp_settings

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def add_message(db, to_address, subject, **fields):
    message = OutboxMessage(
        to_address=to_address,
        subject=subject,
        body_text=f"{subject}\n",
        body_html=None,
        **fields,
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    # Commit last and read nothing after it: on SQLite any read would begin a
    # transaction that holds the write lock the runners in other threads need.
    db.session.commit()
    return message_id


def reload(db, message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_smtp_down_then_up_sends_the_message_once_after_the_back_off(
    app, db, free_port, start_smtp_server
):
    config = {**app.config, **smtp_settings(free_port)}
    message_id = add_message(db, "dana@example.com", "Your Guardians week")

    assert deliver_pending(config, NOW) == 0

    message = reload(db, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == NOW + retry_delay(1) > NOW
    retry_at, first_error = message.next_attempt_at, message.last_error

    # Before the back-off has passed nothing is tried, whether the server is down...
    assert deliver_pending(config, NOW + timedelta(seconds=30)) == 0
    assert (reload(db, message_id).attempts, reload(db, message_id).last_error) == (
        1,
        first_error,
    )
    # ... or already back up.
    server = start_smtp_server(free_port)
    assert deliver_pending(config, retry_at - timedelta(seconds=1)) == 0
    assert server.messages == []
    assert reload(db, message_id).attempts == 1

    assert deliver_pending(config, retry_at + timedelta(minutes=1)) == 1

    assert server.recipients == ["dana@example.com"]
    assert server.subjects == ["Your Guardians week"]
    message = reload(db, message_id)
    assert message.status == OutboxStatus.SENT
    assert (message.attempts, message.last_error) == (2, "")
    assert message.sent_at == retry_at + timedelta(minutes=1)
    assert deliver_pending(config, retry_at + timedelta(hours=1)) == 0
    assert len(server.messages) == 1


def test_a_message_fails_for_good_after_max_attempts(app, db, free_port):
    config = {**app.config, **smtp_settings(free_port)}
    message_id = add_message(db, "dana@example.com", "Never delivered")
    now, waits = NOW, []

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_pending(config, now) == 0
        message = reload(db, message_id)
        assert message.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert message.status == OutboxStatus.PENDING
            waits.append(message.next_attempt_at - now)
            now = message.next_attempt_at

    assert message.status == OutboxStatus.FAILED
    assert "ConnectionRefusedError" in message.last_error
    assert waits == [timedelta(minutes=2**n) for n in range(MAX_ATTEMPTS - 1)]
    assert deliver_pending(config, now + timedelta(days=2)) == 0
    assert reload(db, message_id).attempts == MAX_ATTEMPTS


def test_a_message_stuck_in_sending_returns_to_the_queue(app, db, capsys):
    stuck = add_message(
        db,
        "stuck@example.com",
        "Stuck since a crash",
        status=OutboxStatus.SENDING,
        claimed_at=NOW - SENDING_STALE_AFTER - timedelta(seconds=1),
    )
    in_flight = add_message(
        db,
        "busy@example.com",
        "Being sent right now",
        status=OutboxStatus.SENDING,
        claimed_at=NOW - timedelta(minutes=2),
    )

    assert deliver_pending(app.config, NOW) == 1

    printed = capsys.readouterr().out
    assert printed.count("----- email to ") == 1
    assert "Subject: Stuck since a crash" in printed
    assert reload(db, stuck).status == OutboxStatus.SENT
    assert reload(db, in_flight).status == OutboxStatus.SENDING
    assert reload(db, in_flight).attempts == 0


def test_concurrent_deliveries_send_each_message_once(
    app, app_factory, db, smtp_server
):
    addresses = [f"reader{n}@example.com" for n in range(12)]
    for address in addresses:
        add_message(db, address, f"Hello {address}")
    processes = [app_factory() for _ in range(3)]
    config = {**app.config, **smtp_settings(smtp_server.port)}

    def deliver(process):
        def run():
            with process.app_context():
                return deliver_pending(config, NOW)

        return run

    sent = run_together(*(deliver(process) for process in processes))

    assert sum(sent) == len(addresses)
    assert smtp_server.recipients == sorted(addresses)
    statuses = db.session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts)
    ).all()
    assert set(statuses) == {(OutboxStatus.SENT, 1)}
