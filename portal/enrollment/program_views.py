"""Program managers: the application queue, decisions, cohorts and coverage."""

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

from portal.accounts.forms import SENIORITY_CHOICES
from portal.accounts.models import Role
from portal.accounts.queries import org_choices, team_choices
from portal.auth.permissions import role_required
from portal.database import utcnow
from portal.enrollment import diversity, queries, services
from portal.enrollment.forms import (
    CohortProgressForm,
    DeclineForm,
    PlaceForm,
    PlaceManyForm,
    QueueFilterForm,
    ReasonForm,
    cohort_form,
)
from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.enrollment.progress import cell_text, cohort_progress
from portal.extensions import db
from portal.training.queries import required_modules
from portal.training.standing import TrainingPolicy
from portal.web import run_service, spreadsheet_safe

bp = Blueprint("program", __name__, url_prefix="/program")

SHOW_ALSO = 100


@bp.before_request
@role_required(Role.PROGRAM_MANAGER, Role.ADMIN)
def require_program_manager():
    """Every page here is for program managers and admins."""


def _cohort_choices(open_only=True):
    cohorts = db.session.scalars(
        select(Cohort).order_by(Cohort.start_date.desc())
    ).all()
    return [
        (c.id, f"{c.name} ({c.seats_left} of {c.capacity} seats left)")
        for c in cohorts
        if c.seats_left > 0 or not open_only
    ]


@bp.route("/applications")
def applications():
    form = QueueFilterForm(request.args)
    form.org_id.choices = [(0, "Any org")] + org_choices()
    # Teams are offered within the chosen org: thousands of options would make
    # the page heavy to build and hard to use.
    org_id = request.args.get("org_id", type=int)
    form.team_id.choices = {"": [(0, "Any team" if org_id else "Choose an org first")]}
    if org_id:
        form.team_id.choices.update(team_choices(include_none=False, org_id=org_id))
    form.seniority.choices = [("", "Any seniority")] + SENIORITY_CHOICES[1:]
    filters = {}
    if form.validate():
        filters = {
            "org_id": form.org_id.data or None,
            "team_id": form.team_id.data or None,
            "location": form.location.data,
            "seniority": form.seniority.data or None,
            "min_hours": form.min_hours.data,
        }
    page = db.paginate(queries.queue_query(**filters), per_page=25, error_out=False)
    nominated = db.session.scalar(
        select(db.func.count())
        .select_from(Enrollment)
        .where(Enrollment.status == S.NOMINATED)
    )
    return render_template(
        "program/applications.html", form=form, page=page, nominated=nominated
    )


@bp.route("/applications/<int:enrollment_id>")
def application(enrollment_id):
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    place_form = PlaceForm()
    place_form.cohort_id.choices = _cohort_choices()
    return render_template(
        "program/application.html",
        enrollment=enrollment,
        place_form=place_form,
        decline_form=DeclineForm(),
        reason_form=ReasonForm(),
        S=S,
    )


def _decide(enrollment_id, action, success):
    """Run a decision on the application, then go back to it.

    ``success`` is a function of the applicant's name: names and cohort names
    are people's text and never pass through ``str.format``.
    """
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    return run_service(
        lambda: action(enrollment),
        success=success(enrollment.user.display_name),
        target=url_for("program.application", enrollment_id=enrollment_id),
    )


@bp.route("/applications/<int:enrollment_id>/approve", methods=["POST"])
def approve(enrollment_id):
    form = PlaceForm()
    form.cohort_id.choices = _cohort_choices()
    if not form.validate_on_submit():
        flash("Choose a cohort with free seats.", "danger")
        return redirect(url_for("program.application", enrollment_id=enrollment_id))
    cohort = db.get_or_404(Cohort, form.cohort_id.data)
    return _decide(
        enrollment_id,
        lambda e: services.place_in_cohort(current_user, e, cohort, utcnow()),
        lambda name: f"{name} is approved into {cohort.name}.",
    )


