"""The curriculum, module pages, quizzes, progress, certificates and statistics."""

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from portal.auth.forms import PostOnlyForm
from portal.database import utcnow
from portal.errors import NotAllowed
from portal.extensions import db
from portal.training import (
    attempt_grants,
    certificates,
    item_analysis,
    queries,
    services,
)
from portal.training.forms import (
    ModuleFilterForm,
    RevokeCertificateForm,
    quiz_form,
    responses_from,
)
from portal.training.models import AttemptStatus, QuizAttempt
from portal.training.permissions import (
    can_revoke_certificate,
    can_view_training_statistics,
)
from portal.training.quiz import asked_questions, result_items, review_level
from portal.training.standing import TrainingPolicy
from portal.web import run_service

bp = Blueprint("training", __name__)


def _policy():
    return TrainingPolicy.from_config(current_app.config)


def _require(allowed):
    if not allowed:
        raise NotAllowed()


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
    rows = queries.module_rows(current_user.id, utcnow(), _policy(), modules)
    return render_template(
        "training/index.html", rows=rows, form=form, titles=queries.module_titles()
    ), form.status_code


def _module_or_404(slug):
    module = services.active_module(slug)
    if module is None:
        abort(404)
    return module


@bp.route("/training/modules/<slug>")
@login_required
def module(slug):
    """A module's text, objectives and quiz status, for anyone signed in."""
    module = _module_or_404(slug)
    return render_template(
        "training/module.html",
        module=module,
        version=module.current_version,
        standing=services.standing(current_user, module, utcnow(), _policy()),
        titles=queries.module_titles(),
    )


@bp.route("/training/modules/<slug>/attempts", methods=["POST"])
@login_required
def start_attempt(slug):
    """Start (or resume) the signed-in person's quiz attempt."""
    module = _module_or_404(slug)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    return run_service(
        lambda: services.start_attempt(
            current_user, module, utcnow(), policy=_policy()
        ),
        success=None,
        target=lambda attempt: url_for("training.attempt", attempt_id=attempt.id),
        error_target=url_for("training.module", slug=slug),
        error_category="warning",
    )


@bp.route("/training/modules/<slug>/more-attempts", methods=["POST"])
@login_required
def request_more_attempts(slug):
    """The signed-in person, out of attempts, asks program managers for more."""
    module = _module_or_404(slug)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    standing = services.standing(current_user, module, utcnow(), _policy())
    return run_service(
        lambda: attempt_grants.request_more_attempts(current_user, standing, utcnow()),
        success=lambda asked: (
            "Program managers have been asked to give you more "
            "attempts; you will be told when they do."
            if asked
            else "You have asked already; program managers have been told."
        ),
        target=url_for("training.module", slug=slug),
    )


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
        return run_service(
            lambda: services.submit_attempt(
                current_user,
                attempt,
                responses_from(form, attempt),
                utcnow(),
                _policy(),
            ),
            success=None,
            target=url_for("training.attempt", attempt_id=attempt.id),
            error_category="warning",
        )
    version = attempt.module_version
    return render_template(
        "training/quiz.html",
        attempt=attempt,
        form=form,
        version=version,
        questions=asked_questions(version, attempt.layout),
    )


def _result_page(attempt):
    version = attempt.module_version
    standing = services.standing(current_user, version.module, utcnow(), _policy())
    # While a renewal is under way, last round's pass must not be its key.
    earlier_round = attempt.round < standing.round and standing.status != "passed"
    level = review_level(version, attempt.passed, standing.locked_out or earlier_round)
    return render_template(
        "training/result.html",
        attempt=attempt,
        version=version,
        level=level,
        standing=standing,
        asked=len(attempt.layout),
        right=sum(1 for a in attempt.answers if a.credit >= 1),
        items=result_items(version, attempt, level),
        certificate=queries.valid_certificate(current_user.id, utcnow()),
    )


@bp.route("/training/progress")
@login_required
def progress():
    """The signed-in person's progress towards certification and their certificate."""
    now = utcnow()
    return render_template(
        "training/progress.html",
        rows=queries.module_rows(current_user.id, now, _policy()),
        certificate=queries.latest_certificate(current_user.id),
        now=now,
    )


def _certificate_or_404(code):
    certificate = queries.certificate_by_code(code)
    if certificate is None:
        abort(404)
    return certificate


@bp.route("/certificates/<code>")
def certificate(code):
    """Public: anyone with the link can verify a Guardian certificate."""
    certificate = _certificate_or_404(code)
    revoke_form = (
        RevokeCertificateForm() if can_revoke_certificate(current_user) else None
    )
    return render_template(
        "training/certificate.html",
        certificate=certificate,
        status=certificate.status(utcnow()),
        revoke_form=revoke_form,
    )


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@login_required
def revoke_certificate(code):
    """Revoke a certificate with a reason; program managers and admins only."""
    certificate = _certificate_or_404(code)
    _require(can_revoke_certificate(current_user, certificate))
    form = RevokeCertificateForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: certificates.revoke_certificate(
                current_user, certificate, form.reason.data, utcnow()
            ),
            success="The certificate is revoked and its holder has been told.",
            target=url_for("training.certificate", code=code),
            form=form,
        )
        if done:
            return done
    # The page again, with what was typed and what is wrong with it.
    return render_template(
        "training/certificate.html",
        certificate=certificate,
        status=certificate.status(utcnow()),
        revoke_form=form,
    )


@bp.route("/training/stats")
@login_required
def stats():
    """Attempts, pass rate and average per module; program managers and admins."""
    _require(can_view_training_statistics(current_user))
    return render_template(
        "training/stats.html",
        modules=queries.curriculum(),
        stats=queries.module_statistics(),
    )


@bp.route("/training/stats/<slug>")
@login_required
def module_stats(slug):
    """Item analysis of a module's questions; program managers and admins."""
    _require(can_view_training_statistics(current_user))
    module = _module_or_404(slug)
    version = module.current_version
    return render_template(
        "training/module_stats.html",
        module=module,
        version=version,
        questions=item_analysis.analyse_version(version),
        summary=queries.module_statistics(module.id).get(module.id),
        min_sample=item_analysis.MIN_SAMPLE,
    )
