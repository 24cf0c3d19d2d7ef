"""The notification page, the bell's count, and email preferences."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts.models import User
from portal.auth.forms import PostOnlyForm
from portal.database import utcnow
from portal.extensions import db
from portal.mail.links import password_fingerprint, read_preferences_token
from portal.notifications import services
from portal.notifications.forms import (
    chosen_deliveries,
    chosen_reductions,
    preferences_form,
    unsubscribe_form,
)
from portal.security import safe_next
from portal.web import paginate, run_service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def unread_notification_count():
    """For the bell in the navigation: one COUNT per request, when signed in."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = services.unread_count(current_user.id)
    return g.unread_notifications


@bp.route("")
@login_required
def index():
    """One's own notifications, paginated; anyone signed in."""
    page = paginate(services.notifications_query(current_user.id), per_page=25)
    return render_template("notifications/index.html", page=page)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id):
    """Mark one's own notification read and go to what it is about."""
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    notification = services.mark_read(current_user, notification_id, utcnow())
    if notification is None:
        abort(404)
    db.session.commit()
    return redirect(safe_next(notification.link, url_for("notifications.index")))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark all of one's notifications read."""
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    count = services.mark_all_read(current_user, utcnow())
    db.session.commit()
    flash(f"{count} notification(s) marked as read.", "success")
    return redirect(url_for("notifications.index"))


def _save_preferences(user, form):
    services.set_preferences(user, chosen_deliveries(form))
    db.session.commit()
    flash("Your email preferences are saved.", "success")


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Choose, per kind, how notifications reach one's inbox."""
    form = preferences_form(services.preferences_for(current_user.id))
    if form.validate_on_submit():
        _save_preferences(current_user, form)
        return redirect(url_for("notifications.preferences"))
    return render_template(
        "notifications/preferences.html", form=form, person=current_user
    )


@bp.route("/email/<token>", methods=["GET", "POST"])
def email_preferences(token):
    """Reached from the link in every email without signing in: it only turns
    email down, for the person the live, signed token names."""
    user = _preferences_link_owner(token)
    current = services.preferences_for(user.id)
    form = unsubscribe_form(current)
    if form.validate_on_submit():
        done = run_service(
            lambda: services.turn_down_email(user, chosen_reductions(form), current),
            success="Your email preferences are saved.",
            target=url_for("notifications.email_preferences", token=token),
            form=form,
        )
        if done:
            return done
    return render_template("notifications/unsubscribe.html", form=form)


def _preferences_link_owner(token):
    """The active person a live preferences link names; 404 for a forged,
    expired link or one made before their password last changed."""
    found = read_preferences_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None or not user.active or password_fingerprint(user) != found[1]:
        abort(404)
    return user
