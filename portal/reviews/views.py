"""Security review records: the list, recording and editing a review, moving
it through its stages and keeping its findings."""

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts.models import Role, Team
from portal.accounts.queries import team_choices
from portal.auth.forms import PostOnlyForm
from portal.auth.permissions import permission_required
from portal.database import utcnow
from portal.errors import NotAllowed
from portal.extensions import db
from portal.reviews import queries, scoring, services, surveys
from portal.reviews.forms import (
    FindingCountsForm,
    FindingForm,
    FindingStatusForm,
    ReviewFilterForm,
    ReviewForm,
    StageForm,
)
from portal.reviews.models import Finding, FindingStatus, ReviewStage, Severity
from portal.reviews.permissions import (
    can_edit_review,
    can_fill_survey,
    can_read_feedback,
    can_read_private_notes,
    can_record_readiness,
    can_record_reviews,
    can_see_review,
    moves_for,
)
from portal.reviews.survey import questions
from portal.web import flash_form_errors, paginate, run_service

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
PER_PAGE = 25


def visible_review(review_id):
    """The review, or 404 for anyone who may not see it."""
    review = queries.review_page(review_id)
    if review is None or not can_see_review(current_user, review):
        abort(404)
    return review


def editable_review(review_id):
    review = visible_review(review_id)
    if not can_edit_review(current_user, review):
        raise NotAllowed()
    return review


@bp.route("/")
@login_required
def index():
    """The reviews the person may see, filtered: all of them for reviewers and
    program managers, their team's for everyone else."""
    form = ReviewFilterForm()
    filters = {}
    if form.validate():
        filters = {
            "team_id": form.team_id.data,
            "stage": form.stage.data or None,
            "q": form.q.data or None,
            "supported": {"yes": True, "no": False}.get(form.supported.data),
        }
    page = paginate(queries.reviews_query(current_user, **filters), per_page=PER_PAGE)
    team = db.session.get(Team, filters["team_id"]) if filters.get("team_id") else None
    return render_template(
        "reviews/index.html", form=form, page=page, args=form.link_args(), team=team
    ), form.status_code


def survey_context(review):
    """What the review page shows of its surveys and readiness checks.

    Scores are for everyone who sees the review; the written feedback for its
    people, its team's Guardians and recorders; the private notes for program
    managers. A reviewer sees the Guardians' self-ratings once their own
    survey is in, so the self-rating cannot sway their own.
    """
    user = current_user
    all_surveys = queries.surveys_of(review.id)
    mine = next((s for s in all_surveys if s.reviewer_id == user.id), None)
    sees_readiness = (
        can_read_private_notes(user)
        or user.id in review.guardian_ids
        or (user.id in review.reviewer_ids and mine is not None)
    )
    return {
        "questions": questions(),
        "surveys": all_surveys,
        "my_survey": mine,
        "readiness": queries.readiness_of(review.id) if sees_readiness else [],
        "sees_readiness": sees_readiness,
        "shows_feedback": can_read_feedback(user, review),
        "shows_private": can_read_private_notes(user)
        and user.id not in review.guardian_ids,
        "shows_reviewer": can_record_reviews(user)
        or current_app.config["PORTAL_SURVEY_SHOWS_REVIEWER"],
        "can_survey": can_fill_survey(user, review),
        "can_ready": can_record_readiness(user, review),
        "review_score": review.score,
        "is_locked": lambda s: surveys.is_locked(s, utcnow()),
        "locks_at": surveys.locks_at,
        "fraction": scoring.fraction,
    }


def _review_form(review=None):
    form = ReviewForm(obj=review)
    form.team_id.choices = team_choices(include_none=False)
    if review is not None and not form.is_submitted():
        form.guardians.data = "\n".join(u.email for u in review.guardians)
        form.reviewers.data = "\n".join(u.email for u in review.reviewers)
    return form


def _review_fields(form):
    return {
        "title": form.title.data,
        "team_id": form.team_id.data,
        "ticket_url": form.ticket_url.data,
        "opened_on": form.opened_on.data,
        "guardians": form.guardians.data,
        "reviewers": form.reviewers.data,
    }


