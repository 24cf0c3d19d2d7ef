"""Demo data for a laptop: orgs, teams and people in every role, and their history.

Loaded by `flask demo seed` (which `make run` calls) only into an empty
database and never when PORTAL_ENV=production.
"""

from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.accounts.models import Org, Role, RoleGrant, Seniority, Team, User
from portal.audit.services import record_audit
from portal.auth.passwords import hash_password
from portal.database import utcnow
from portal.demo.recognition import seed_recognition
from portal.demo.reviews import seed_reviews
from portal.demo.training import add_learners, seed_training
from portal.enrollment.cohorts import create_cohort
from portal.enrollment.services import apply, place_in_cohort
from portal.extensions import db
from portal.notifications.services import notify
from portal.rendering import render_user_markdown

demo_cli = AppGroup("demo", help="Demo data for trying the portal locally.")

DEMO_PASSWORD = "guardians-demo-2026"  # noqa: S105 - printed for local demos only

ORGS = {
    "Payments": ["Checkout", "Billing", "Fraud Detection"],
    "Platform": ["Identity", "Developer Tools", "Data Infrastructure"],
    "Consumer": ["Mobile App", "Web Storefront", "Search"],
}

# email, name, (org, team), location, seniority, roles, bio
DEMO_ACCOUNTS = [
    (
        "engineer@example.com",
        "Eli Engineer",
        ("Consumer", "Mobile App"),
        "Lisbon",
        Seniority.MID,
        [],
        "Android engineer, curious about threat modeling.",
    ),
    (
        "guardian@example.com",
        "Grace Guardian",
        ("Payments", "Checkout"),
        "Dublin",
        Seniority.SENIOR,
        [Role.GUARDIAN],
        "Guardian for **Checkout** since the pilot.",
    ),
    (
        "mentor@example.com",
        "Marcus Mentor",
        ("Platform", "Identity"),
        "Seattle",
        Seniority.STAFF,
        [Role.GUARDIAN],
        "Identity and access management. Happy to mentor new Guardians.",
    ),
    (
        "reviewer@example.com",
        "Rosa Reviewer",
        ("Platform", "Developer Tools"),
        "Berlin",
        Seniority.SENIOR,
        [Role.SECURITY_REVIEWER],
        "Application security reviewer.",
    ),
    (
        "pm@example.com",
        "Priya Program",
        ("Platform", "Developer Tools"),
        "London",
        Seniority.STAFF,
        [Role.PROGRAM_MANAGER],
        "Runs the Guardians program.",
    ),
    (
        "admin@example.com",
        "Alex Admin",
        ("Platform", "Identity"),
        "Remote",
        Seniority.SENIOR,
        [Role.ADMIN],
        "Portal administrator.",
    ),
]

COLLEAGUES = [
    ("Noah Kim", "Payments", "Billing", "Seoul", Seniority.JUNIOR),
    ("Amara Okafor", "Payments", "Fraud Detection", "Lagos", Seniority.SENIOR),
    ("Lucas Moreau", "Payments", "Checkout", "Paris", Seniority.MID),
    ("Sofia Rossi", "Platform", "Data Infrastructure", "Milan", Seniority.PRINCIPAL),
    ("Kenji Sato", "Platform", "Identity", "Tokyo", Seniority.MID),
    ("Fatima Haddad", "Consumer", "Web Storefront", "Amman", Seniority.JUNIOR),
    ("Diego Alvarez", "Consumer", "Search", "Mexico City", Seniority.SENIOR),
    ("Hannah Schmidt", "Consumer", "Mobile App", "Berlin", Seniority.STAFF),
    ("Arjun Mehta", "Platform", "Developer Tools", "Bangalore", Seniority.MID),
    ("Chloe Martin", "Consumer", "Search", "Montreal", Seniority.JUNIOR),
]
# Rosa's fellow security reviewers: a review may have two.
COLLEAGUE_ROLES = {
    "Hannah Schmidt": [Role.SECURITY_REVIEWER],
    "Arjun Mehta": [Role.SECURITY_REVIEWER],
}


