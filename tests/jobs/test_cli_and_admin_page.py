"""`flask scheduler ...` commands and the admin page of job runs."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.jobs.models import JobRun, RunStatus, SentReminder
from portal.jobs.runner import run_job
from portal.mail.models import OutboxMessage, OutboxStatus
from portal.notifications.models import Notification
from portal.notifications.services import notify
from portal.scheduler import JOBS, JOBS_BY_NAME, ScheduledJob, per_minute
from tests.helpers import login_as

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def failing_job(now):
    raise RuntimeError("relay refused the connection")


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["scheduler", *args])


def test_scheduler_list_names_every_job(cli):
    result = cli("list")

    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == [job.name for job in JOBS]
    assert {"deliver_outbox", "weekly_digest"} <= set(names)
    assert "trigger=cron, hour=8, minute=0" in result.output


def test_run_once_runs_the_period_then_says_it_is_done(cli, db, make_user):
    notify(make_user(), "enrollment", "A reply", now=MONDAY - timedelta(days=1))
    db.session.commit()

    first = cli("run-once", "weekly_digest", "--now", "2026-11-23T08:00:00")
    again = cli("run-once", "weekly_digest", "--now", "2026-11-25T08:00:00")

    assert first.exit_code == 0, first.output
    assert first.output.startswith("weekly_digest 2026-W48: succeeded in ")
    assert "1 digest(s) queued for 2026-W48" in first.output
    assert again.exit_code == 0
    assert again.output.strip() == (
        "weekly_digest: already done for this period; nothing to do."
    )
    run = db.session.scalars(select(JobRun)).one()
    assert (run.period, run.status, run.started_at) == (
        "2026-W48",
        RunStatus.SUCCEEDED,
        MONDAY,
    )


def test_run_once_takes_the_period_in_utc_when_given_an_offset(cli, db):
    # Monday 01:00 in UTC+2 is still Sunday in UTC: the week that is ending.
    result = cli("run-once", "weekly_digest", "--now", "2026-11-23T01:00:00+02:00")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("weekly_digest 2026-W47: succeeded")
    run = db.session.scalars(select(JobRun)).one()
    assert run.period == "2026-W47"
    assert run.started_at == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "args",
    [
        ["run-once", "weekly_digest", "--now", "next tuesday"],
        ["run-once", "weekly_digest", "--now", "2026-13-40T08:00:00"],
        ["run-once", "no_such_job"],
    ],
)
def test_run_once_refuses_bad_input_with_a_usage_error(cli, db, args):
    result = cli(*args)

    assert result.exit_code == 2
    assert "Error" in result.output
    assert db.session.scalars(select(JobRun)).all() == []


def test_run_once_reports_a_failing_job_and_exits_non_zero(cli, db, monkeypatch):
    monkeypatch.setitem(
        JOBS_BY_NAME,
        "deliver_outbox",
        ScheduledJob("deliver_outbox", failing_job, {}, per_minute, "Always fails."),
    )

    result = cli("run-once", "deliver_outbox", "--now", "2026-11-23T08:00:00")

    assert result.exit_code == 1
    assert "deliver_outbox 2026-11-23T08:00: failed" in result.output
    assert "RuntimeError: relay refused the connection" in result.output
    assert db.session.scalars(select(JobRun.status)).all() == [RunStatus.FAILED]


def test_admin_page_shows_runs_and_filters_failures(app, client, db, admin):
    run_job(JOBS_BY_NAME["weekly_digest"], MONDAY)
    run_job(
        ScheduledJob("nightly_export", failing_job, {}, per_minute, "Fails."), MONDAY
    )
    login_as(client, admin)

    everything = client.get("/admin/jobs")
    failures = client.get("/admin/jobs?status=failed")

    assert everything.status_code == 200
    for text in [
        "deliver_outbox",
        "weekly_digest",
        "2026-W48",
        "0 digest(s) queued",
        "nightly_export",
        "RuntimeError: relay refused the connection",
    ]:
        assert text in everything.text
    assert failures.status_code == 200
    assert "RuntimeError: relay refused the connection" in failures.text
    assert "2026-W48" not in failures.text
    assert "0 digest(s) queued" not in failures.text


def test_admin_page_is_for_admins_only(client, engineer):
    assert client.get("/admin/jobs").status_code == 302
    login_as(client, engineer)
    assert client.get("/admin/jobs").status_code == 403


def _rows(db):
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (JobRun, Notification, OutboxMessage, SentReminder)
    }


def test_run_once_refuses_a_future_now_unless_forced(cli, db, make_user):
    notify(make_user(), "enrollment", "A note", now=MONDAY - timedelta(days=1))
    db.session.commit()
    before = _rows(db)

    refused = cli("run-once", "weekly_digest", "--now", "2030-01-07T08:00:00")

    assert refused.exit_code == 2
    assert "--now 2030-01-07T08:00:00+00:00 is in the future" in refused.output
    assert "--dry-run" in refused.output and "--force" in refused.output
    assert _rows(db) == before

    forced = cli("run-once", "weekly_digest", "--now", "2030-01-07T08:00:00", "--force")

    assert forced.exit_code == 0, forced.output
    assert db.session.scalars(select(JobRun.period)).all() == ["2030-W02"]


@pytest.mark.parametrize("job", sorted(JOBS_BY_NAME))
def test_a_dry_run_reports_and_writes_nothing(cli, db, make_user, job):
    person = make_user()
    notify(person, "enrollment", "A note", now=MONDAY - timedelta(days=1))
    notify(person, "account_security", "Your password was changed.", now=MONDAY)
    db.session.commit()
    before = _rows(db)

    result = cli("run-once", job, "--now", "2030-01-07T08:00:00", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{job} ") and "(dry run, nothing written)" in (
        result.output
    )
    db.session.expire_all()
    assert _rows(db) == before
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {
        OutboxStatus.PENDING
    }, "nothing sent"


def test_the_outbox_dry_run_counts_what_would_be_sent(cli, db, make_user):
    notify(make_user(), "account_security", "Your password was changed.", now=MONDAY)
    db.session.commit()

    result = cli("run-once", "deliver_outbox", "--dry-run")

    assert "1 email(s) would be sent" in result.output


def test_an_idle_outbox_run_stays_off_the_console(app, db, caplog):
    caplog.set_level(logging.DEBUG, logger="portal.scheduler")

    run_job(JOBS_BY_NAME["deliver_outbox"], MONDAY)

    idle = [r for r in caplog.records if "deliver_outbox" in r.getMessage()]
    assert [r.levelno for r in idle] == [logging.DEBUG]
