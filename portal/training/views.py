"""The curriculum, module pages, quizzes, progress, certificates and statistics."""

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
from flask_login import current_user, login_required

from portal.accounts.models import Role
from portal.auth.forms import PostOnlyForm
from portal.auth.permissions import role_required
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.training import queries, services
from portal.training.forms import ModuleFilterForm, quiz_form, responses_from
from portal.training.grading import correct_response
from portal.training.models import AttemptStatus, QuizAttempt

bp = Blueprint("training", __name__)


def _cooldown_override():
    return current_app.config["PORTAL_TRAINING_COOLDOWN_MINUTES"]


@bp.route("/training")
@login_required
def index():
    """The curriculum with the signed-in person's status in each module."""
    modules = queries.curriculum()
    form = ModuleFilterForm(request.args)
    tags = sorted({tag for m in modules for tag in m.current_version.tags})
    form.tag.choices = [("", "Any tag")] + [(t, t) for t in tags]
    if form.validate():
        if form.tag.data:
            modules = [m for m in modules if form.tag.data in m.current_version.tags]
        if form.kind.data:
            modules = [
                m for m in modules if m.required == (form.kind.data == "required")
            ]
    rows = queries.module_rows(current_user.id, utcnow(), modules, _cooldown_override())
    return render_template("training/index.html", rows=rows, form=form)


def _module_or_404(slug):
    module = services.active_module(slug)
    if module is None:
        abort(404)
    return module


@bp.route("/training/modules/<slug>")
@login_required
def module(slug):
    module = _module_or_404(slug)
    now = utcnow()
    return render_template(
        "training/module.html",
        module=module,
        version=module.current_version,
        standing=services.standing(current_user, module, now, _cooldown_override()),
    )


@bp.route("/training/modules/<slug>/attempts", methods=["POST"])
@login_required
def start_attempt(slug):
    """Start (or resume) the signed-in person's quiz attempt."""
    module = _module_or_404(slug)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(
            current_user, module, utcnow(), cooldown_override=_cooldown_override()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("training.module", slug=slug))
    db.session.commit()
    return redirect(url_for("training.attempt", attempt_id=attempt.id))


def _own_attempt_or_404(attempt_id):
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.route("/training/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id):
    """The quiz while in progress; the graded result once submitted. Owner only."""
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.status == AttemptStatus.SUBMITTED:
        return _result_page(attempt)
    form = quiz_form(attempt)
    if form.validate_on_submit():
        try:
            services.submit_attempt(
                current_user, attempt, responses_from(form), utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
        return redirect(url_for("training.attempt", attempt_id=attempt.id))
    return render_template(
        "training/quiz.html", attempt=attempt, form=form, version=attempt.module_version
    )


def _result_page(attempt):
    version = attempt.module_version
    answers = {a.question_id: a for a in attempt.answers}
    final_failure = not attempt.passed and attempt.number >= attempt.attempts_allowed
    items = []
    for item in attempt.layout:
        question = version.question(item["q"])
        texts = {c["id"]: c["text"] for c in question.get("choices", [])}
        texts.update({"true": "True", "false": "False"})
        answer = answers.get(question["id"])
        items.append(
            {
                "question": question,
                "given": [texts.get(r, r) for r in (answer.response if answer else [])],
                "credit": answer.credit if answer else 0.0,
                "correct": [texts.get(r, r) for r in correct_response(question)],
            }
        )
    return render_template(
        "training/result.html",
        attempt=attempt,
        version=version,
        items=items,
        reveal=not final_failure,
        certificate=queries.certificate_for(current_user.id),
    )


@bp.route("/training/progress")
@login_required
def progress():
    rows = queries.module_rows(current_user.id, utcnow(), None, _cooldown_override())
    return render_template(
        "training/progress.html",
        rows=rows,
        certificate=queries.certificate_for(current_user.id),
    )


@bp.route("/certificates/<code>")
def certificate(code):
    """Public: anyone with the link can verify a Guardian certificate."""
    certificate = queries.certificate_by_code(code)
    if certificate is None:
        abort(404)
    return render_template("training/certificate.html", certificate=certificate)


@bp.route("/training/stats")
@role_required(Role.PROGRAM_MANAGER, Role.ADMIN)
def stats():
    return render_template(
        "training/stats.html",
        modules=queries.curriculum(),
        stats=queries.module_statistics(),
    )


@bp.route("/training/stats/<slug>")
@role_required(Role.PROGRAM_MANAGER, Role.ADMIN)
def module_stats(slug):
    module = _module_or_404(slug)
    version = module.current_version
    return render_template(
        "training/module_stats.html",
        module=module,
        version=version,
        questions=queries.question_statistics(version),
        summary=queries.module_statistics().get(module.id),
    )
