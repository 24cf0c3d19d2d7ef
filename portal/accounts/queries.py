"""Read-side helpers shared by the accounts pages and forms."""

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from portal.accounts.models import Org, RoleGrant, Team, User
from portal.database import contains
from portal.extensions import db

NO_TEAM = 0


def team_choices(include_none=True, org_id=None):
    """Teams grouped by org (only ``org_id``'s when given), as select optgroups."""
    query = select(Team.id, Team.name, Org.name).join(Org).order_by(Org.name, Team.name)
    if org_id:
        query = query.where(Team.org_id == org_id)
    rows = db.session.execute(query).all()
    choices = {"": [(NO_TEAM, "No team yet")]} if include_none else {}
    for team_id, team_name, org_name in rows:
        choices.setdefault(org_name, []).append((team_id, team_name))
    return choices


def org_choices():
    return [(o.id, o.name) for o in db.session.scalars(select(Org).order_by(Org.name))]


def team_id_or_none(value):
    return None if value in (None, NO_TEAM) else value


def orgs_with_counts():
    """Every org with its number of teams and active members, counted in SQL."""
    team_counts = (
        select(Team.org_id, func.count(Team.id).label("teams"))
        .group_by(Team.org_id)
        .subquery()
    )
    member_counts = (
        select(Team.org_id, func.count(User.id).label("members"))
        .join(User, User.team_id == Team.id)
        .where(User.active.is_(True))
        .group_by(Team.org_id)
        .subquery()
    )
    return db.session.execute(
        select(
            Org,
            func.coalesce(team_counts.c.teams, 0),
            func.coalesce(member_counts.c.members, 0),
        )
        .outerjoin(team_counts, team_counts.c.org_id == Org.id)
        .outerjoin(member_counts, member_counts.c.org_id == Org.id)
        .order_by(Org.name)
    ).all()


def teams_with_member_counts(org_id):
    return db.session.execute(
        select(Team, func.count(User.id))
        .outerjoin(User, (User.team_id == Team.id) & User.active.is_(True))
        .where(Team.org_id == org_id)
        .group_by(Team.id)
        .order_by(Team.name)
    ).all()


def org_members_query(org_id):
    """Active members of an org's teams, for a paginated list."""
    return (
        select(User)
        .join(Team, User.team_id == Team.id)
        .where(Team.org_id == org_id, User.active.is_(True))
        .options(contains_eager(User.team))
        .order_by(User.display_name, User.id)
    )


def team_members(team_id):
    """Active members of a team with their role grants loaded in one go."""
    return db.session.scalars(
        select(User)
        .where(User.team_id == team_id, User.active.is_(True))
        .order_by(User.display_name)
    ).all()


def users_query(q=None, role=None, status=None):
    """People for the admin list, with the team each row shows loaded in one go."""
    query = (
        select(User)
        .options(selectinload(User.team))
        .order_by(User.display_name, User.id)
    )
    if q:
        query = query.where(
            contains(User.display_name, q.strip()) | contains(User.email, q.strip())
        )
    if role:
        query = query.where(
            User.id.in_(select(RoleGrant.user_id).where(RoleGrant.role == role))
        )
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    return query