@bp.route("/applications/<int:enrollment_id>/decline", methods=["POST"])
def decline(enrollment_id):
    form = DeclineForm()
    if not form.validate_on_submit():
        flash("Give the applicant a reason for declining.", "danger")
        return redirect(url_for("program.application", enrollment_id=enrollment_id))
    return _decide(
        enrollment_id,
        lambda e: services.decline(current_user, e, form.reason.data, utcnow()),
        lambda name: f"{name}'s application is declined.",
    )


@bp.route("/applications/<int:enrollment_id>/alumni", methods=["POST"])
def make_alumni(enrollment_id):
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    return _decide(
        enrollment_id,
        lambda e: services.transition(
            e, S.ALUMNI, actor=current_user, now=utcnow(), reason=form.reason.data or ""
        ),
        lambda name: f"{name} is now an alumni Guardian.",
    )


@bp.route("/cohorts")
def cohorts():
    return render_template(
        "program/cohorts.html", cohorts=queries.cohorts_with_counts()
    )


@bp.route("/cohorts/new", methods=["GET", "POST"])
def new_cohort():
    modules = required_modules()
    form = cohort_form(modules)
    if form.validate_on_submit():
        done = run_service(
            lambda: services.create_cohort(
                current_user,
                name=form.name.data,
                start_date=form.start_date.data,
                capacity=form.capacity.data,
                now=utcnow(),
                due_dates={m.id: field.data for m, field in form.due_fields},
            ),
            success=lambda cohort: f"Cohort {cohort.name} is open.",
            target=lambda cohort: url_for("program.cohort", cohort_id=cohort.id),
            form=form,
        )
        if done:
            return done
    return render_template("program/cohort_form.html", form=form)


@bp.route("/cohorts/<int:cohort_id>")
def cohort(cohort_id):
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


@bp.route("/cohorts/<int:cohort_id>/progress")
def cohort_progress_page(cohort_id):
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
    )


@bp.route("/cohorts/<int:cohort_id>/progress.csv")
def cohort_progress_csv(cohort_id):
    """The progress matrix as CSV, formula-safe, in the page's order."""
    cohort = db.get_or_404(Cohort, cohort_id)
    _, modules, rows = _progress(cohort)
    today, filename = utcnow().date(), f"cohort-{cohort.id}-progress.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["name", "email", "team", "status", "passed", "overdue"]
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


@bp.route("/cohorts/<int:cohort_id>/suggest")
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


@bp.route("/cohorts/<int:cohort_id>/place", methods=["POST"])
def place(cohort_id):
    """Approve the chosen applicants into the cohort, all of them or none."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form = PlaceManyForm()
    form.enrollment_ids.choices = [
        (p.enrollment_id, "") for p in queries.queue_profiles()
    ]
    if not form.validate_on_submit() or not form.enrollment_ids.data:
        flash("Choose at least one applicant who is still waiting.", "danger")
        return redirect(url_for("program.suggest", cohort_id=cohort.id))
    chosen = db.session.scalars(
        select(Enrollment).where(Enrollment.id.in_(form.enrollment_ids.data))
    ).all()
    return run_service(
        lambda: services.place_many(current_user, cohort, chosen, utcnow()),
        success=f"{len(chosen)} applicant(s) approved into {cohort.name}.",
        target=url_for("program.cohort", cohort_id=cohort.id),
        error_target=url_for("program.suggest", cohort_id=cohort.id),
    )


@bp.route("/coverage")
def coverage():
    org_id = request.args.get("org_id", type=int)
    only_uncovered = request.args.get("uncovered") == "1"
    page = db.paginate(
        queries.team_coverage_query(org_id, only_uncovered),
        per_page=50,
        error_out=False,
    )
    counts = queries.coverage_counts([team.id for team in page.items])
    return render_template(
        "program/coverage.html",
        page=page,
        counts=counts,
        orgs=queries.org_ratios(),
        flagged=queries.flagged_teams(),
        org_id=org_id,
        only_uncovered=only_uncovered,
        target=current_app.config["PORTAL_GUARDIAN_RATIO_TARGET"],
        orgs_choices=org_choices(),
    )
