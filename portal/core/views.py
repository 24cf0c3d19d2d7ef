"""The start page and the health check."""

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from portal.auth.permissions import can_run_program
from portal.database import utcnow
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.enrollment.services import open_enrollment
from portal.extensions import csrf, db, limiter
from portal.reviews.permissions import can_record_reviews
from portal.reviews.queries import surveys_waiting_count
from portal.training.queries import module_rows, valid_certificate
from portal.training.standing import TrainingPolicy

bp = Blueprint("core", __name__)


@bp.route("/")
def index():
    """Landing page for visitors; for people signed in, where they stand."""
    if not current_user.is_authenticated:
        return render_template("core/landing.html")
    now = utcnow()
    rows = module_rows(
        current_user.id, now, TrainingPolicy.from_config(current_app.config)
    )
    required = [r for r in rows if r.module.required]
    waiting = None
    if can_run_program(current_user):
        waiting = db.session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.status == EnrollmentStatus.APPLIED)
        )
    return render_template(
        "core/home.html",
        required_total=len(required),
        required_passed=sum(r.status == "passed" for r in required),
        next_module=_next_module(rows),
        renewals=sum(r.renewal_due for r in required),
        certificate=valid_certificate(current_user.id, now),
        enrollment=open_enrollment(current_user.id),
        applications_waiting=waiting,
        surveys_waiting=surveys_waiting_count(current_user.id)
        if can_record_reviews(current_user)
        else None,
    )


def _next_module(rows):
    return next((r for r in rows if r.status not in ("passed", "locked")), None)


@bp.route("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
