"""Run one scheduled job for one period, exactly once across every runner.

1. Claim: insert a JobRun (job, period) row and commit. The unique constraint
   lets exactly one runner win; a failed run, or one left "running" by a
   process that died, may be claimed again by a later attempt.
2. Work: the job's writes and the "succeeded" mark commit together, or roll
   back together when it raises; the failure is then recorded on the claim.
"""

import logging
import os
import socket
import time
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.jobs.models import JobRun, RunStatus

log = logging.getLogger("portal.scheduler")

STALE_AFTER = timedelta(minutes=30)


def runner_name():
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _claim(job_name, period, now, runner):
    try:
        run = JobRun(
            job=job_name,
            period=period,
            status=RunStatus.RUNNING,
            runner=runner,
            started_at=now,
        )
        db.session.add(run)
        db.session.commit()
        return run.id
    except IntegrityError:
        db.session.rollback()
    reclaimed = db.session.execute(
        update(JobRun)
        .where(
            JobRun.job == job_name,
            JobRun.period == period,
            or_(
                JobRun.status == RunStatus.FAILED,
                (JobRun.status == RunStatus.RUNNING)
                & (JobRun.started_at < now - STALE_AFTER),
            ),
        )
        .values(
            status=RunStatus.RUNNING,
            attempts=JobRun.attempts + 1,
            runner=runner,
            started_at=now,
            finished_at=None,
            error="",
        )
        .returning(JobRun.id)
    ).scalar()
    db.session.commit()
    return reclaimed


def run_job(job, now, runner=None):
    """Run ``job`` for the period containing ``now``; returns the JobRun or None.

    None means another runner has done (or is doing) this period's work.
    """
    period = job.period(now)
    run_id = _claim(job.name, period, now, runner or runner_name())
    if run_id is None:
        log.info("job %s %s: already claimed, skipped", job.name, period)
        return None
    started = time.monotonic()
    try:
        summary = job.func(now) or ""
        run = db.session.get(JobRun, run_id)
        run.status, run.summary = RunStatus.SUCCEEDED, str(summary)[:2000]
        run.finished_at = now
        run.duration_ms = int((time.monotonic() - started) * 1000)
        db.session.commit()
        # A routine run that found nothing to do stays off the console.
        level = logging.DEBUG if summary == job.idle_summary else logging.INFO
        log.log(
            level,
            "job %s %s: succeeded in %d ms: %s",
            job.name,
            period,
            run.duration_ms,
            summary,
        )
    except Exception as error:  # noqa: BLE001 - a failing job must not stop the others
        db.session.rollback()
        run = db.session.get(JobRun, run_id)
        run.status, run.finished_at = RunStatus.FAILED, now
        run.duration_ms = int((time.monotonic() - started) * 1000)
        run.error = f"{type(error).__name__}: {error}"[:4000]
        db.session.commit()
        log.exception("job %s %s: failed", job.name, period)
    return run


def preview_job(job, now):
    """What ``job`` would do for the period containing ``now``; writes nothing.

    The job runs in a transaction that is rolled back, unless it declares a
    ``preview`` because its work cannot be undone (sending email).
    """
    if job.preview is not None:
        return job.preview(now)
    try:
        return job.func(now) or ""
    finally:
        db.session.rollback()
