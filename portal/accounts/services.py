"""Profiles, orgs and teams, roles and account deactivation."""

from sqlalchemy import func, select

from portal.accounts.models import (
    GUARDIAN_BY_PROGRAM,
    Org,
    Role,
    RoleGrant,
    Seniority,
    Team,
    User,
    hand_grant_problem,
)
from portal.accounts.signals import role_granted, role_revoked
from portal.audit.services import record_audit
from portal.auth.passwords import check_password_policy, hash_password
from portal.auth.services import end_all_sessions, find_user_by_email, normalise_email
from portal.errors import DomainError, required_name
from portal.extensions import db
from portal.rendering import render_user_markdown


def update_profile(user, *, display_name, team_id, location, seniority, bio):
    """Change a person's own profile; the bio is stored sanitized."""
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise DomainError("team_id", "Choose a team from the list.")
    user.display_name = required_name(display_name, "display_name")
    user.team_id = team_id
    user.location = location.strip()
    user.seniority = Seniority(seniority) if seniority else None
    user.bio_markdown = bio
    user.bio_html = render_user_markdown(bio)
    return user


def _check_org_name(name, org=None):
    clash = db.session.scalar(select(Org).where(func.lower(Org.name) == name.lower()))
    if clash is not None and clash is not org:
        raise DomainError("name", "Another org already has this name.")


def create_org(actor, *, name, description):
    """Create an org with a unique name; the admin pages and the import."""
    name = required_name(name, "name")
    _check_org_name(name)
    org = Org(name=name, description=description.strip())
    db.session.add(org)
    db.session.flush()
    record_audit(actor, "org.create", "org", org.id, target_name=name)
    return org


def update_org(actor, org, *, name, description):
    """Rename or describe an org; audited as before and after."""
    name = required_name(name, "name")
    _check_org_name(name, org)
    changes = {"name": [org.name, name]} if org.name != name else {}
    org.name, org.description = name, description.strip()
    if changes:
        record_audit(actor, "org.update", "org", org.id, target_name=name, **changes)
    return org


def _check_team_name(org_id, name, team=None):
    clash = db.session.scalar(
        select(Team).where(Team.org_id == org_id, func.lower(Team.name) == name.lower())
    )
    if clash is not None and clash is not team:
        raise DomainError("name", "This org already has a team with this name.")


def create_team(actor, *, org_id, name, description):
    """Create a team in an org, its name unique there."""
    name = required_name(name, "name")
    if db.session.get(Org, org_id) is None:
        raise DomainError("org_id", "Choose an org from the list.")
    _check_team_name(org_id, name)
    team = Team(org_id=org_id, name=name, description=description.strip())
    db.session.add(team)
    db.session.flush()
    record_audit(
        actor,
        "team.create",
        "team",
        team.id,
        target_name=name,
        org=db.session.get(Org, org_id).name,
    )
    return team


def update_team(actor, team, *, org_id, name, description):
    """Rename, describe or move a team; audited as before and after."""
    name = required_name(name, "name")
    if db.session.get(Org, org_id) is None:
        raise DomainError("org_id", "Choose an org from the list.")
    _check_team_name(org_id, name, team)
    changes = {}
    if team.name != name:
        changes["name"] = [team.name, name]
    if team.org_id != org_id:
        changes["org"] = [team.org.name, db.session.get(Org, org_id).name]
    if changes:
        record_audit(actor, "team.update", "team", team.id, target_name=name, **changes)
    team.org_id, team.name, team.description = org_id, name, description.strip()
    return team


def _active_admin_count():
    return db.session.scalar(
        select(func.count())
        .select_from(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.ADMIN, User.active.is_(True))
    )


def grant_role(actor, user, role, now, cause=None):
    """Grant ``role`` (the lifecycle, the import and grant_role_by_hand call this)."""
    if role in user.roles:
        raise DomainError(
            "role", f"{user.display_name} already holds the {role.label} role."
        )
    user.role_grants.append(
        RoleGrant(role=role, granted_by_id=actor.id if actor else None, granted_at=now)
    )
    db.session.flush()
    record_audit(
        actor,
        "role.grant",
        "user",
        user.id,
        target_name=user.display_name,
        caused_by=cause,
        role=role.value,
    )
    role_granted.send(user, user=user, role=role, actor=actor, now=now)


def grant_role_by_hand(actor, user, role, now):
    """An admin grants a role: program manager or admin (see HAND_GRANTED_ROLES)."""
    problem = hand_grant_problem(role)
    if problem:
        raise DomainError("role", problem)
    grant_role(actor, user, role, now)


def revoke_role_by_hand(actor, user, role, now):
    """An admin takes a role away; a Guardian steps down through the program."""
    if role == Role.GUARDIAN:
        raise DomainError("role", GUARDIAN_BY_PROGRAM)
    revoke_role(actor, user, role, now)


def revoke_role(actor, user, role, now, cause=None):
    """Take ``role`` away; the last active admin keeps theirs."""
    grant = next((g for g in user.role_grants if g.role == role), None)
    if grant is None:
        raise DomainError(
            "role", f"{user.display_name} does not hold the {role.label} role."
        )
    if role == Role.ADMIN and user.active and _active_admin_count() <= 1:
        raise DomainError("role", "The portal must keep at least one active admin.")
    user.role_grants.remove(grant)
    db.session.flush()
    record_audit(
        actor, "role.revoke", "user", user.id, caused_by=cause, role=role.value
    )
    role_revoked.send(user, user=user, role=role, actor=actor, now=now)


def deactivate_user(actor, user, now, reason=""):
    """Close an account: it can no longer sign in and its sessions end at once."""
    if not user.active:
        raise DomainError("user", "This account is already deactivated.")
    if user.has_role(Role.ADMIN) and _active_admin_count() <= 1:
        raise DomainError("user", "The portal must keep at least one active admin.")
    user.active = False
    user.deactivated_at = now
    end_all_sessions(user, now)
    record_audit(
        actor,
        "user.deactivate",
        "user",
        user.id,
        target_name=user.display_name,
        reason=reason.strip()[:500],
    )


def reactivate_user(actor, user):
    """Reopen a closed account; admins."""
    if user.active:
        raise DomainError("user", "This account is already active.")
    user.active = True
    user.deactivated_at = None
    record_audit(
        actor, "user.reactivate", "user", user.id, target_name=user.display_name
    )


def create_admin(*, email, display_name, password, now):
    """Create a new admin account (the command line only)."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError("email", "An account already uses this address.")
    display_name = required_name(display_name, "display_name")
    check_password_policy(password, email=email, display_name=display_name)
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(
        None,
        "user.create",
        "user",
        user.id,
        target_name=display_name,
        email=email,
        source="cli",
    )
    make_admin(user, now)
    return user


def make_admin(user, now):
    """Grant admin to an existing account (the command line only); False when it
    was an admin already."""
    if Role.ADMIN in user.roles:
        return False
    grant_role(None, user, Role.ADMIN, now)
    return True
