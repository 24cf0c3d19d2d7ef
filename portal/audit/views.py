"""The audit log for admins: filters, pagination and CSV export."""

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context
from sqlalchemy import false, select
from sqlalchemy.orm import joinedload

from portal.accounts.models import Role
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.audit.services import audit_query
from portal.auth.permissions import role_required
from portal.extensions import db
from portal.web import spreadsheet_safe

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

CSV_HEADER = [
    "time_utc",
    "actor_id",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "details",
    "ip",
]


def _start_of(day, days_later=0):
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=days_later)


def _filtered_query():
    form = AuditFilterForm(request.args)
    actions = db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    )
    form.action.choices = [("", "Any action")] + [(a, a) for a in actions]
    if not form.validate():
        # A filter that cannot be read must not quietly widen to the whole log.
        return form, audit_query().where(false())
    filters = {
        "action": form.action.data or None,
        "actor_id": form.actor_id.data,
        "target_type": form.target_type.data or None,
        "target_id": form.target_id.data or None,
        "since": _start_of(form.since.data),
        "until": _start_of(form.until.data, days_later=1),
    }
    query = audit_query(**filters).options(joinedload(AuditEvent.actor))
    return form, query


@bp.route("")
@role_required(Role.ADMIN)
def index():
    form, query = _filtered_query()
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit/index.html", form=form, page=page)


@bp.route("/export.csv")
@role_required(Role.ADMIN)
def export_csv():
    """Stream the filtered log as CSV, in batches, without loading it all."""
    _, query = _filtered_query()

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        for event in db.session.scalars(query.execution_options(yield_per=500)):
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        event.created_at.isoformat(),
                        event.actor_id or "",
                        event.actor.email if event.actor else "",
                        event.action,
                        event.target_type,
                        event.target_id,
                        json.dumps(event.details, sort_keys=True),
                        event.ip,
                    )
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )
