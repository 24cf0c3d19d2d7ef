"""Bulk-load a large, realistic dataset for the benchmark (`make bench`).

    python -m bench.seed             # a fresh SQLite file in the temp folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench_tmp python -m bench.seed
    BENCH_SCALE=0.1 python -m bench.seed     # a tenth of every size

The schema comes from the migrations (as `flask db upgrade`), the training
modules from content/modules (as `flask content sync`); everything else is
inserted with SQLAlchemy Core executemany in batches.
"""

import random
import sys
import time
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

from bench.common import (
    ADMIN_EMAIL,
    BENCH_PASSWORD,
    DEFAULT_SQLITE_PATH,
    ENGINEER_EMAIL,
    PROGRAM_MANAGER_EMAIL,
    bench_config,
    database_url,
    describe,
    scale,
)
from bench.loader import Loader
from bench.seed_activity import seed_audit, seed_notifications, seed_preferences
from bench.seed_program import seed_program
from bench.seed_recognition import seed_recognition
from bench.seed_reviews import seed_reviews
from bench.seed_training import load_modules, seed_training
from portal import create_app
from portal.accounts.models import Org, Role, RoleGrant, Seniority, Team, User
from portal.auth.passwords import hash_password
from portal.config import PROJECT_ROOT
from portal.database import utcnow
from portal.enrollment.models import EnrollmentStatus as S
from portal.extensions import db
from portal.training.sync import sync_content

SIZES = {
    "orgs": 30,
    "teams": 2_000,
    "users": 40_000,
    "guardians": 4_000,
    "attempts": 25_000,
    "enrollments": 6_000,
    "cohorts": 20,
    "notifications": 100_000,
    "engineer_notifications": 3_000,
    "audit_events": 50_000,
    "reviews": 50_000,
}
ORG_WORDS = [
    "Payments", "Platform", "Consumer", "Identity", "Data", "Search", "Mobile",
    "Cloud", "Infrastructure", "Marketplace", "Logistics", "Ads", "Security",
    "Finance", "People", "Growth", "Messaging", "Media", "Maps", "Devices", "Health",
    "Travel", "Commerce", "Enterprise", "Developer", "Analytics", "Support",
    "Research", "Payroll", "Risk",
]  # fmt: skip
TEAM_WORDS = [
    "Checkout", "Billing", "Fraud", "Ledger", "Gateway", "Accounts", "Login",
    "Sessions", "Catalog", "Pricing", "Orders", "Shipping", "Inventory", "Ranking",
    "Indexing", "Ingest", "Pipelines", "Storage", "Compute", "Network", "Edge",
    "Observability", "Release", "Tooling", "Frontend", "Backend", "Android", "iOS",
    "Web", "Notifications", "Recommendations", "Experiments", "Reporting",
    "Compliance", "Onboarding",
]  # fmt: skip
FIRST = [
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia",
    "Tim", "Frances", "Donald", "Hedy", "Edsger", "Katherine", "John", "Sophie",
    "Guido", "Anita", "Bjarne", "Mary", "Niklaus", "Lynn", "Vint", "Shafi",
    "Whitfield", "Dorothy", "Leslie", "Carol", "Fernando", "Priya", "Marcus", "Rosa",
    "Eli", "Amara", "Kenji", "Ingrid", "Tomas", "Leila", "Omar", "Yuki", "Chen",
    "Fatima", "Diego", "Nadia", "Pavel", "Aisha", "Lars", "Mei", "Rahul", "Zofia",
    "Kwame", "Elena", "Hiroshi", "Olga", "Mateo", "Sara", "Ivan", "Noor", "Felix",
]  # fmt: skip
LAST = [
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov",
    "Thompson", "Perlman", "Berners", "Allen", "Knuth", "Lamarr", "Dijkstra",
    "Johnson", "McCarthy", "Wilson", "Rossum", "Borg", "Stroustrup", "Shaw", "Wirth",
    "Conway", "Cerf", "Goldwasser", "Diffie", "Denning", "Lamport", "Shaw",
    "Corbato", "Sharma", "Garcia", "Nguyen", "Okafor", "Tanaka", "Larsen", "Novak",
    "Haddad", "Khan", "Sato", "Wang", "Ali", "Fernandez", "Ivanova", "Kowalski",
    "Mensah", "Petrova", "Rossi", "Silva", "Kim", "Patel", "Muller", "Costa",
    "Jensen", "Moreau", "Ortiz", "Nakamura", "Schmidt", "Yilmaz", "Dubois",
]  # fmt: skip
LOCATIONS = [
    ("London", 14), ("Berlin", 10), ("Dublin", 8), ("Lisbon", 6), ("Amsterdam", 7),
    ("New York", 12), ("San Francisco", 11), ("Toronto", 5), ("Bangalore", 12),
    ("Singapore", 6), ("Tokyo", 4), ("Sydney", 3), ("", 2),
]  # fmt: skip
SENIORITY = [
    (Seniority.JUNIOR, 20), (Seniority.MID, 35), (Seniority.SENIOR, 28),
    (Seniority.STAFF, 10), (Seniority.PRINCIPAL, 3), (None, 4),
]  # fmt: skip


