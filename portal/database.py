"""Database helpers: UTC time, timestamp columns and SQLite settings."""

import sqlite3
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import DateTime, Enum, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow():
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def enum_column(enum_class, name):
    """A portable enum column: a string with a CHECK constraint on both databases."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def contains(column, text):
    """``column`` holds ``text`` anywhere, ignoring case; % and _ are literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite keeps no offset, so values read back are naive; this type makes
    both databases return aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def append_only(model, error):
    """Make ``model``'s rows append-only in the ORM: changing or deleting one,
    or many in bulk (which skips the mapper events), raises ``error``. The
    table's migration adds triggers that refuse it in plain SQL too."""
    message = f"{model.__tablename__} rows cannot be changed or deleted"

    def refuse(mapper, connection, target):
        raise error(message)

    def refuse_bulk(orm_execute_state):
        if (orm_execute_state.is_update or orm_execute_state.is_delete) and (
            orm_execute_state.bind_mapper is model.__mapper__
        ):
            raise error(message)

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)
    event.listen(Session, "do_orm_execute", refuse_bulk)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """WAL for concurrent readers, enforced foreign keys, waiting on locks.

    Autocommit mode on the driver lets SQLAlchemy emit BEGIN itself (below).
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_only_reads():
    """Whether this transaction belongs to a request that changes nothing."""
    return has_request_context() and request.method in SAFE_METHODS


@event.listens_for(Engine, "begin")
def _begin_on_sqlite(connection):
    """Take SQLite's write lock when a writing transaction starts.

    A deferred transaction that reads and then writes fails with "database is
    locked" when another writer got in between; an immediate one waits for the
    busy timeout instead. Pages that only read (GET and HEAD requests) begin
    deferred, so they never queue behind a writer or make one wait; a
    connection opened with ``execution_options(portal_writes=True)`` always
    writes.
    """
    if connection.dialect.name != "sqlite":
        return
    writes = connection.get_execution_options().get("portal_writes")
    if writes or not request_only_reads():
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def end_read_only_transaction(session):
    """End a transaction that has only read, before slow work (a password hash
    or check) that must not hold SQLite's write lock or a PostgreSQL
    transaction open. Pending writes are a programming error, not committed."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_only_transaction() with unflushed changes")
    session.commit()
