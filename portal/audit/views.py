"""The audit log for admins: filters, pagination and CSV export."""

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, Response, render_template, stream_with_context
from sqlalchemy import false
from sqlalchemy.orm import joinedload

from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.audit.sentences import action_choices, describe
from portal.audit.services import audit_query
from portal.auth.permissions import can_view_audit_log, permission_required
from portal.extensions import db
from portal.web import paginate, spreadsheet_safe

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

CSV_HEADER = [
    "time_utc",
    "actor",
    "actor_email",
    "what_happened",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "changes",
    "details",
    "ip",
]


def _start_of(day, days_later=0):
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=days_later)


def _filtered_query():
    form = AuditFilterForm()
    form.action.choices = [("", "Any action"), *action_choices()]
    if not form.validate():
        # A filter that cannot be read must not quietly widen to the whole log.
        return form, audit_query().where(false())
    filters = {
        "action": form.action.data or None,
        "person": (form.person.data or "").strip() or None,
        "target_type": form.target_type.data or None,
        "target_id": form.target_id.data or None,
        "since": _start_of(form.since.data),
        "until": _start_of(form.until.data, days_later=1),
    }
    query = audit_query(**filters).options(
        joinedload(AuditEvent.actor), joinedload(AuditEvent.caused_by)
    )
    return form, query


@bp.route("")
@permission_required(can_view_audit_log)
def index():
    """The audit log as sentences, filtered and paginated; admins only."""
    form, query = _filtered_query()
    page = paginate(query, per_page=50)
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        events=[describe(event) for event in page.items],
        export_args=form.link_args(),
    ), form.status_code


def _changes_text(described):
    return "; ".join(
        f"{what}: {before} -> {after}" for what, before, after in described.changes
    )


@bp.route("/export.csv")
@permission_required(can_view_audit_log)
def export_csv():
    """Stream the filtered log as CSV, in batches, without loading it all; admins."""
    _, query = _filtered_query()

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        for event in db.session.scalars(query.execution_options(yield_per=500)):
            described = describe(event)
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        event.created_at.isoformat(),
                        event.actor.display_name if event.actor else "",
                        event.actor.email if event.actor else "",
                        described.text,
                        event.action,
                        event.target_type,
                        event.target_id,
                        event.target_name,
                        _changes_text(described),
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
