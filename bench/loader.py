"""Bulk inserts with SQLAlchemy Core: one executemany per batch, no ORM objects."""

import time
from collections import Counter

from sqlalchemy import insert, inspect, text

BATCH = 5_000


def chunks(rows, size):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Loader:
    """Inserts rows (dicts with the same keys) into a model's table, in batches."""

    def __init__(self, engine):
        self.engine = engine
        self.counts = Counter()
        self.seconds = Counter()

    def insert(self, model, rows):
        table = model.__table__
        started = time.perf_counter()
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "sqlite":
                # A large page cache keeps index inserts off the disk while loading.
                connection.exec_driver_sql("PRAGMA cache_size = -262144")
            for chunk in chunks(rows, BATCH):
                connection.execute(insert(table), chunk)
                self.counts[table.name] += len(chunk)
        self.seconds[table.name] += time.perf_counter() - started

    def finish(self):
        """On PostgreSQL: move id sequences past the ids given explicitly, then
        VACUUM ANALYZE as autovacuum would on a live server (SQLite is left as the
        portal leaves it: the portal never runs ANALYZE there)."""
        if self.engine.dialect.name != "postgresql":
            return
        names = inspect(self.engine).get_table_names()
        with self.engine.begin() as connection:
            for name in names:
                columns = {c["name"] for c in inspect(connection).get_columns(name)}
                if "id" in columns:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - our table names
                            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                        )
                    )
        with self.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE"))
