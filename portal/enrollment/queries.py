"""Read-side queries: the application queue, cohorts, their mix, and coverage."""

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Org, Team, User
from portal.database import contains
from portal.enrollment.diversity import Profile
from portal.enrollment.models import Cohort, CohortDueDate, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.extensions import db
from portal.training.models import Module

SEATED = (S.APPROVED, S.IN_TRAINING, S.CERTIFIED, S.ACTIVE, S.ALUMNI)
QUEUE_LIMIT = 5000


def my_enrollments(user_id):
    return db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == user_id)
        .options(selectinload(Enrollment.events), joinedload(Enrollment.cohort))
        .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
    ).all()


def queue_query(
    *,
    org_id=None,
    team_id=None,
    location=None,
    seniority=None,
    min_hours=None,
    status=S.APPLIED,
):
    """Applications waiting for a decision, oldest first, with filters."""
    query = (
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(Enrollment.status == status)
        .options(
            joinedload(Enrollment.user).joinedload(User.team).joinedload(Team.org),
            joinedload(Enrollment.guarded_team),
        )
        .order_by(Enrollment.created_at, Enrollment.id)
    )
    if org_id:
        query = query.where(Team.org_id == org_id)
    if team_id:
        query = query.where(User.team_id == team_id)
    if location and location.strip():
        query = query.where(contains(User.location, location.strip()))
    if seniority:
        query = query.where(User.seniority == seniority)
    if min_hours:
        query = query.where(Enrollment.hours_per_week >= min_hours)
    return query


def profile(enrollment, order=0):
    user = enrollment.user
    team = user.team
    return Profile(
        enrollment_id=enrollment.id,
        name=user.display_name,
        org=team.org.name if team else "No org",
        team=team.name if team else "No team",
        location=(user.location or "Not given").strip(),
        seniority=user.seniority.label if user.seniority else "Not given",
        applied_order=order,
    )


def cohort_query(cohort_id):
    """One cohort with its due dates' module titles (one query, however many)."""
    return (
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(
            selectinload(Cohort.due_dates)
            .joinedload(CohortDueDate.module)
            .joinedload(Module.current_version)
        )
    )


def cohort_members(cohort_id):
    return db.session.scalars(
        select(Enrollment)
        .where(Enrollment.cohort_id == cohort_id, Enrollment.status.in_(SEATED))
        .options(joinedload(Enrollment.user).joinedload(User.team).joinedload(Team.org))
        .order_by(Enrollment.id)
    ).all()


def queue_profiles(limit=QUEUE_LIMIT):
    applications = db.session.scalars(queue_query().limit(limit)).unique().all()
    return [profile(e, order) for order, e in enumerate(applications)]


def cohorts_with_counts():
    return db.session.scalars(select(Cohort).order_by(Cohort.start_date.desc())).all()


def _active_guardians_by_team():
    """Per guarded team: active Guardians and how many of them are stepping down."""
    return (
        select(
            Enrollment.guarded_team_id.label("team_id"),
            func.count().label("guardians"),
            func.count(Enrollment.steps_down_on).label("stepping_down"),
        )
        .where(Enrollment.status == S.ACTIVE, Enrollment.guarded_team_id.isnot(None))
        .group_by(Enrollment.guarded_team_id)
        .subquery()
    )


def team_coverage_query(org_id=None, show="all"):
    """Teams in org and name order: every team, those with no active Guardian
    ("uncovered"), or those with exactly one ("single", a risk)."""
    query = select(Team).join(Org, Org.id == Team.org_id).options(joinedload(Team.org))
    if org_id:
        query = query.where(Team.org_id == org_id)
    if show == "uncovered":
        guarded = select(Enrollment.guarded_team_id).where(
            Enrollment.status == S.ACTIVE, Enrollment.guarded_team_id.isnot(None)
        )
        query = query.where(Team.id.not_in(guarded))
    elif show == "single":
        guardians = _active_guardians_by_team()
        query = query.join(guardians, guardians.c.team_id == Team.id).where(
            guardians.c.guardians == 1
        )
    return query.order_by(Org.name, Team.name)


def single_guardian_team_count():
    """How many teams rest on one active Guardian."""
    guardians = _active_guardians_by_team()
    return db.session.scalar(
        select(func.count()).select_from(guardians).where(guardians.c.guardians == 1)
    )


def coverage_counts(team_ids):
    """{team id: (active Guardians, stepping down, active engineers)} for a page."""
    guardians = dict(
        (team_id, (count, stepping))
        for team_id, count, stepping in db.session.execute(
            select(
                Enrollment.guarded_team_id,
                func.count(),
                func.count(Enrollment.steps_down_on),
            )
            .where(
                Enrollment.status == S.ACTIVE, Enrollment.guarded_team_id.in_(team_ids)
            )
            .group_by(Enrollment.guarded_team_id)
        )
    )
    engineers = dict(
        db.session.execute(
            select(User.team_id, func.count())
            .where(User.active.is_(True), User.team_id.in_(team_ids))
            .group_by(User.team_id)
        ).all()
    )
    return {
        team_id: (*guardians.get(team_id, (0, 0)), engineers.get(team_id, 0))
        for team_id in team_ids
    }


def flagged_teams():
    """Teams whose every active Guardian is stepping down."""
    guardians = _active_guardians_by_team()
    return db.session.execute(
        select(Team, guardians.c.guardians)
        .join(guardians, guardians.c.team_id == Team.id)
        .where(guardians.c.guardians == guardians.c.stepping_down)
        .options(joinedload(Team.org))
        .order_by(Team.name)
    ).all()


def org_ratios(default_target):
    """Per org: active engineers, active Guardians, engineers per Guardian, and
    the org's target (``default_target`` unless the org sets its own)."""
    engineers = (
        select(Team.org_id.label("org_id"), func.count(User.id).label("engineers"))
        .join(User, and_(User.team_id == Team.id, User.active.is_(True)))
        .group_by(Team.org_id)
        .subquery()
    )
    guardians = (
        select(
            Team.org_id.label("org_id"), func.count(Enrollment.id).label("guardians")
        )
        .join(Enrollment, Enrollment.guarded_team_id == Team.id)
        .where(Enrollment.status == S.ACTIVE)
        .group_by(Team.org_id)
        .subquery()
    )
    teams = (
        select(Team.org_id.label("org_id"), func.count(Team.id).label("teams"))
        .group_by(Team.org_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Org,
            func.coalesce(engineers.c.engineers, 0),
            func.coalesce(guardians.c.guardians, 0),
            func.coalesce(teams.c.teams, 0),
        )
        .outerjoin(engineers, engineers.c.org_id == Org.id)
        .outerjoin(guardians, guardians.c.org_id == Org.id)
        .outerjoin(teams, teams.c.org_id == Org.id)
        .order_by(Org.name)
    ).all()
    return [
        {
            "org": org,
            "engineers": e,
            "guardians": g,
            "teams": t,
            "ratio": (e / g) if g else None,
            "target": org.guardian_ratio_target or default_target,
            "own_target": org.guardian_ratio_target is not None,
        }
        for org, e, g, t in rows
    ]


def team_guardians(team_id):
    """Active Guardians who guard this team (for the team page)."""
    return db.session.scalars(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.guarded_team_id == team_id, Enrollment.status == S.ACTIVE)
        .order_by(User.display_name)
    ).all()
