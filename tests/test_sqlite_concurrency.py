"""Concurrent writers on a SQLite file wait for each other instead of failing.

SQLite-only by nature: it always uses a SQLite file of its own, also when the
rest of the suite runs on PostgreSQL.
"""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.accounts.models import Org, Team
from portal.extensions import db
from tests.helpers import test_config as portal_test_config

THREADS = 4
WRITES_PER_THREAD = 50


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(portal_test_config(f"sqlite:///{tmp_path / 'concurrency.db'}"))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _write(app, thread_number, write_number, counter_user_id):
    """One request's worth of work: read a counter, bump it, insert a row."""
    with app.app_context():
        counter = db.session.get(Org, counter_user_id)
        counter.guardian_ratio_target = counter.guardian_ratio_target + 1
        db.session.add(Org(name=f"Org {thread_number}-{write_number}", description=""))
        db.session.commit()


def test_concurrent_writers_neither_fail_nor_lose_updates(sqlite_app):
    with sqlite_app.app_context():
        counter = Org(name="Counter", description="", guardian_ratio_target=1)
        db.session.add(counter)
        db.session.commit()
        counter_id = counter.id
    start = threading.Barrier(THREADS)
    errors = []

    def worker(thread_number):
        start.wait()
        for write_number in range(WRITES_PER_THREAD):
            try:
                _write(sqlite_app, thread_number, write_number, counter_id)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"

    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Org)) == 1 + 200
        # Every read-then-update saw the previous commit: no update was lost.
        assert db.session.get(Org, counter_id).guardian_ratio_target == 1 + 200


def test_engine_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_app):
    with sqlite_app.app_context():
        with db.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() > 0

        db.session.add(Team(org_id=9999, name="Orphans", description=""))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            db.session.commit()
        db.session.rollback()
