"""Program managers run cohorts: open, edit, close and delete them, see their mix
and their members' training progress, and fill them from the queue."""

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from portal.auth.forms import PostOnlyForm
from portal.auth.permissions import can_run_program, permission_required
from portal.database import utcnow
from portal.enrollment import cohorts, diversity, queries, services
from portal.enrollment.forms import CohortProgressForm, PlaceManyForm, cohort_form
from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.progress import cell_text, cohort_progress
from portal.extensions import db
from portal.training.queries import required_modules
from portal.training.standing import TrainingPolicy
from portal.web import run_service, spreadsheet_safe

bp = Blueprint("cohorts", __name__, url_prefix="/program/cohorts")

SHOW_ALSO = 100


@bp.before_request
@permission_required(can_run_program)
def require_program_manager():
    """Every page here is for program managers and admins."""


@bp.route("")
def index():
    """Every cohort with its seats; program managers and admins."""
    return render_template(
        "program/cohorts.html", cohorts=queries.cohorts_with_counts()
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Open a cohort; program managers and admins."""
    modules = required_modules()
    form = cohort_form(modules)
    if form.validate_on_submit():
        done = run_service(
            lambda: cohorts.create_cohort(current_user, now=utcnow(), **_fields(form)),
            success=lambda cohort: f"Cohort {cohort.name} is open.",
            target=lambda cohort: url_for("cohorts.cohort", cohort_id=cohort.id),
            form=form,
        )
        if done:
            return done
    return render_template("program/cohort_form.html", form=form)


def _fields(form):
    return {
        "name": form.name.data,
        "start_date": form.start_date.data,
        "capacity": form.capacity.data,
        "due_dates": {m.id: field.data for m, field in form.due_fields},
    }


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit(cohort_id):
    """Change a cohort's name, seats, start date and due dates."""
    cohort = db.first_or_404(queries.cohort_query(cohort_id))
    form = cohort_form(required_modules(), cohort)
    if form.validate_on_submit():
        done = run_service(
            lambda: services.edit_cohort(
                current_user,
                cohort,
                now=utcnow(),
                confirm_past_start=form.confirm_past_start.data,
                **_fields(form),
            ),
            success=lambda saved: f"Cohort {saved.name} is saved.",
            target=url_for("cohorts.cohort", cohort_id=cohort.id),
            form=form,
        )
        if done:
            return done
    return render_template("program/cohort_form.html", form=form, cohort=cohort)


def _cohort_action(cohort_id, action, success, target=None):
    cohort = db.get_or_404(Cohort, cohort_id)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    page = url_for("cohorts.cohort", cohort_id=cohort.id)
    return run_service(
        lambda: action(cohort),
        success=success(cohort.name),
        target=target or page,
        error_target=page,
    )


@bp.route("/<int:cohort_id>/close", methods=["POST"])
def close(cohort_id):
    """Close a cohort to new placements."""
    return _cohort_action(
        cohort_id,
        lambda c: cohorts.close_cohort(current_user, c, utcnow()),
        lambda name: f"Cohort {name} is closed to new placements.",
    )


@bp.route("/<int:cohort_id>/reopen", methods=["POST"])
def reopen(cohort_id):
    """Open a closed cohort to placements again."""
    return _cohort_action(
        cohort_id,
        lambda c: cohorts.reopen_cohort(current_user, c, utcnow()),
        lambda name: f"Cohort {name} is open again.",
    )


@bp.route("/<int:cohort_id>/delete", methods=["POST"])
def delete(cohort_id):
    """Delete a cohort nobody was ever placed in."""
    return _cohort_action(
        cohort_id,
        lambda c: cohorts.delete_cohort(current_user, c),
        lambda name: f"Cohort {name} is deleted.",
        target=url_for("cohorts.index"),
    )


@bp.route("/<int:cohort_id>")
def cohort(cohort_id):
    """One cohort: its dates, its mix and its members; program managers and admins."""
    cohort = db.first_or_404(queries.cohort_query(cohort_id))
    members = queries.cohort_members(cohort.id)
    profiles = [queries.profile(m) for m in members]
    return render_template(
        "program/cohort.html",
        cohort=cohort,
        members=members,
        mix=diversity.mix(profiles),
        spread=diversity.spread(profiles),
    )


def _progress(cohort):
    form = CohortProgressForm(request.args)
    sort = form.sort.data if form.validate() else "name"
    modules, rows = cohort_progress(
        queries.cohort_members(cohort.id),
        utcnow(),
        TrainingPolicy.from_config(current_app.config),
        sort,
    )
    return form, modules, rows


@bp.route("/<int:cohort_id>/progress")
def progress(cohort_id):
    """Every member × required module: status, attempts, due dates, overdue."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form, modules, rows = _progress(cohort)
    return render_template(
        "program/cohort_progress.html",
        cohort=cohort,
        form=form,
        modules=modules,
        rows=rows,
        today=utcnow().date(),
        cell_text=cell_text,
    ), form.status_code


@bp.route("/<int:cohort_id>/progress.csv")
def progress_csv(cohort_id):
    """The progress matrix as CSV, formula-safe, in the page's order."""
    cohort = db.get_or_404(Cohort, cohort_id)
    _, modules, rows = _progress(cohort)
    today, filename = utcnow().date(), f"cohort-{cohort.id}-progress.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Module titles are cells too: content can start with a formula character.
    writer.writerow(
        spreadsheet_safe(value)
        for value in ["name", "email", "team", "status", "passed", "overdue"]
        + [m.current_version.title for m in modules]
    )
    for row in rows:
        writer.writerow(
            spreadsheet_safe(value)
            for value in [
                row.person.display_name,
                row.person.email,
                row.team_name,
                row.enrollment.status.label,
                row.passed,
                row.overdue,
                *(cell_text(cell, today) for cell in row.cells),
            ]
        )
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.route("/<int:cohort_id>/suggest")
def suggest(cohort_id):
    """Propose a balanced set from the queue; nothing changes until approved."""
    cohort = db.get_or_404(Cohort, cohort_id)
    members = [queries.profile(m) for m in queries.cohort_members(cohort.id)]
    queue = queries.queue_profiles()
    picked = diversity.suggest_balanced(queue, members, cohort.seats_left)
    in_order = queue[: len(picked)]
    # The suggestion and the next applicants in line: enough to swap people in
    # without drawing a queue of thousands.
    chosen = {p.enrollment_id for p in picked}
    shown = picked + [p for p in queue if p.enrollment_id not in chosen][:SHOW_ALSO]
    form = PlaceManyForm()
    by_id = {p.enrollment_id: p for p in shown}
    form.enrollment_ids.choices = [(p.enrollment_id, p.name) for p in shown]
    form.enrollment_ids.data = [p.enrollment_id for p in picked]
    return render_template(
        "program/suggest.html",
        cohort=cohort,
        form=form,
        picked=picked,
        queue=queue,
        hidden=len(queue) - len(shown),
        by_id=by_id,
        spread_balanced=diversity.spread(members + picked),
        spread_in_order=diversity.spread(members + in_order),
        mix=diversity.mix(members + picked),
    )


@bp.route("/<int:cohort_id>/place", methods=["POST"])
def place(cohort_id):
    """Approve the chosen applicants into the cohort, all of them or none."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form = PlaceManyForm()
    form.enrollment_ids.choices = [
        (p.enrollment_id, "") for p in queries.queue_profiles()
    ]
    if not form.validate_on_submit() or not form.enrollment_ids.data:
        flash("Choose at least one applicant who is still waiting.", "danger")
        return redirect(url_for("cohorts.suggest", cohort_id=cohort.id))
    chosen = db.session.scalars(
        select(Enrollment).where(Enrollment.id.in_(form.enrollment_ids.data))
    ).all()
    return run_service(
        lambda: services.place_many(current_user, cohort, chosen, utcnow()),
        success=f"{len(chosen)} applicant(s) approved into {cohort.name}.",
        target=url_for("cohorts.cohort", cohort_id=cohort.id),
        error_target=url_for("cohorts.suggest", cohort_id=cohort.id),
    )