# Enrollment statuses whose people take the whole curriculum.
KEEN = (S.ACTIVE, S.CERTIFIED, S.ALUMNI, S.IN_TRAINING)


def sized(name, factor, minimum=1):
    return max(minimum, round(SIZES[name] * factor))


def _orgs_and_teams(loader, rng, now, org_count, team_count):
    orgs = [
        {
            "id": i + 1,
            "name": ORG_WORDS[i] if i < len(ORG_WORDS) else f"Division {i + 1}",
            "description": "",
            "created_at": now - timedelta(days=900),
        }
        for i in range(org_count)
    ]
    # A few large orgs and a long tail, as in a real company.
    weights = [1 / (i + 1) ** 0.8 for i in range(org_count)]
    owners = list(range(1, org_count + 1))
    owners += rng.choices(owners, weights, k=max(0, team_count - org_count))
    teams = [
        {
            "id": i + 1,
            "org_id": org_id,
            "name": f"{rng.choice(TEAM_WORDS)} {i + 1}",
            "description": "",
            "created_at": now - timedelta(days=rng.randint(30, 900)),
        }
        for i, org_id in enumerate(owners)
    ]
    loader.insert(Org, orgs)
    loader.insert(Team, teams)
    return teams


def _user(rng, now, number, team_id, password_hash, email=None, name=None):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    active = rng.random() > 0.03
    row = {
        "id": number,
        "email": email or f"{first}.{last}.{number}@example.com".lower(),
        "display_name": name or f"{first} {last}",
        "password_hash": password_hash,
        "team_id": team_id,
        "location": rng.choices(*zip(*LOCATIONS, strict=True))[0],
        "seniority": rng.choices(*zip(*SENIORITY, strict=True))[0],
        "bio_markdown": "",
        "bio_html": "",
        "active": active or email is not None,
        "session_version": 1,
        "last_login_at": now - timedelta(hours=rng.randint(1, 2000)),
        "deactivated_at": None if active or email else now - timedelta(days=30),
        "created_at": now - timedelta(days=rng.randint(1, 1000)),
    }
    # Everyone confirmed their address on sign-up (a pending account cannot sign in).
    row["email_verified_at"] = row["created_at"]
    return row


def _users(loader, rng, now, teams, count):
    """Bench accounts first (ids 1-3), then people spread over teams of varied size."""
    password_hash = hash_password(BENCH_PASSWORD)  # once: argon2 is slow on purpose
    team_weights = [rng.lognormvariate(0, 0.7) for _ in teams]
    team_ids = rng.choices([t["id"] for t in teams], team_weights, k=count)
    bench = [
        (ENGINEER_EMAIL, "Benny Engineer"),
        (PROGRAM_MANAGER_EMAIL, "Penny Program"),
        (ADMIN_EMAIL, "Addy Admin"),
    ]
    users = [
        _user(rng, now, i + 1, team_ids[i], password_hash, email, name)
        for i, (email, name) in enumerate(bench)
    ]
    for number in range(len(bench) + 1, count + 1):
        team_id = team_ids[number - 1] if rng.random() > 0.02 else None
        users.append(_user(rng, now, number, team_id, password_hash))
    loader.insert(User, users)
    return users


