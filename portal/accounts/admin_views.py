"""Admin pages: people and their roles, orgs and teams."""

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user

from portal.accounts import queries, services
from portal.accounts.forms import (
    DeactivateForm,
    OrgForm,
    RoleForm,
    TeamForm,
    UserSearchForm,
)
from portal.accounts.models import Org, Role, Team, User
from portal.auth.forms import PostOnlyForm
from portal.auth.permissions import can_manage_accounts, permission_required
from portal.database import utcnow
from portal.extensions import db
from portal.web import id_argument, paginate, run_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@permission_required(can_manage_accounts)
def require_admin():
    """Every page here is for admins only."""


@bp.route("/users")
def users():
    """People, searchable and filtered by role; admins only."""
    form = UserSearchForm()
    filters = (
        (form.q.data, form.role.data or None, form.status.data)
        if form.validate()
        else (None, None, None)
    )
    page = paginate(queries.users_query(*filters), per_page=50)
    return render_template("admin/users.html", form=form, page=page), form.status_code


@bp.route("/users/<int:user_id>")
def user(user_id):
    """One person's roles and account, with the ways to change them; admins only."""
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/user.html",
        person=user,
        role_form=RoleForm().offer_hand_granted_roles(),
        deactivate_form=DeactivateForm(),
    )


def _apply(user_id, action, success):
    """Run an account change for the user, then go back to their admin page.

    ``success`` is a function of the person's name (people's text never passes
    through ``str.format``).
    """
    user = db.get_or_404(User, user_id)
    return run_service(
        lambda: action(user),
        success=success(user.display_name),
        target=url_for("admin.user", user_id=user_id),
    )


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def grant_role(user_id):
    """Grant a role by hand (program manager or admin); admins only."""
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = Role(form.role.data)
    return _apply(
        user_id,
        lambda u: services.grant_role_by_hand(current_user, u, role, utcnow()),
        lambda name: f"{name} now holds the {role.label} role.",
    )


@bp.route("/users/<int:user_id>/roles/<role>/revoke", methods=["POST"])
def revoke_role(user_id, role):
    """Take a role away; admins only (a Guardian steps down through the program)."""
    if not PostOnlyForm().validate_on_submit() or role not in {r.value for r in Role}:
        abort(400)
    role = Role(role)
    return _apply(
        user_id,
        lambda u: services.revoke_role_by_hand(current_user, u, role, utcnow()),
        lambda name: f"{name} no longer holds the {role.label} role.",
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id):
    """Close a person's account and end their sessions; admins only."""
    form = DeactivateForm()
    if not form.validate_on_submit():
        abort(400)
    return _apply(
        user_id,
        lambda u: services.deactivate_user(
            current_user, u, utcnow(), form.reason.data or ""
        ),
        lambda name: f"{name}'s account is deactivated and signed out everywhere.",
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id):
    """Reopen a closed account; admins only."""
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    return _apply(
        user_id,
        lambda u: services.reactivate_user(current_user, u),
        lambda name: f"{name}'s account is active again.",
    )


@bp.route("/orgs/new", methods=["GET", "POST"])
@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
def edit_org(org_id=None):
    """Create or edit an org; admins only."""
    org = db.get_or_404(Org, org_id) if org_id else None
    form = OrgForm(obj=org)
    if form.validate_on_submit():
        fields = {"name": form.name.data, "description": form.description.data or ""}
        done = run_service(
            lambda: (
                services.create_org(current_user, **fields)
                if org is None
                else services.update_org(current_user, org, **fields)
            ),
            success=lambda saved: f"Org {saved.name} is saved.",
            target=lambda saved: url_for("accounts.org", org_id=saved.id),
            form=form,
        )
        if done:
            return done
    return render_template("admin/org_form.html", form=form, org=org)


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
def edit_team(team_id=None):
    """Create or edit a team; admins only."""
    team = db.get_or_404(Team, team_id) if team_id else None
    form = TeamForm(obj=team)
    form.org_id.choices = queries.org_choices()
    if team is None and not form.is_submitted() and id_argument("org_id"):
        form.org_id.data = id_argument("org_id")
    if form.validate_on_submit():
        fields = {
            "org_id": form.org_id.data,
            "name": form.name.data,
            "description": form.description.data or "",
        }
        done = run_service(
            lambda: (
                services.create_team(current_user, **fields)
                if team is None
                else services.update_team(current_user, team, **fields)
            ),
            success=lambda saved: f"Team {saved.name} is saved.",
            target=lambda saved: url_for("accounts.team", team_id=saved.id),
            form=form,
        )
        if done:
            return done
    return render_template("admin/team_form.html", form=form, team=team)
