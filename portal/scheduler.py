"""Scheduled jobs, declared as data, and the commands that run them.

Each job is a plain function taking ``now`` (an aware UTC datetime) and
returning a one-line summary. ``period`` names the slice of time a run covers;
a job runs at most once per period however many runners there are (see
portal/jobs/runner.py). In production run exactly one `flask scheduler run`
process beside the web workers; a second one by mistake does no harm.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from flask.cli import AppGroup

from portal.auth.jobs import answer_reset_requests, preview_reset_requests
from portal.database import utcnow
from portal.enrollment.services import run_enrollment_calendar
from portal.jobs.runner import preview_job, run_job
from portal.mail.jobs import IDLE_SUMMARY, deliver_outbox, preview_outbox
from portal.notifications.jobs import iso_week, send_weekly_digest
from portal.recognition.jobs import start_leaderboard_week
from portal.reviews.jobs import flag_stuck_reviews, send_survey_reminders
from portal.training.jobs import send_training_reminders


def per_minute(now):
    return now.strftime("%Y-%m-%dT%H:%M")


def per_day(now):
    return now.date().isoformat()


def per_week(now):
    return iso_week(now)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    func: Callable[[datetime], str]
    trigger: dict
    period: Callable[[datetime], str]
    description: str
    # For a job whose work cannot be rolled back: what a dry run reports instead.
    preview: Callable[[datetime], str] | None = None
    # The summary of a run that found nothing to do: logged quietly.
    idle_summary: str | None = None


# In the order a laptop's first start runs them: the calendar and reminders
# create notifications, the digest gathers them, the outbox sends the email.
JOBS = [
    ScheduledJob(
        "enrollment_calendar",
        run_enrollment_calendar,
        {"trigger": "cron", "hour": 6, "minute": 0},
        per_day,
        "Start cohorts on their start date; Guardians past their step-down date "
        "become alumni; Guardians whose certificate expired go back to training.",
    ),
    ScheduledJob(
        "training_reminders",
        send_training_reminders,
        {"trigger": "cron", "hour": 7, "minute": 0},
        per_day,
        "Remind people of training due within three days, once overdue, and of "
        "certificates to renew.",
    ),
    ScheduledJob(
        "survey_reminders",
        send_survey_reminders,
        {"trigger": "cron", "hour": 7, "minute": 15},
        per_day,
        "Remind reviewers of end-of-review surveys still to fill a few days "
        "after approval (once per review and reviewer).",
    ),
    # Before the digest, which carries the flag to program managers.
    ScheduledJob(
        "stuck_reviews",
        flag_stuck_reviews,
        {"trigger": "cron", "hour": 7, "minute": 30},
        per_week,
        "Flag to program managers the reviews stuck in one stage too long "
        "(once a week, in their digest).",
    ),
    # Triggered daily so a missed Monday is made up the next morning; the
    # weekly period means it runs once per ISO week.
    ScheduledJob(
        "leaderboard_week",
        start_leaderboard_week,
        {"trigger": "cron", "hour": 0, "minute": 5},
        per_week,
        "Keep the boards' standings as the week began, for the change in rank "
        "since last week; a new quarter or year starts its boards from zero.",
    ),
    # Triggered daily so a failed week is retried the next morning; the weekly
    # period means it sends once per ISO week.
    ScheduledJob(
        "weekly_digest",
        send_weekly_digest,
        {"trigger": "cron", "hour": 8, "minute": 0},
        per_week,
        "Email each person their unread notifications of the week (Mondays 08:00).",
    ),
    ScheduledJob(
        "answer_reset_requests",
        answer_reset_requests,
        {"trigger": "interval", "minutes": 1},
        per_minute,
        "Queue the email each password reset request gets (a link, or a note "
        "that no account uses the address).",
        preview=preview_reset_requests,
        idle_summary="0 reset request(s) answered",
    ),
    ScheduledJob(
        "deliver_outbox",
        deliver_outbox,
        {"trigger": "interval", "minutes": 1},
        per_minute,
        "Send pending email from the outbox, retrying failures with back-off.",
        preview=preview_outbox,
        idle_summary=IDLE_SUMMARY,
    ),
]

JOBS_BY_NAME = {job.name: job for job in JOBS}


def _run_in_app(app, job):
    with app.app_context():
        run_job(job, utcnow())


def build_scheduler(app, scheduler_class):
    scheduler = scheduler_class(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            _run_in_app,
            args=[app, job],
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
            **job.trigger,
        )
    return scheduler


def start_background_scheduler(app):
    """For a laptop: every job runs once now, in the order of JOBS (the outbox
    last, so the email the others queue shows at once), then on schedule in a
    background thread."""
    for job in JOBS:
        _run_in_app(app, job)
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start()
    return scheduler


def log_job_runs():
    """Show each run's outcome and duration on the console."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("portal").setLevel(logging.INFO)


scheduler_cli = AppGroup("scheduler", help="Run scheduled jobs.")


@scheduler_cli.command("run")
def run_command():
    """Run the scheduler in the foreground (one process beside the web workers)."""
    app = current_app._get_current_object()
    log_job_runs()
    click.echo(f"Scheduler running {len(JOBS)} job(s); Ctrl-C to stop.")
    build_scheduler(app, BlockingScheduler).start()


def _parse_now(now_text):
    """--now as an aware UTC datetime (UTC when it names no offset)."""
    try:
        now = datetime.fromisoformat(now_text)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO date and time: {now_text}") from error
    if now.tzinfo is None:
        now = now.replace(tzinfo=utcnow().tzinfo)
    # Periods (ISO week, day, minute) are named in UTC, as the scheduler's are.
    return now.astimezone(utcnow().tzinfo)


@scheduler_cli.command("run-once")
@click.argument("job_name", type=click.Choice(sorted(JOBS_BY_NAME)))
@click.option(
    "--now", "now_text", help="Run as if it were this ISO time (UTC if no offset)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Allow a --now in the future: that period's run is then used up for real.",
)
@click.option(
    "--dry-run", is_flag=True, help="Report what the job would do; write nothing."
)
def run_once_command(job_name, now_text, force, dry_run):
    """Run one job now, for the period containing --now."""
    job = JOBS_BY_NAME[job_name]
    now = _parse_now(now_text) if now_text else utcnow()
    if dry_run:
        click.echo(
            f"{job_name} {job.period(now)} (dry run, nothing written): "
            f"{preview_job(job, now)}"
        )
        return
    if now > utcnow() and not force:
        raise click.UsageError(
            f"--now {now.isoformat()} is in the future: running would use up the "
            f"{job.period(now)} run and send its reminders today. Add --dry-run to "
            "see what it would do, or --force to run it anyway."
        )
    run = run_job(job, now)
    if run is None:
        click.echo(f"{job_name}: already done for this period; nothing to do.")
        return
    click.echo(
        f"{job_name} {run.period}: {run.status.value} in {run.duration_ms} ms. "
        f"{run.summary or run.error}"
    )
    if run.error:
        raise SystemExit(1)


@scheduler_cli.command("list")
def list_command():
    """List the scheduled jobs."""
    for job in JOBS:
        trigger = ", ".join(f"{k}={v}" for k, v in job.trigger.items())
        click.echo(f"{job.name:<16} {trigger:<36} {job.description}")
