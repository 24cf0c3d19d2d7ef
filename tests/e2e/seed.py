"""Data the browser journeys need, written through the portal's own services.

The server fixture runs this with the project's Python against the server's
database (``DATABASE_URL`` in the environment), after `flask db upgrade` and
`flask content sync`:

    python -m tests.e2e.seed setup
    python -m tests.e2e.seed pass-modules EMAIL SLUG [SLUG ...]

``setup`` creates the orgs and teams people sign up into, a program manager,
two colleagues waiting in the application queue, the accounts the security
and keyboard checks sign in with, a security reviewer and a Guardian for the
review journey, and an open cohort that starts today. For the recognition
journey: a second security reviewer, a Guardian whose review that reviewer
approved and has still to rate, two Guardians ahead of them on the board, and
a second program manager.
``pass-modules`` passes modules for someone who signed up in the browser (a
correct quiz attempt each, so their ModuleProgress rows are the real thing):
the newcomer then has only the remaining required modules to pass by hand.
"""

import sys
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal import create_app
from portal.accounts.models import Org, Role, RoleGrant, Seniority, Team, User
from portal.auth.passwords import hash_password
from portal.database import utcnow
from portal.enrollment.cohorts import create_cohort
from portal.enrollment.services import apply
from portal.extensions import db
from portal.recognition.models import AwardKind
from portal.recognition.services import give_kudos, grant_award
from portal.reviews.models import ReviewStage
from portal.reviews.services import create_review, move_review
from portal.training.grading import correct_response
from portal.training.quiz import asked_questions
from portal.training.services import active_module, start_attempt, submit_attempt
from portal.training.standing import TrainingPolicy

PASSWORD = "lantern-harbour-violet-2026"
COHORT = "Autumn 2026"
TEAMS = {
    "Payments": ["Checkout", "Billing"],
    "Platform": ["Identity", "Developer Tools"],
}


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    team: str
    location: str
    seniority: Seniority
    roles: tuple = ()


PROGRAM_MANAGER = Person(
    "pm@example.com",
    "Priya Program",
    "Developer Tools",
    "London",
    Seniority.STAFF,
    (Role.PROGRAM_MANAGER,),
)
APPLICANTS = [
    Person("noah.kim@example.com", "Noah Kim", "Billing", "Seoul", Seniority.JUNIOR),
    Person(
        "sofia.rossi@example.com", "Sofia Rossi", "Identity", "Milan", Seniority.SENIOR
    ),
]
SECURITY_TESTER = Person(
    "erin.engineer@example.com", "Erin Engineer", "Billing", "Lisbon", Seniority.MID
)
THROTTLED = Person(
    "rosa.reviewer@example.com", "Rosa Reviewer", "Identity", "Berlin", Seniority.MID
)
KEYBOARD_USER = Person(
    "kai.keys@example.com", "Kai Keys", "Checkout", "Dublin", Seniority.SENIOR
)
REVIEWER = Person(
    "rae.reviewer@example.com",
    "Rae Reviewer",
    "Developer Tools",
    "Berlin",
    Seniority.SENIOR,
    (Role.SECURITY_REVIEWER,),
)
REVIEW_GUARDIAN = Person(
    "gus.guardian@example.com",
    "Gus Guardian",
    "Billing",
    "Madrid",
    Seniority.SENIOR,
    (Role.GUARDIAN,),
)
RATING_REVIEWER = Person(
    "ravi.rater@example.com",
    "Ravi Rater",
    "Identity",
    "Bangalore",
    Seniority.STAFF,
    (Role.SECURITY_REVIEWER,),
)
BOARD_GUARDIAN = Person(
    "greta.guardian@example.com",
    "Greta Guardian",
    "Checkout",
    "Oslo",
    Seniority.MID,
    (Role.GUARDIAN,),
)
# Ahead of BOARD_GUARDIAN until their review is rated: an award and a kudos
# given before theirs (of two equal totals, the one reached first ranks higher).
RIVALS = [
    Person(
        "hana.helper@example.com",
        "Hana Helper",
        "Identity",
        "Osaka",
        Seniority.SENIOR,
        (Role.GUARDIAN,),
    ),
    Person(
        "omar.ops@example.com",
        "Omar Ops",
        "Developer Tools",
        "Cairo",
        Seniority.MID,
        (Role.GUARDIAN,),
    ),
]
AWARDS_MANAGER = Person(
    "paula.program@example.com",
    "Paula Program",
    "Billing",
    "Paris",
    Seniority.PRINCIPAL,
    (Role.PROGRAM_MANAGER,),
)
RATED_REVIEW = "Card vault tokenisation"
PEOPLE = [
    PROGRAM_MANAGER,
    *APPLICANTS,
    SECURITY_TESTER,
    THROTTLED,
    KEYBOARD_USER,
    REVIEWER,
    REVIEW_GUARDIAN,
    RATING_REVIEWER,
    BOARD_GUARDIAN,
    *RIVALS,
    AWARDS_MANAGER,
]


