"""Two scheduler runners on one database do each period's work exactly once."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.accounts.models import Org
from portal.jobs.models import JobRun, RunStatus, SentReminder
from portal.jobs.runner import run_job
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.notifications.services import notify
from portal.scheduler import JOBS_BY_NAME, ScheduledJob, per_minute
from tests.concurrency import run_together
from tests.jobs.support import smtp_settings

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def count(db, model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def runner(app, job, now, name):
    """One scheduler process: its own app context, session and connection."""

    def run():
        with app.app_context():
            run = run_job(job, now, runner=name)
            return None if run is None else (run.status, run.runner, run.summary)

    return run


def job_runs(db):
    return [
        (run.job, run.period, run.status, run.attempts)
        for run in db.session.scalars(select(JobRun).order_by(JobRun.id))
    ]


def test_two_runners_queue_each_weekly_digest_once(app, app_factory, db, make_user):
    people = [make_user() for _ in range(4)]
    for number, person in enumerate(people):
        for reply in range(number + 1):
            notify(
                person,
                "enrollment",
                f"Reply {reply} for {person.display_name}",
                now=MONDAY - timedelta(days=2, minutes=reply),
            )
    make_user(name="Quiet Quinn")
    expected = sorted(person.email for person in people)
    db.session.commit()
    second_process = app_factory()
    digest = JOBS_BY_NAME["weekly_digest"]

    results = run_together(
        runner(app, digest, MONDAY, "runner-a"),
        runner(second_process, digest, MONDAY, "runner-b"),
    )

    done = [result for result in results if result is not None]
    assert len(done) == 1, results
    status, _, summary = done[0]
    assert status == RunStatus.SUCCEEDED
    assert summary == "4 digest(s) queued for 2026-W48"
    assert sorted(db.session.scalars(select(OutboxMessage.to_address))) == expected
    assert count(db, SentReminder) == 4
    assert job_runs(db) == [("weekly_digest", "2026-W48", RunStatus.SUCCEEDED, 1)]


def test_two_runners_deliver_the_outbox_once(
    app, app_factory, db, make_user, smtp_server
):
    people = [make_user() for _ in range(5)]
    for person in people:
        notify(
            person,
            "account_security",
            f"Password changed for {person.email}",
            now=MONDAY,
        )
    expected = sorted(person.email for person in people)
    db.session.commit()
    processes = [app_factory(**smtp_settings(smtp_server.port)) for _ in range(2)]
    deliver = JOBS_BY_NAME["deliver_outbox"]

    results = run_together(
        *(
            runner(process, deliver, MONDAY, f"runner-{n}")
            for n, process in enumerate(processes)
        )
    )

    done = [result for result in results if result is not None]
    assert len(done) == 1, results
    assert done[0][0] == RunStatus.SUCCEEDED
    assert done[0][2] == "5 email(s) sent"
    assert smtp_server.recipients == expected
    assert smtp_server.subjects == sorted(f"Password changed for {e}" for e in expected)
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert {(m.status, m.attempts, m.sent_at) for m in messages} == {
        (OutboxStatus.SENT, 1, MONDAY)
    }
    assert job_runs(db) == [
        ("deliver_outbox", "2026-11-23T08:00", RunStatus.SUCCEEDED, 1)
    ]


def test_a_runner_arriving_while_another_works_skips_the_period(app, app_factory, db):
    calls = []
    working, arrived = threading.Event(), threading.Event()

    def slow_work(now):
        calls.append(now)
        db.session.add(Org(name=f"Made by the job at {now:%H:%M}", description=""))
        db.session.flush()
        working.set()
        # Finish only once the other runner has come for the same period.
        assert arrived.wait(30), "the second runner never came"
        return "one org"

    job = ScheduledJob(
        "slow_job",
        slow_work,
        {"trigger": "interval", "minutes": 1},
        per_minute,
        "Writes one org, slowly.",
    )
    second = runner(app_factory(), job, MONDAY, "runner-b")

    def arriving_later():
        assert working.wait(30), "the first runner never started working"
        arrived.set()
        return second()

    results = run_together(runner(app, job, MONDAY, "runner-a"), arriving_later)

    assert results.count(None) == 1
    assert [r for r in results if r is not None][0][0] == RunStatus.SUCCEEDED
    assert len(calls) == 1
    assert count(db, Org) == 1
    assert job_runs(db) == [("slow_job", "2026-11-23T08:00", RunStatus.SUCCEEDED, 1)]


def test_a_second_run_for_the_same_period_does_nothing(app, db, make_user):
    person = make_user()
    notify(
        person, "enrollment", "A reply in your thread", now=MONDAY - timedelta(days=1)
    )
    db.session.commit()
    digest = JOBS_BY_NAME["weekly_digest"]

    first = run_job(digest, MONDAY, runner="runner-a")
    second = run_job(digest, MONDAY + timedelta(hours=3), runner="runner-b")

    assert first.status == RunStatus.SUCCEEDED and first.runner == "runner-a"
    assert second is None
    assert count(db, OutboxMessage) == 1
    assert job_runs(db) == [("weekly_digest", "2026-W48", RunStatus.SUCCEEDED, 1)]
    # Another minute is another period for the outbox job, so it runs again.
    deliver = JOBS_BY_NAME["deliver_outbox"]
    assert run_job(deliver, MONDAY).summary == "1 email(s) sent"
    assert run_job(deliver, MONDAY + timedelta(seconds=30)) is None
    assert run_job(deliver, MONDAY + timedelta(minutes=1)).summary == "0 email(s) sent"
