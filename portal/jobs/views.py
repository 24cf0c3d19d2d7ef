"""Admin page: recent scheduled job runs and failures, and the outbox queue."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from portal.auth.permissions import can_view_jobs, permission_required
from portal.extensions import db
from portal.jobs.forms import JobRunFilterForm
from portal.jobs.models import JobRun, RunStatus
from portal.mail.models import OutboxMessage
from portal.scheduler import JOBS
from portal.web import paginate

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")


@bp.route("")
@permission_required(can_view_jobs)
def index():
    """Recent job runs, failures and the outbox queue; admins only."""
    form = JobRunFilterForm()
    status = form.status.data if form.validate() else ""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if status:
        query = query.where(JobRun.status == RunStatus(status))
    page = paginate(query, per_page=50)
    outbox = {
        status.value: count
        for status, count in db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
    return render_template(
        "jobs/index.html",
        page=page,
        status=status,
        form=form,
        jobs=JOBS,
        outbox=outbox,
        statuses=RunStatus,
    ), form.status_code
