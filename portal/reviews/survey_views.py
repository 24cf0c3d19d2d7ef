"""The end-of-review survey, the Guardian's readiness check, the reviewer's
home, a Guardian's own reviews, the scoring rules and the calibration guide."""

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user, login_required

from portal.auth.permissions import can_run_program, permission_required
from portal.database import utcnow
from portal.errors import NotAllowed
from portal.reviews import queries, scoring, surveys
from portal.reviews.forms import GuideForm, ReadinessForm, SurveyForm
from portal.reviews.permissions import (
    can_edit_guide,
    can_fill_survey,
    can_record_readiness,
    can_record_reviews,
)
from portal.reviews.survey import guide_points, questions
from portal.reviews.views import visible_review
from portal.web import paginate, run_service

bp = Blueprint("surveys", __name__, url_prefix="/reviews")


def _guide_context(edition=None):
    return {
        "questions": questions(),
        "guide": surveys.guide_entries(edition),
        "points": guide_points,
    }


@bp.route("/<int:review_id>/survey", methods=["GET", "POST"])
@login_required
def fill(review_id):
    """Fill (or, within the edit window, change) one's end-of-review survey:
    the review's reviewers, once it is approved."""
    review = visible_review(review_id)
    if not can_fill_survey(current_user, review):
        raise NotAllowed()
    mine = surveys.own_survey(review, current_user.id)
    form = SurveyForm()
    if mine is not None and not form.is_submitted():
        form.fill(mine)
        form.feedback.data = mine.feedback_markdown
        form.private_note.data = mine.private_note
    locked = mine is not None and surveys.is_locked(mine, utcnow())
    if form.validate_on_submit():
        done = run_service(
            lambda: surveys.submit_survey(
                current_user,
                review,
                form.answers(),
                form.feedback.data,
                form.private_note.data,
                utcnow(),
            ),
            success="Thank you: your survey is saved and the Guardians can read it.",
            target=url_for("reviews.show", review_id=review.id) + "#surveys",
            form=form,
        )
        if done:
            return done
    edition = mine.guide_edition if mine is not None else None
    return render_template(
        "reviews/survey.html",
        review=review,
        form=form,
        survey=mine,
        locked=locked,
        locks_at=surveys.locks_at(mine) if mine else None,
        **_guide_context(edition),
    )


@bp.route("/<int:review_id>/readiness", methods=["GET", "POST"])
@login_required
def readiness(review_id):
    """The readiness check before submission: the review's supporting Guardians."""
    review = visible_review(review_id)
    if not can_record_readiness(current_user, review):
        raise NotAllowed()
    mine = next(
        (c for c in queries.readiness_of(review.id) if c.user_id == current_user.id),
        None,
    )
    form = ReadinessForm()
    if mine is not None and not form.is_submitted():
        form.fill(mine)
        form.notes.data = mine.notes
    if form.validate_on_submit():
        done = run_service(
            lambda: surveys.record_readiness(
                current_user, review, form.answers(), form.notes.data, utcnow()
            ),
            success="Your readiness check is saved. The reviewer will see it "
            "beside their own rating.",
            target=url_for("reviews.show", review_id=review.id),
            form=form,
        )
        if done:
            return done
    return render_template(
        "reviews/readiness.html",
        review=review,
        form=form,
        check=mine,
        **_guide_context(),
    )


@bp.route("/assigned")
@permission_required(can_record_reviews)
def home():
    """The reviewer's home: their open reviews by stage and the approved ones
    still waiting for their survey."""
    by_stage, waiting = queries.reviewer_home(current_user.id)
    return render_template("reviews/home.html", by_stage=by_stage, waiting=waiting)


@bp.route("/mine")
@login_required
def mine():
    """The reviews a Guardian supported: scores, feedback, their readiness
    self-rating beside the reviewers' rating, and the trend by quarter."""
    page = paginate(queries.supported_query(current_user.id), per_page=25)
    return render_template(
        "reviews/mine.html",
        page=page,
        rows=queries.with_feedback(page.items, current_user.id),
        overall=queries.guardian_average(current_user.id),
        trend=queries.guardian_trend(current_user.id),
        questions=questions(),
        shows_reviewer=current_app.config["PORTAL_SURVEY_SHOWS_REVIEWER"],
        fraction=scoring.fraction,
    )


@bp.route("/scoring")
@login_required
def scoring_rules():
    """How survey answers become scores; anyone signed in."""
    examples = [
        {
            **example,
            "survey_scores": [scoring.survey_score(s) for s in example["surveys"]],
            "fractions": scoring.question_fractions(example["surveys"]),
            "score": scoring.review_score(example["surveys"]),
        }
        for example in scoring.EXAMPLES
    ]
    return render_template(
        "reviews/scoring.html",
        examples=examples,
        questions=questions(),
        minimum=scoring.minimum_rated(),
        edit_days=current_app.config["PORTAL_SURVEY_EDIT_DAYS"],
        fraction=scoring.fraction,
    )


@bp.route("/guide")
@login_required
def guide():
    """The calibration guide in force and its editions; anyone signed in."""
    editions = queries.guide_editions()
    return render_template("reviews/guide.html", editions=editions, **_guide_context())


@bp.route("/guide/edit", methods=["GET", "POST"])
@permission_required(can_edit_guide)
def edit_guide():
    """Write a new edition of the calibration guide: program managers."""
    form = GuideForm()
    if not form.is_submitted():
        for key, levels in surveys.guide_entries().items():
            for level, text in levels.items():
                form[f"{key}_{level}"].data = text
    if form.validate_on_submit():
        done = run_service(
            lambda: surveys.edit_guide(
                current_user, form.entries(), form.note.data, utcnow()
            ),
            success=lambda e: f"Edition {e.number} of the guide is in force.",
            target=url_for("surveys.guide"),
            form=form,
        )
        if done:
            return done
    return render_template("reviews/guide_edit.html", form=form, questions=questions())


@bp.route("/stuck")
@permission_required(can_run_program)
def stuck():
    """Open reviews that have sat in one stage too long: program managers."""
    days = current_app.config["PORTAL_REVIEW_STUCK_DAYS"]
    page = paginate(queries.stuck_reviews_query(utcnow(), days), per_page=50)
    return render_template("reviews/stuck.html", page=page, days=days, now=utcnow())