def _roles(loader, rng, now, people, guardians, admin_ids, pm_ids, guardian_count):
    """Guardian grants for active Guardians, topped up to ``guardian_count``;
    returns the security reviewers."""
    chosen = list(dict.fromkeys(guardians))[:guardian_count]
    taken = set(chosen)
    others = [u["id"] for u in people if u["id"] not in taken]
    chosen += rng.sample(others, max(0, guardian_count - len(chosen)))
    grants = {(user_id, Role.GUARDIAN) for user_id in chosen}
    grants |= {
        (user_id, Role.MENTOR) for user_id in rng.sample(chosen, len(chosen) // 12)
    }
    reviewers = rng.sample(others, len(chosen) // 60)
    grants |= {(u, Role.SECURITY_REVIEWER) for u in reviewers}
    grants |= {(user_id, Role.ADMIN) for user_id in admin_ids}
    grants |= {(user_id, Role.PROGRAM_MANAGER) for user_id in pm_ids}
    loader.insert(
        RoleGrant,
        (
            {
                "user_id": user_id,
                "role": role,
                "granted_by_id": admin_ids[0],
                "granted_at": now - timedelta(days=rng.randint(1, 700)),
            }
            for user_id, role in sorted(grants, key=lambda g: (g[0], g[1].value))
        ),
    )
    return reviewers


def fresh_database(url):
    """Delete the SQLite file, or refuse a PostgreSQL database that has tables."""
    if url.startswith("sqlite"):
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            DEFAULT_SQLITE_PATH.with_name(DEFAULT_SQLITE_PATH.name + suffix).unlink(
                missing_ok=True
            )
        return
    engine = create_engine(url)
    try:
        if inspect(engine).get_table_names():
            sys.exit(
                f"{describe(url)} is not empty; the seeder only fills a new database."
            )
    finally:
        engine.dispose()


def _curriculum():
    """Sync content/modules as `flask content sync` does; the modules as dicts."""
    sync_content(PROJECT_ROOT / "content" / "modules")
    db.session.commit()
    modules = load_modules()
    db.session.close()  # on SQLite its transaction holds the write lock
    return modules


def _staff(rng, users):
    """Admins and program managers (the bench ones first), and everyone else."""
    people = [u for u in users[3:] if u["active"]]
    staff = rng.sample(people, 13)
    admin_ids = [3] + [u["id"] for u in staff[:5]]
    pm_ids = [2] + [u["id"] for u in staff[5:]]
    taken = set(admin_ids + pm_ids)
    return admin_ids, pm_ids, [u for u in people if u["id"] not in taken]


def _activity(loader, rng, now, factor, users, actor_ids):
    recipients = [u["id"] for u in users if u["active"]]
    seed_notifications(
        loader, rng, now, recipients,
        total=sized("notifications", factor, 100), engineer_id=1,
        engineer_share=sized("engineer_notifications", factor, 50),
    )  # fmt: skip
    audit_total = sized("audit_events", factor, 100)
    seed_audit(loader, rng, now, audit_total, actor_ids, len(users))
    seed_preferences(loader, rng, recipients)


def seed(factor):
    """Every table, in dependency order; returns the loader with its counts."""
    rng, now = random.Random(2026), utcnow()  # noqa: S311 - repeatable data
    loader = Loader(db.engine)
    org_count, team_count = sized("orgs", factor, 2), sized("teams", factor, 4)
    teams = _orgs_and_teams(loader, rng, now, org_count, team_count)
    users = _users(loader, rng, now, teams, sized("users", factor, 200))
    modules = _curriculum()
    admin_ids, pm_ids, people = _staff(rng, users)
    by_status = seed_program(
        loader, rng, now, total=sized("enrollments", factor, 50),
        cohort_count=sized("cohorts", factor, 2), people=people, pm_id=2,
        required=[m["id"] for m in modules if m["required"]],
    )  # fmt: skip
    guardians = sized("guardians", factor, 10)
    reviewers = _roles(
        loader, rng, now, people, by_status[S.ACTIVE], admin_ids, pm_ids, guardians
    )
    keen = [u for s in KEEN for u in by_status[s]]
    seed_training(
        loader, rng, now, modules, attempts=sized("attempts", factor, 50), keen=keen,
        casual=[u["id"] for u in rng.sample(people, len(people) // 4)], engineer_id=1,
    )  # fmt: skip
    _activity(loader, rng, now, factor, users, admin_ids + pm_ids)
    # A generator of its own: the tables above stay as they were before reviews.
    review_rng = random.Random(2027)  # noqa: S311 - repeatable data
    seed_reviews(
        loader, review_rng, now, total=sized("reviews", factor, 100), factor=factor,
        users=users, active_guardians=by_status[S.ACTIVE], reviewer_ids=reviewers,
        pm_id=2,
    )  # fmt: skip
    # After reviews and training: the ledger is built from their rows.
    recognition_rng = random.Random(2028)  # noqa: S311 - repeatable data
    seed_recognition(
        loader, recognition_rng, now, factor=factor, modules=modules, pm_id=2
    )
    loader.finish()
    return loader


def main():
    url, factor = database_url(), scale()
    fresh_database(url)
    print(f"Seeding {describe(url)} at scale {factor} ...", flush=True)
    started = time.perf_counter()
    app = create_app(bench_config(url))
    with app.app_context():
        upgrade()
        schema_seconds = time.perf_counter() - started
        loader = seed(factor)
        db.session.remove()
        db.engine.dispose()
    total = time.perf_counter() - started
    for table, count in sorted(loader.counts.items()):
        print(f"  {table:<26} {count:>9,} rows  {loader.seconds[table]:6.2f} s")
    print(f"  schema (flask db upgrade) {schema_seconds:.1f} s")
    print(f"Seeded {sum(loader.counts.values()):,} rows in {total:.1f} s.")


if __name__ == "__main__":
    main()
