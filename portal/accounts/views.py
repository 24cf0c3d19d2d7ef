"""Profiles and the org/team directory, for signed-in colleagues."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from portal.accounts import queries, services
from portal.accounts.forms import DeactivateForm, ProfileForm
from portal.accounts.models import Org, Team, User
from portal.auth.permissions import can_view_directory, permission_required
from portal.database import utcnow
from portal.extensions import db
from portal.web import paginate, run_service

bp = Blueprint("accounts", __name__)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """View and edit one's own profile."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    form.team_id.choices = queries.team_choices()
    if not form.is_submitted():
        form.bio.data = user.bio_markdown
        form.team_id.data = user.team_id or queries.NO_TEAM
        form.seniority.data = user.seniority.value if user.seniority else ""
    if form.validate_on_submit():
        done = run_service(
            lambda: services.update_profile(
                user,
                display_name=form.display_name.data,
                team_id=queries.team_id_or_none(form.team_id.data),
                location=form.location.data or "",
                seniority=form.seniority.data,
                bio=form.bio.data or "",
            ),
            success="Your profile is saved.",
            target=url_for("accounts.profile"),
            form=form,
        )
        if done:
            return done
    return render_template(
        "accounts/profile_edit.html", form=form, user=user, close_form=DeactivateForm()
    )


@bp.route("/profile/close", methods=["POST"])
@login_required
def close_account():
    """Deactivate one's own account (an admin can reactivate it)."""
    form = DeactivateForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.profile"))
    response = run_service(
        lambda: services.deactivate_user(
            user, user, utcnow(), reason=form.reason.data or "closed by owner"
        ),
        success="Your account is closed. An admin can reopen it if you change "
        "your mind.",
        target=url_for("auth.login"),
        error_target=url_for("accounts.profile"),
    )
    if not user.active:
        logout_user()
    return response


@bp.route("/people/<int:user_id>")
@permission_required(can_view_directory)
def person(user_id):
    """A colleague's public profile; anyone signed in."""
    user = db.get_or_404(User, user_id)
    return render_template("accounts/person.html", person=user)


@bp.route("/orgs")
@permission_required(can_view_directory)
def orgs():
    """Every org with its teams and head counts; anyone signed in."""
    return render_template("accounts/orgs.html", rows=queries.orgs_with_counts())


@bp.route("/orgs/<int:org_id>")
@permission_required(can_view_directory)
def org(org_id):
    """One org, its teams and its people, paginated; anyone signed in."""
    org = db.get_or_404(Org, org_id)
    members = paginate(queries.org_members_query(org.id), per_page=50)
    return render_template(
        "accounts/org.html",
        org=org,
        teams=queries.teams_with_member_counts(org.id),
        members=members,
    )


@bp.route("/teams/<int:team_id>")
@permission_required(can_view_directory)
def team(team_id):
    """One team, its members and its Guardians; anyone signed in."""
    team = db.get_or_404(Team, team_id)
    return render_template(
        "accounts/team.html", team=team, members=queries.team_members(team.id)
    )
