"""Create or drop the throwaway PostgreSQL database the benchmark runs on.

    python -m bench.pgdb create     # drops a leftover one first
    python -m bench.pgdb drop

BENCH_POSTGRES_SERVER (default postgresql://postgres@127.0.0.1) names the
server and BENCH_POSTGRES_DATABASE (default bench_tmp) the database, which
must start with "bench_" so that this never drops anything else.
"""

import os
import re
import sys

import psycopg
from psycopg import sql

SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1")
DATABASE = os.environ.get("BENCH_POSTGRES_DATABASE", "bench_tmp")


def main():
    action = sys.argv[1] if len(sys.argv) == 2 else ""
    if action not in ("create", "drop"):
        sys.exit("usage: python -m bench.pgdb create|drop")
    if not re.fullmatch(r"bench_\w+", DATABASE):
        sys.exit(f"refusing database name {DATABASE!r}: it must start with bench_")
    try:
        connection = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    except psycopg.OperationalError as error:
        sys.exit(
            f"PostgreSQL at {SERVER} is unreachable ({error}); "
            "run `make bench-sqlite` for SQLite only."
        )
    with connection:
        name = sql.Identifier(DATABASE)
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name)
        )
        if action == "create":
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    print(f"{'Created' if action == 'create' else 'Dropped'} database {DATABASE}.")


if __name__ == "__main__":
    main()
