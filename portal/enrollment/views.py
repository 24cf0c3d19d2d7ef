"""Applying to become a Guardian, nominating a colleague, and one's own application."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts.queries import team_choices
from portal.database import utcnow
from portal.enrollment import queries, services
from portal.enrollment.forms import ApplyForm, NominateForm, ReasonForm, StepDownForm
from portal.enrollment.models import Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.extensions import db
from portal.web import run_service

bp = Blueprint("enrollment", __name__, url_prefix="/guardians")


def _teams():
    return team_choices(include_none=False)


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    """Any engineer may apply, once at a time."""
    if services.open_enrollment(current_user.id) is not None:
        flash("You already have an open Guardian application.", "info")
        return redirect(url_for("enrollment.application"))
    form = ApplyForm()
    form.guarded_team_id.choices = _teams()
    if not form.is_submitted() and current_user.team_id:
        form.guarded_team_id.data = current_user.team_id
    if form.validate_on_submit():
        done = run_service(
            lambda: services.apply(
                current_user,
                guarded_team_id=form.guarded_team_id.data,
                motivation=form.motivation.data,
                manager_email=form.manager_email.data,
                hours_per_week=form.hours_per_week.data,
                now=utcnow(),
            ),
            success="Your application is in. A program manager will review it.",
            target=url_for("enrollment.application"),
            form=form,
        )
        if done:
            return done
    return render_template("enrollment/apply.html", form=form)


@bp.route("/nominate", methods=["GET", "POST"])
@login_required
def nominate():
    """A manager nominates a colleague, who then confirms."""
    form = NominateForm()
    form.guarded_team_id.choices = _teams()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.nominate(
                current_user,
                form.email.data,
                guarded_team_id=form.guarded_team_id.data,
                motivation=form.motivation.data,
                hours_per_week=form.hours_per_week.data,
                now=utcnow(),
            ),
            success=lambda nomination: (
                f"{nomination.user.display_name} is "
                "nominated and has been asked to confirm."
            ),
            target=url_for("core.index"),
            form=form,
        )
        if done:
            return done
    return render_template("enrollment/nominate.html", form=form)


@bp.route("/application")
@login_required
def application():
    """The signed-in person's applications, newest first, with their history."""
    enrollments = queries.my_enrollments(current_user.id)
    return render_template(
        "enrollment/application.html",
        enrollments=enrollments,
        S=S,
        reason_form=ReasonForm(),
        step_down_form=StepDownForm(data={"steps_down_on": utcnow().date()}),
    )


def _own_enrollment(enrollment_id):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.user_id != current_user.id:
        abort(404)
    return enrollment


def _act(enrollment_id, action, success):
    enrollment = _own_enrollment(enrollment_id)
    return run_service(
        lambda: action(enrollment),
        success=success,
        target=url_for("enrollment.application"),
    )


@bp.route("/application/<int:enrollment_id>/confirm", methods=["POST"])
@login_required
def confirm(enrollment_id):
    """The nominee confirms their nomination and applies; the nominee only."""
    if not ReasonForm().validate_on_submit():
        abort(400)
    return _act(
        enrollment_id,
        lambda e: services.transition(e, S.APPLIED, actor=current_user, now=utcnow()),
        "Thank you: your nomination is now an application.",
    )


@bp.route("/application/<int:enrollment_id>/withdraw", methods=["POST"])
@login_required
def withdraw(enrollment_id):
    """Withdraw one's own application, or decline a nomination; the owner only."""
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(
        enrollment_id,
        lambda e: services.transition(
            e,
            S.WITHDRAWN,
            actor=current_user,
            now=utcnow(),
            reason=form.reason.data or "",
        ),
        "Your application is withdrawn. You can apply again at any time.",
    )


@bp.route("/application/<int:enrollment_id>/step-down", methods=["POST"])
@login_required
def step_down(enrollment_id):
    """An active Guardian plans their step-down; the Guardian only."""
    form = StepDownForm()
    if not form.validate_on_submit():
        flash("Choose the date of your last day as a Guardian.", "danger")
        return redirect(url_for("enrollment.application"))
    return _act(
        enrollment_id,
        lambda e: services.step_down(
            current_user, e, form.steps_down_on.data, utcnow(), form.reason.data or ""
        ),
        "Your step-down is recorded. Thank you for guarding your team.",
    )
