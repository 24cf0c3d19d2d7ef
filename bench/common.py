"""What the seeder and the runner share: where the database is, the app config,
the bench accounts and the dataset's size."""

import os
import tempfile
from pathlib import Path

from portal.config import normalise_database_url

# Every seeded account has this password (one argon2 hash, computed once).
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - throwaway benchmark data
ENGINEER_EMAIL = "bench-engineer@example.com"
PROGRAM_MANAGER_EMAIL = "bench-pm@example.com"
ADMIN_EMAIL = "bench-admin@example.com"
# One of the security reviewers and one of the active Guardians, renamed by the
# review seeder: the heaviest reviewer's home and Guardian's "my reviews".
REVIEWER_EMAIL = "bench-reviewer@example.com"
GUARDIAN_EMAIL = "bench-guardian@example.com"
# An active Guardian with a single kudos this week, renamed by the recognition
# seeder: ranked far below the top 50, so the boards look up their own place.
LOW_RANKED_EMAIL = "bench-low-ranked@example.com"

DEFAULT_SQLITE_PATH = Path(tempfile.gettempdir()) / "guardians-bench" / "bench.db"


def database_url():
    """BENCH_DATABASE_URL (PostgreSQL) or a SQLite file in the temp folder."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def scale():
    """BENCH_SCALE multiplies every row count (1.0: the sizes in bench/README)."""
    value = float(os.environ.get("BENCH_SCALE", "1.0"))
    if value <= 0:
        raise SystemExit("BENCH_SCALE must be a positive number")
    return value


def bench_config(url):
    """The test configuration (CSRF off), as tests/conftest.py's test_config."""
    return {
        "TESTING": True,
        "PORTAL_ENV": "test",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-a-benchmark",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "PORTAL_ALLOWED_EMAIL_DOMAINS": ["example.com"],
        "PORTAL_LOAD_DEMO_DATA": False,
        # No wait between quiz attempts, so the runner can submit one straight away.
        "PORTAL_TRAINING_COOLDOWN_MINUTES": 0,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "portal.test",
    }


def describe(url):
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
