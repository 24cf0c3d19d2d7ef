"""Migrations upgrade from empty on both databases, and models and migrations agree.

Each backend gets a database of its own (a temp SQLite file, or a temporary
PostgreSQL database next to the suite's one), so the tables the rest of the
suite uses are never touched.
"""

import logging
import uuid
from contextlib import contextmanager

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text

from portal import create_app
from portal.config import PROJECT_ROOT, normalise_database_url
from portal.extensions import db
from tests.conftest import POSTGRES_URL
from tests.helpers import test_config as portal_test_config

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@contextmanager
def _temporary_postgres_database():
    """CREATE a throwaway database on the suite's server, DROP it afterwards."""
    server_url = make_url(normalise_database_url(POSTGRES_URL))
    name = f"portal_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        server_url.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(
                    text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        with _temporary_postgres_database() as url:
            yield url


@pytest.fixture(autouse=True)
def _keep_logging_config():
    """migrations/env.py calls logging.config.fileConfig, which disables every
    logger that exists (such as portal.mail) and replaces the root handlers;
    undo that so later tests in this process still see log records."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [
        lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = [
        (lg, lg.level, lg.disabled, lg.propagate, list(lg.handlers)) for lg in loggers
    ]
    yield
    for lg in manager.loggerDict.values():
        if isinstance(lg, logging.Logger):
            lg.disabled = False
    for lg, level, disabled, propagate, handlers in saved:
        lg.setLevel(level)
        lg.disabled = disabled
        lg.propagate = propagate
        lg.handlers[:] = handlers


def _head_revision():
    config = flask_migrate.Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _schema_differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables():
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _current_revision():
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_upgrade_from_empty_and_match_the_models(empty_database_url):
    app = create_app(portal_test_config(empty_database_url))
    model_tables = set(db.metadata.tables)
    with app.app_context():
        try:
            assert _tables() == set()

            flask_migrate.upgrade()
            assert _current_revision() == _head_revision()
            assert _tables() == model_tables | {"alembic_version"}
            assert _schema_differences() == []

            flask_migrate.downgrade(revision="base")
            assert _tables() <= {"alembic_version"}
            assert _current_revision() is None

            flask_migrate.upgrade()
            assert _current_revision() == _head_revision()
            assert _schema_differences() == []

            # The comparison does see drift: a column no model declares.
            with db.engine.begin() as connection:
                connection.execute(text("ALTER TABLE orgs ADD COLUMN stray INTEGER"))
            drift = _schema_differences()
            assert [(d[0], d[2], d[3].name) for d in drift] == [
                ("remove_column", "orgs", "stray")
            ]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_audit_log_refuses_update_and_delete_in_plain_sql(empty_database_url):
    app = create_app(portal_test_config(empty_database_url))
    with app.app_context():
        try:
            flask_migrate.upgrade()
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO audit_events (created_at, action, target_type, "
                        "target_id, details, ip) VALUES (CURRENT_TIMESTAMP, "
                        "'role.grant', 'user', '1', '{}', '')"
                    )
                )
            for statement in (
                "UPDATE audit_events SET action = 'forged'",
                "DELETE FROM audit_events",
            ):
                with (
                    pytest.raises(Exception, match="append-only"),
                    db.engine.begin() as connection,
                ):
                    connection.execute(text(statement))
            with db.engine.connect() as connection:
                rows = connection.execute(text("SELECT action FROM audit_events"))
                assert [row[0] for row in rows] == ["role.grant"]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_points_ledger_refuses_update_and_delete_in_plain_sql(
    empty_database_url,
):
    app = create_app(portal_test_config(empty_database_url))
    with app.app_context():
        try:
            flask_migrate.upgrade()
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO users (email, display_name, location, "
                        "bio_markdown, bio_html, active, created_at) VALUES "
                        "('gia@example.com', 'Gia', '', '', '', :yes, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"yes": True},
                )
                connection.execute(
                    text(
                        "INSERT INTO points_entries (user_id, source_kind, "
                        "source_id, revision, points, capped, ranked, reason, "
                        "created_at) SELECT id, 'award', '1', 0, 100, :no, :yes, "
                        "'An award', CURRENT_TIMESTAMP FROM users"
                    ),
                    {"no": False, "yes": True},
                )
            for statement in (
                "UPDATE points_entries SET points = 1000",
                "DELETE FROM points_entries",
            ):
                with (
                    pytest.raises(Exception, match="append-only"),
                    db.engine.begin() as connection,
                ):
                    connection.execute(text(statement))
            with db.engine.connect() as connection:
                rows = connection.execute(text("SELECT points FROM points_entries"))
                assert [row[0] for row in rows] == [100]
        finally:
            db.session.remove()
            db.engine.dispose()
