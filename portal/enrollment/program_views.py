"""Program managers: the application queue, decisions, cohorts and coverage."""

from flask import (
    Blueprint,
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
from werkzeug.datastructures import MultiDict

from portal.accounts.forms import SENIORITY_CHOICES
from portal.accounts.models import Org
from portal.accounts.queries import org_choices, team_choices
from portal.auth.permissions import can_run_program, permission_required
from portal.database import utcnow
from portal.enrollment import coverage as coverage_targets
from portal.enrollment import queries, services
from portal.enrollment.forms import (
    CoverageFilterForm,
    DeclineForm,
    PlaceForm,
    QueueFilterForm,
    RatioTargetForm,
    ReasonForm,
)
from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.extensions import db
from portal.training.queries import certified_among
from portal.web import flash_form_errors, id_argument, paginate, run_service

bp = Blueprint("program", __name__, url_prefix="/program")


@bp.before_request
@permission_required(can_run_program)
def require_program_manager():
    """Every page here is for program managers and admins."""


def _cohort_choices(open_only=True):
    cohorts = db.session.scalars(
        select(Cohort).order_by(Cohort.start_date.desc())
    ).all()
    return [
        (c.id, f"{c.name} ({c.seats_left} of {c.capacity} seats left)")
        for c in cohorts
        if (c.seats_left > 0 and c.is_open) or not open_only
    ]


def _queue_filter_form():
    """The queue's filters; a team outside the chosen org is dropped, so a
    change of org resets the team instead of failing the whole filter."""
    args = MultiDict(request.args)
    org_id = id_argument("org_id")
    teams = team_choices(include_none=False, org_id=org_id) if org_id else {}
    offered = {str(value) for group in teams.values() for value, _ in group}
    if args.get("team_id") not in offered:
        args.pop("team_id", None)
    form = QueueFilterForm(args)
    form.org_id.choices = [(0, "Any org")] + org_choices()
    # Teams are offered within the chosen org: thousands of options would make
    # the page heavy to build and hard to use.
    form.team_id.choices = {"": [(0, "Any team" if org_id else "Choose an org first")]}
    form.team_id.choices.update(teams)
    form.seniority.choices = [("", "Any seniority")] + SENIORITY_CHOICES[1:]
    return form


@bp.route("/applications")
def applications():
    """Applications waiting for a decision, oldest first, filtered."""
    form = _queue_filter_form()
    filters = {}
    if form.validate():
        filters = {
            "org_id": form.org_id.data or None,
            "team_id": form.team_id.data or None,
            "location": form.location.data,
            "seniority": form.seniority.data or None,
            "min_hours": form.min_hours.data,
        }
    page = paginate(queries.queue_query(**filters), per_page=25)
    nominated = db.session.scalar(
        select(db.func.count())
        .select_from(Enrollment)
        .where(Enrollment.status == S.NOMINATED)
    )
    return render_template(
        "program/applications.html",
        form=form,
        page=page,
        nominated=nominated,
        certified=certified_among([e.user_id for e in page.items], utcnow()),
    ), form.status_code


@bp.route("/applications/<int:enrollment_id>")
def application(enrollment_id):
    """One application with its history and the decisions it allows."""
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
    """Approve an application into a cohort with free seats."""
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
    """Decline an application, with a reason the applicant is told."""
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
    """Move an active Guardian to alumni."""
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


@bp.route("/coverage")
def coverage():
    """Guardians per team and org against each org's target; teams at risk."""
    args = request.args.to_dict()
    if args.pop("uncovered", None) == "1":  # the older link for "no Guardian"
        args.setdefault("show", "uncovered")
    form = CoverageFilterForm(MultiDict(args))
    form.org_id.choices = [(0, "Every org"), *org_choices()]
    org_id, show = (
        (form.org_id.data or None, form.show.data)
        if form.validate()
        else (
            None,
            "all",
        )
    )
    page = paginate(queries.team_coverage_query(org_id, show), per_page=50)
    default = current_app.config["PORTAL_GUARDIAN_RATIO_TARGET"]
    orgs = queries.org_ratios(default)
    return render_template(
        "program/coverage.html",
        form=form,
        page=page,
        counts=queries.coverage_counts([team.id for team in page.items]),
        orgs=orgs,
        targets={row["org"].id: row["target"] for row in orgs},
        flagged=queries.flagged_teams(),
        single=queries.single_guardian_team_count(),
        target=default,
        target_form=RatioTargetForm(),
    ), form.status_code


@bp.route("/coverage/orgs/<int:org_id>/target", methods=["POST"])
def set_ratio_target(org_id):
    """Set an org's engineers-per-Guardian target (empty: the company default)."""
    org = db.get_or_404(Org, org_id)
    form = RatioTargetForm()
    target = url_for("program.coverage")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(target)
    return run_service(
        lambda: coverage_targets.set_ratio_target(current_user, org, form.target.data),
        success=f"The Guardian target for {org.name} is saved.",
        target=target,
    )
