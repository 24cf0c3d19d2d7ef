"""The "Signed-in devices" page: each live session, and ending one or all."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
)
from flask_login import current_user, login_required, logout_user

from portal.auth import signin
from portal.auth.forms import PostOnlyForm
from portal.auth.models import UserSession
from portal.auth.permissions import can_manage_session
from portal.auth.sessions import browser_label, live_sessions
from portal.database import utcnow
from portal.extensions import db
from portal.web import run_service

bp = Blueprint("devices", __name__, url_prefix="/profile/devices")


@bp.route("")
@login_required
def index():
    """The signed-in person's live sessions, this one marked."""
    rows = live_sessions(current_user, utcnow(), current_app.config)
    return render_template(
        "auth/devices.html",
        devices=[(row, browser_label(row.user_agent)) for row in rows],
        current_id=current_user.current_session_id,
    )


@bp.route("/<int:session_id>/revoke", methods=["POST"])
@login_required
def revoke(session_id):
    """End one of one's own sessions; another person's is not found."""
    row = db.session.get(UserSession, session_id)
    if row is None or not can_manage_session(current_user, row):
        abort(404)
    PostOnlyForm()
    if row.id == current_user.current_session_id:
        return _sign_out_here()
    return run_service(
        lambda: signin.revoke_device(current_user, row, utcnow()),
        success="That device is signed out.",
        target="/profile/devices",
    )


@bp.route("/revoke-all", methods=["POST"])
@login_required
def revoke_all():
    """Sign out everywhere, this browser included."""
    PostOnlyForm()
    count = signin.sign_out_everywhere(current_user, utcnow())
    db.session.commit()
    _end_cookie_session()
    flash(f"Signed out of {count} device(s), this one included.", "info")
    return redirect("/auth/login")


def _sign_out_here():
    signin.end_session(current_user.current_session_id, utcnow())
    db.session.commit()
    _end_cookie_session()
    flash("You are signed out.", "info")
    return redirect("/auth/login")


def _end_cookie_session():
    session.clear()
    logout_user()