@bp.route("/new", methods=["GET", "POST"])
@permission_required(can_record_reviews)
def new():
    """Record a new security review: reviewers and program managers."""
    form = _review_form()
    if not form.is_submitted():
        form.opened_on.data = utcnow().date()
        if Role.SECURITY_REVIEWER in current_user.roles:
            form.reviewers.data = current_user.email
    if form.validate_on_submit():
        done = run_service(
            lambda: services.create_review(
                current_user, **_review_fields(form), now=utcnow()
            ),
            success=lambda r: f"The review of “{r.title}” is recorded.",
            target=lambda r: url_for("reviews.show", review_id=r.id),
            form=form,
        )
        if done:
            return done
    return render_template("reviews/form.html", form=form, review=None)


@bp.route("/<int:review_id>")
@login_required
def show(review_id):
    """One review: people, stage history, findings, readiness and surveys as
    the person may see them."""
    review = visible_review(review_id)
    counts = FindingCountsForm(obj=review)
    return render_template(
        "reviews/show.html",
        review=review,
        moves=moves_for(current_user, review),
        stage_form=StageForm(),
        counts_form=counts,
        finding_form=FindingForm(),
        status_form=FindingStatusForm(),
        Severity=Severity,
        FindingStatus=FindingStatus,
        **survey_context(review),
    )


@bp.route("/<int:review_id>/edit", methods=["GET", "POST"])
@login_required
def edit(review_id):
    """Edit a review's details and people: its reviewers and program managers."""
    review = editable_review(review_id)
    form = _review_form(review)
    if form.validate_on_submit():
        done = run_service(
            lambda: services.update_review(
                current_user,
                review,
                **_review_fields(form),
                closed_on=form.closed_on.data,
                now=utcnow(),
            ),
            success="The review is saved.",
            target=url_for("reviews.show", review_id=review.id),
            form=form,
        )
        if done:
            return done
    return render_template("reviews/form.html", form=form, review=review)


def _back(review):
    return url_for("reviews.show", review_id=review.id)


@bp.route("/<int:review_id>/stage", methods=["POST"])
@login_required
def move(review_id):
    """Move a review to another stage, as the lifecycle table allows this person."""
    review = visible_review(review_id)
    form = StageForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_back(review))
    stage = ReviewStage(form.stage.data)
    seen = ReviewStage(form.seen.data) if form.seen.data else None
    return run_service(
        lambda: services.move_review(
            current_user,
            review,
            stage,
            note=form.note.data,
            now=utcnow(),
            seen_stage=seen,
        ),
        success=f"The review is now at “{stage.label}”.",
        target=_back(review),
    )


@bp.route("/<int:review_id>/findings/counts", methods=["POST"])
@login_required
def counts(review_id):
    """Set the number of findings by severity: the review's recorders."""
    review = editable_review(review_id)
    form = FindingCountsForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_back(review))
    return run_service(
        lambda: services.set_finding_counts(
            current_user, review, form.counts(), utcnow()
        ),
        success="The finding counts are saved.",
        target=_back(review) + "#findings",
    )


@bp.route("/<int:review_id>/findings", methods=["POST"])
@login_required
def add_finding(review_id):
    """List one finding on the review: the review's recorders."""
    review = editable_review(review_id)
    form = FindingForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_back(review) + "#findings")
    return run_service(
        lambda: services.add_finding(
            current_user,
            review,
            title=form.title.data,
            severity=Severity(form.severity.data),
            status=FindingStatus(form.status.data),
            fixed_on=form.fixed_on.data,
            now=utcnow(),
        ),
        success="The finding is listed.",
        target=_back(review) + "#findings",
    )


def _finding(review, finding_id):
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.review_id != review.id:
        abort(404)
    return finding


@bp.route("/<int:review_id>/findings/<int:finding_id>", methods=["POST"])
@login_required
def update_finding(review_id, finding_id):
    """Change a finding's status: the review's recorders."""
    review = editable_review(review_id)
    finding = _finding(review, finding_id)
    form = FindingStatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_back(review) + "#findings")
    return run_service(
        lambda: services.update_finding(
            current_user,
            finding,
            status=FindingStatus(form.status.data),
            fixed_on=form.fixed_on.data,
            now=utcnow(),
        ),
        success="The finding is updated.",
        target=_back(review) + "#findings",
    )


@bp.route("/<int:review_id>/findings/<int:finding_id>/remove", methods=["POST"])
@login_required
def remove_finding(review_id, finding_id):
    """Take a finding off the list: the review's recorders."""
    review = editable_review(review_id)
    finding = _finding(review, finding_id)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    return run_service(
        lambda: services.remove_finding(current_user, finding, utcnow()),
        success="The finding is off the list.",
        target=_back(review) + "#findings",
    )