def database_is_empty():
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def seed_demo_data(now):
    """Create the demo orgs, teams and people; the caller commits."""
    teams = {}
    for org_name, team_names in ORGS.items():
        org = Org(name=org_name, description=f"The {org_name} organisation.")
        db.session.add(org)
        for team_name in team_names:
            teams[(org_name, team_name)] = Team(org=org, name=team_name, description="")
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, team_key, location, seniority, roles, bio in DEMO_ACCOUNTS:
        user = User(
            email=email,
            display_name=name,
            team=teams[team_key],
            location=location,
            seniority=seniority,
            bio_markdown=bio,
            bio_html=render_user_markdown(bio),
            password_hash=password_hash,
            email_verified_at=now,
            created_at=now,
        )
        user.role_grants = [RoleGrant(role=role, granted_at=now) for role in roles]
        db.session.add(user)
    for name, org_name, team_name, location, seniority in COLLEAGUES:
        email = name.lower().replace(" ", ".") + "@example.com"
        db.session.add(
            User(
                email=email,
                display_name=name,
                team=teams[(org_name, team_name)],
                location=location,
                seniority=seniority,
                password_hash=password_hash,
                email_verified_at=now,
                created_at=now,
                role_grants=[
                    RoleGrant(role=role, granted_at=now)
                    for role in COLLEAGUE_ROLES.get(name, [])
                ],
            )
        )
    db.session.flush()
    add_learners(now, password_hash)
    db.session.flush()
    _seed_notifications(now)
    seed_training(now, [name for name, *_ in COLLEAGUES])
    _seed_enrollment(now)
    seed_reviews(now)
    seed_recognition(now)
    record_audit(
        None,
        "demo.seed",
        "database",
        "demo",
        target_name="demo data",
        accounts=len(DEMO_ACCOUNTS),
    )


def _seed_notifications(now):
    """Notifications so the bell, the page and the digest have something to show."""
    people = {u.email: u for u in db.session.scalars(select(User))}
    for email, *_ in DEMO_ACCOUNTS:
        user = people[email]
        notify(
            user,
            "welcome",
            "Welcome to the Guardians Portal! Complete your profile.",
            now=now,
            link="/profile",
        )
        for role in user.roles:
            notify(
                user,
                "roles",
                f"You now hold the {role.label} role.",
                now=now,
                link=f"/people/{user.id}",
            )
    engineer = people["engineer@example.com"]
    for colleague in (
        "hannah.schmidt@example.com",
        "fatima.haddad@example.com",
        "chloe.martin@example.com",
    ):
        notify(
            engineer,
            "welcome",
            f"{people[colleague].display_name} joined the portal.",
            title_many="{count} colleagues joined the portal.",
            group_key="joined",
            now=now,
            link="/orgs",
        )


APPLICANTS = [
    ("noah.kim@example.com", 2),
    ("amara.okafor@example.com", 4),
    ("lucas.moreau@example.com", 3),
    ("sofia.rossi@example.com", 2),
    ("diego.alvarez@example.com", 3),
    ("chloe.martin@example.com", 2),
    ("kenji.sato@example.com", 4),
]


def _seed_enrollment(now):
    """A pilot cohort with the demo Guardians, an open cohort, and a queue."""
    people = {u.email: u for u in db.session.scalars(select(User))}
    pm = people["pm@example.com"]
    pilot = create_cohort(
        pm,
        name="Pilot 2026",
        start_date=date(2026, 3, 2),
        capacity=10,
        due_dates={},
        now=now,
    )
    create_cohort(
        pm,
        name="Winter 2027",
        start_date=now.date() + timedelta(days=14),
        capacity=4,
        due_dates={},
        now=now,
    )
    for email in ("guardian@example.com", "mentor@example.com"):
        person = people[email]
        enrollment = apply(
            person,
            guarded_team_id=person.team_id,
            now=now,
            hours_per_week=3,
            motivation="Pilot Guardian for my team since the program began.",
            manager_email="pm@example.com",
        )
        place_in_cohort(pm, enrollment, pilot, now)
    for email, hours in APPLICANTS:
        person = people[email]
        apply(
            person,
            guarded_team_id=person.team_id,
            now=now,
            hours_per_week=hours,
            motivation=f"I would like to help {person.team.name} ship securely.",
            manager_email="pm@example.com",
        )


@demo_cli.command("seed")
def seed_command():
    """Load demo data into an empty database and print the demo logins."""
    if not current_app.config["PORTAL_LOAD_DEMO_DATA"]:
        click.echo(
            "Demo data is off here (PORTAL_ENV=production or PORTAL_LOAD_DEMO_DATA=0)."
        )
        return
    if database_is_empty():
        seed_demo_data(utcnow())
        db.session.commit()
        click.echo("Demo data loaded.")
    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for email, name, _, _, _, roles, _ in DEMO_ACCOUNTS:
        role_names = ", ".join(r.label for r in roles) or "Engineer"
        click.echo(f"  {email:<24} {name:<16} {role_names}")
    click.echo()
