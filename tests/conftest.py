"""Shared fixtures: the app on SQLite (default) or PostgreSQL, clients, factories.

Set PORTAL_TEST_DATABASE_URL to run the whole suite on PostgreSQL; if it is set
and the server cannot be reached, the run fails instead of skipping.
"""

import os

import pytest
from sqlalchemy import create_engine, text

from portal import create_app
from portal.accounts.models import Org, Role, RoleGrant, Team, User
from portal.auth.passwords import hash_password
from portal.config import normalise_database_url
from portal.database import utcnow
from portal.extensions import db as _db
from portal.extensions import limiter
from tests.helpers import PASSWORD, IsolatedRequestsClient, test_config

POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")


def database_url(tmp_path_factory):
    if POSTGRES_URL:
        url = normalise_database_url(POSTGRES_URL)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means no database
            pytest.exit(f"PORTAL_TEST_DATABASE_URL is set but unreachable: {error}", 3)
        finally:
            engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.db'}"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    return database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _schema(db_url):
    app = create_app(test_config(db_url))
    with app.app_context():
        _db.drop_all()
        _drop_alembic_version()
        _db.create_all()
    yield
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _drop_alembic_version():
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def clean_tables():
    """Empty every table (DELETE is much quicker than TRUNCATE on small tables)."""
    _db.session.rollback()
    _db.session.remove()
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as connection:
        # Keys that close a cycle (use_alter) are cleared first so rows can go.
        for table in tables:
            for key in table.foreign_keys:
                if key.use_alter or key.constraint.use_alter:
                    connection.execute(table.update().values({key.parent.name: None}))
        for table in tables:
            connection.execute(table.delete())


@pytest.fixture
def app_factory(db_url, _schema):
    """Make an app with config overrides; tables are emptied after the test."""
    apps = []

    def make(**overrides):
        app = create_app(test_config(db_url, **overrides))
        app.test_client_class = IsolatedRequestsClient
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            clean_tables()
            limiter.reset()
            _db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_org(db):
    counter = iter(range(1, 10_000))

    def make(name=None):
        org = Org(name=name or f"Org {next(counter)}", description="")
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_team(db, make_org):
    counter = iter(range(1, 10_000))

    def make(name=None, org=None):
        team = Team(
            org=org or make_org(), name=name or f"Team {next(counter)}", description=""
        )
        db.session.add(team)
        db.session.commit()
        return team

    return make


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 100_000))
    password_hash = hash_password(PASSWORD)

    def make(email=None, roles=(), team=None, active=True, name=None, **fields):
        number = next(counter)
        user = User(
            email=email or f"person{number}@example.com",
            display_name=name or f"Person {number}",
            password_hash=password_hash,
            team=team,
            active=active,
            created_at=utcnow(),
            **{"email_verified_at": utcnow(), **fields},
        )
        user.role_grants = [RoleGrant(role=Role(r), granted_at=utcnow()) for r in roles]
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def engineer(make_user, make_team):
    return make_user(
        email="engineer@example.com", name="Eli Engineer", team=make_team()
    )


@pytest.fixture
def intruder(make_user, make_team):
    """A signed-up colleague with no roles who tries what they should not."""
    return make_user(
        email="intruder@example.com", name="Ivan Intruder", team=make_team()
    )


@pytest.fixture
def program_manager(make_user):
    return make_user(
        email="pm@example.com", name="Pat Manager", roles=["program_manager"]
    )


@pytest.fixture
def guardian(make_user, make_team):
    return make_user(
        email="guardian@example.com",
        name="Gia Guardian",
        roles=["guardian"],
        team=make_team(),
    )


@pytest.fixture
def mentor(make_user):
    """Holds a role the portal does not use yet: must act as an engineer."""
    return make_user(email="mentor@example.com", name="Max Mentor", roles=["mentor"])


@pytest.fixture
def reviewer(make_user):
    return make_user(
        email="reviewer@example.com", name="Rae Reviewer", roles=["security_reviewer"]
    )


@pytest.fixture
def admin(make_user):
    return make_user(email="admin@example.com", name="Ada Admin", roles=["admin"])
