"""A job that raises leaves no writes behind, is recorded as failed, and is retried."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Org, Team
from portal.extensions import db as _db
from portal.jobs.models import JobRun, RunStatus
from portal.jobs.runner import STALE_AFTER, run_job
from portal.scheduler import ScheduledJob, per_minute
from tests.concurrency import run_together

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def scheduled(name, func):
    return ScheduledJob(
        name,
        func,
        {"trigger": "interval", "minutes": 1},
        per_minute,
        f"The {name} test job.",
    )


def writes_an_org_then_raises(now):
    _db.session.add(Org(name="Written by a failing job", description=""))
    _db.session.flush()
    raise RuntimeError("the mail relay is on fire")


def writes_an_org(now):
    _db.session.add(Org(name="Written by a succeeding job", description=""))
    return "one org written"


def breaks_a_foreign_key(now):
    """Fails inside the database, which aborts the whole transaction on PostgreSQL."""
    _db.session.add(Team(org_id=987654, name="Orphans", description=""))
    _db.session.flush()


def org_names(db):
    return sorted(db.session.scalars(select(Org.name)))


def stored_run(db, job_name):
    db.session.expire_all()
    return db.session.scalars(select(JobRun).where(JobRun.job == job_name)).one()


def test_a_failing_job_rolls_back_its_writes_and_is_recorded_as_failed(app, db):
    run = run_job(scheduled("flaky", writes_an_org_then_raises), NOW, runner="runner-a")

    assert org_names(db) == []
    stored = stored_run(db, "flaky")
    assert stored.id == run.id
    assert stored.status == RunStatus.FAILED
    assert stored.error == "RuntimeError: the mail relay is on fire"
    assert stored.summary == ""
    assert stored.duration_ms is not None and stored.duration_ms >= 0
    assert stored.finished_at == NOW
    assert (stored.period, stored.attempts, stored.runner) == (
        "2026-11-23T08:00",
        1,
        "runner-a",
    )


def test_a_retry_of_a_failed_period_succeeds_on_the_second_attempt(app, db):
    run_job(scheduled("flaky", writes_an_org_then_raises), NOW)

    retry = run_job(
        scheduled("flaky", writes_an_org),
        NOW + timedelta(seconds=20),
        runner="runner-b",
    )

    assert retry is not None
    stored = stored_run(db, "flaky")
    assert stored.status == RunStatus.SUCCEEDED
    assert stored.attempts == 2
    assert (stored.error, stored.summary, stored.runner) == (
        "",
        "one org written",
        "runner-b",
    )
    assert stored.finished_at == NOW + timedelta(seconds=20)
    assert org_names(db) == ["Written by a succeeding job"]
    # Succeeded is final: a third attempt for the period finds nothing to do.
    assert (
        run_job(scheduled("flaky", writes_an_org), NOW + timedelta(seconds=40)) is None
    )
    assert org_names(db) == ["Written by a succeeding job"]
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1


@pytest.mark.parametrize("failing", [writes_an_org_then_raises, breaks_a_foreign_key])
def test_one_failing_job_does_not_stop_the_next(app, db, failing):
    jobs = [scheduled("broken", failing), scheduled("healthy", writes_an_org)]

    runs = [run_job(job, NOW) for job in jobs]

    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.SUCCEEDED]
    assert stored_run(db, "broken").error
    assert stored_run(db, "healthy").summary == "one org written"
    assert org_names(db) == ["Written by a succeeding job"]
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0


def test_a_run_left_running_by_a_dead_process_is_taken_over_once_stale(app, db):
    for job, started in [
        ("stale", NOW - STALE_AFTER - timedelta(minutes=1)),
        ("busy", NOW - timedelta(minutes=5)),
    ]:
        db.session.add(
            JobRun(
                job=job,
                period=per_minute(NOW),
                status=RunStatus.RUNNING,
                runner="dead-host:1",
                started_at=started,
            )
        )
    db.session.commit()

    taken_over = run_job(scheduled("stale", writes_an_org), NOW, runner="runner-b")
    still_busy = run_job(scheduled("busy", writes_an_org), NOW, runner="runner-b")

    assert taken_over.status == RunStatus.SUCCEEDED
    assert (taken_over.attempts, taken_over.runner) == (2, "runner-b")
    assert still_busy is None
    assert stored_run(db, "busy").status == RunStatus.RUNNING
    assert org_names(db) == ["Written by a succeeding job"]


def test_two_runners_retrying_a_failed_period_retry_it_once(app, app_factory, db):
    run_job(scheduled("flaky", writes_an_org_then_raises), NOW)
    db.session.commit()
    job = scheduled("flaky", writes_an_org)

    def retry(process, name):
        def run():
            with process.app_context():
                return (
                    run_job(job, NOW + timedelta(seconds=30), runner=name) is not None
                )

        return run

    claimed = run_together(retry(app, "runner-a"), retry(app_factory(), "runner-b"))

    assert sorted(claimed) == [False, True]
    stored = stored_run(db, "flaky")
    assert (stored.status, stored.attempts) == (RunStatus.SUCCEEDED, 2)
    assert org_names(db) == ["Written by a succeeding job"]
