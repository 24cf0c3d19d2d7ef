"""Program managers unblock people in training: one person's progress, more
attempts, a fresh start."""

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts.models import User
from portal.database import utcnow
from portal.errors import NotAllowed
from portal.extensions import db
from portal.training import attempt_grants, queries, services
from portal.training.forms import GrantAttemptsForm, ResetModuleForm
from portal.training.permissions import can_unblock_training
from portal.training.standing import TrainingPolicy
from portal.web import flash_form_errors, run_service

bp = Blueprint("training_program", __name__, url_prefix="/program")


@bp.before_request
@login_required
def require_program_manager():
    """Every page here is for program managers and admins."""
    if not can_unblock_training(current_user):
        raise NotAllowed()


def _policy():
    return TrainingPolicy.from_config(current_app.config)


def _person_or_404(user_id):
    return db.get_or_404(User, user_id)


def _standing_or_404(person, slug):
    module = services.active_module(slug)
    if module is None:
        abort(404)
    return services.standing(person, module, utcnow(), _policy())


@bp.route("/people/<int:user_id>/training")
def person(user_id):
    """One person's standing in every module, with the ways to unblock them."""
    person = _person_or_404(user_id)
    now = utcnow()
    return render_template(
        "training/person.html",
        person=person,
        rows=queries.module_rows(person.id, now, _policy()),
        certificate=queries.latest_certificate(person.id),
        now=now,
        grant_form=GrantAttemptsForm(),
        reset_form=ResetModuleForm(),
    )


def _back_to(person):
    return url_for("training_program.person", user_id=person.id)


@bp.route("/people/<int:user_id>/training/<slug>/attempts", methods=["POST"])
def grant_attempts(user_id, slug):
    """Give the person more attempts at a module, with a reason."""
    person = _person_or_404(user_id)
    standing = _standing_or_404(person, slug)
    form = GrantAttemptsForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_back_to(person))
    return run_service(
        lambda: attempt_grants.grant_attempts(
            current_user, person, standing, form.count.data, form.reason.data, utcnow()
        ),
        success=f"{person.display_name} has {form.count.data} more attempt(s) at "
        f"“{standing.version.title}”.",
        target=_back_to(person),
    )


@bp.route("/people/<int:user_id>/training/<slug>/reset", methods=["POST"])
def reset_module(user_id, slug):
    """Start the person afresh on a module, with a reason."""
    person = _person_or_404(user_id)
    standing = _standing_or_404(person, slug)
    form = ResetModuleForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_back_to(person))
    return run_service(
        lambda: attempt_grants.reset_module(
            current_user, person, standing, form.reason.data, utcnow()
        ),
        success=f"“{standing.version.title}” starts afresh for {person.display_name}.",
        target=_back_to(person),
    )