def setup(now):
    """Teams, people, two applicants in the queue and an open cohort; caller commits."""
    teams = {}
    for org_name, team_names in TEAMS.items():
        org = Org(name=org_name, description=f"The {org_name} organisation.")
        db.session.add(org)
        for team_name in team_names:
            teams[team_name] = Team(org=org, name=team_name, description="")
    password_hash = hash_password(PASSWORD)
    users = {}
    for person in PEOPLE:
        user = User(
            email=person.email,
            display_name=person.name,
            team=teams[person.team],
            location=person.location,
            seniority=person.seniority,
            password_hash=password_hash,
            email_verified_at=now,
            created_at=now,
        )
        user.role_grants = [RoleGrant(role=r, granted_at=now) for r in person.roles]
        db.session.add(user)
        users[person.email] = user
    db.session.flush()
    for person in APPLICANTS:
        user = users[person.email]
        apply(
            user,
            guarded_team_id=user.team_id,
            motivation=f"I would like to help {person.team} ship securely.",
            manager_email=PROGRAM_MANAGER.email,
            hours_per_week=3,
            now=now,
        )
    create_cohort(
        users[PROGRAM_MANAGER.email],
        name=COHORT,
        start_date=now.date(),
        capacity=4,
        due_dates={},
        now=now,
    )
    recognition_setup(users, now)


def recognition_setup(users, now):
    """The rivals' points, then the board Guardian's kudos and their review,
    approved and waiting for the rating reviewer's survey."""
    manager, reviewer = users[AWARDS_MANAGER.email], users[RATING_REVIEWER.email]
    guardian = users[BOARD_GUARDIAN.email]
    first, second = (users[person.email] for person in RIVALS)
    kind = db.session.scalar(
        select(AwardKind).where(AwardKind.name == "Guardian of the Quarter")
    )
    citation = "For the **threat model** of the identity service."
    grant_award(manager, first.email, kind, citation, 40, now)
    give_kudos(manager, second, "Thanks for the fast review prep.", now)
    later = now + timedelta(seconds=1)
    give_kudos(manager, guardian, "Thanks for pairing on the secrets.", later)
    review = create_review(
        reviewer,
        title=RATED_REVIEW,
        team_id=guardian.team_id,
        ticket_url="https://tickets.example.com/SEC-77",
        opened_on=now.date(),
        guardians=guardian.email,
        reviewers=reviewer.email,
        now=now,
    )
    for stage in (
        ReviewStage.GUIDANCE,
        ReviewStage.IMPLEMENTED,
        ReviewStage.SUBMITTED,
        ReviewStage.IN_REVIEW,
        ReviewStage.APPROVED,
    ):
        move_review(reviewer, review, stage, now=now)


def pass_modules(email, slugs, now):
    """Pass each module with a correct attempt, as the quiz service grades it."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise SystemExit(f"No account uses {email}.")
    for slug in slugs:
        module = active_module(slug)
        if module is None:
            raise SystemExit(f"No active module {slug!r}: run `flask content sync`.")
        attempt = start_attempt(
            user, module, now, policy=TrainingPolicy(cooldown_override=0)
        )
        answers = {
            q["id"]: correct_response(q)
            for q in asked_questions(module.current_version, attempt.layout)
        }
        if not submit_attempt(user, attempt, answers, now).passed:
            raise SystemExit(f"The correct answers did not pass {slug}.")


def main(argv):
    command, *args = argv
    app = create_app()
    with app.app_context():
        if command == "setup":
            setup(utcnow())
        elif command == "pass-modules" and len(args) >= 2:
            pass_modules(args[0], args[1:], utcnow())
        else:
            raise SystemExit(__doc__)
        db.session.commit()


if __name__ == "__main__":
    main(sys.argv[1:])
