"""Time the key pages on the seeded database and check them against budgets.toml.

    python -m bench.run                       # the SQLite file bench.seed made
    BENCH_DATABASE_URL=postgresql://... python -m bench.run
    python -m bench.run --requests 50 --json results.json

Each page is requested --warmup times, then --requests times, by a signed-in
test client (TESTING config, CSRF off); p50, p95 and max are wall-clock times
of the whole request (routing, queries, template) in milliseconds, and
"stmts" is the number of SQL statements the request sent (transaction
control such as BEGIN and SAVEPOINT not counted). Exits 1 when a p95 is over
its budget or a page does not answer 200.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
import tomllib
from pathlib import Path

from sqlalchemy import event

from bench.common import (
    ADMIN_EMAIL,
    BENCH_PASSWORD,
    ENGINEER_EMAIL,
    GUARDIAN_EMAIL,
    LOW_RANKED_EMAIL,
    PROGRAM_MANAGER_EMAIL,
    REVIEWER_EMAIL,
    bench_config,
    database_url,
    describe,
)
from bench.probes import lookup_targets, time_notify, time_quiz
from portal import create_app
from portal.extensions import db

BUDGETS = Path(__file__).with_name("budgets.toml")
ACCOUNTS = {
    "engineer": ENGINEER_EMAIL,
    "pm": PROGRAM_MANAGER_EMAIL,
    "admin": ADMIN_EMAIL,
    "reviewer": REVIEWER_EMAIL,
    "guardian": GUARDIAN_EMAIL,
    "low-rank": LOW_RANKED_EMAIL,
}
# (page as named in budgets.toml, who requests it)
PAGES = [
    ("/", "engineer"),
    ("/ (program manager)", "pm"),
    ("/training", "engineer"),
    ("/training/modules/{slug}", "engineer"),
    ("/training/progress", "engineer"),
    ("/training/stats", "pm"),
    ("/training/stats/{slug}", "pm"),
    ("/notifications", "engineer"),
    ("/orgs", "engineer"),
    ("/orgs/{org}", "engineer"),
    ("/teams/{team}", "engineer"),
    ("/admin/users", "admin"),
    ("/admin/users?q={name}", "admin"),
    ("/admin/audit", "admin"),
    ("/admin/audit?action={action}", "admin"),
    ("/program/applications", "pm"),
    ("/program/coverage", "pm"),
    ("/program/coverage?uncovered=1", "pm"),
    ("/program/cohorts/{cohort}", "pm"),
    ("/program/cohorts/{cohort}/suggest", "pm"),
    ("/reviews/assigned", "reviewer"),
    ("/reviews/ (reviewer)", "reviewer"),
    ("/reviews/{review}", "reviewer"),
    ("/reviews/{review}/survey", "reviewer"),
    ("/reviews/mine", "guardian"),
    ("/reviews/ (program manager)", "pm"),
    ("/reviews/stuck", "pm"),
    ("/reviews/scoring", "pm"),
    ("/reviews/guide", "pm"),
    # The boards as a Guardian ranked far down: the page of 50 and their own place.
    ("/recognition/leaderboard", "low-rank"),
    ("/recognition/leaderboard?period=all", "low-rank"),
    ("/recognition/leaderboard?board=teams", "low-rank"),
    ("/recognition/leaderboard?board=teams&period=all", "low-rank"),
    ("/recognition/leaderboard?board=orgs", "low-rank"),
    ("/recognition/leaderboard?board=orgs&period=all", "low-rank"),
    ("/recognition/leaderboard?org={org}", "low-rank"),
    ("/recognition/leaderboard/scores", "low-rank"),
    ("/recognition/", "engineer"),
    ("/recognition/people/{guardian}", "guardian"),
    ("/recognition/people/{guardian} (engineer)", "engineer"),
    ("/recognition/people/{guardian}/points", "guardian"),
    ("/recognition/points", "engineer"),
    ("/recognition/awards", "pm"),
]
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """Counts the SQL statements an engine sends, between two reset() calls."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.count += 1

    def reset(self):
        self.count = 0


def summary(name, who, path, millis, statements):
    ordered = sorted(millis)
    return {
        "page": name,
        "who": who,
        "path": path,
        "p50": statistics.median(ordered),
        "p95": ordered[math.ceil(0.95 * len(ordered)) - 1],  # nearest rank
        "max": ordered[-1],
        "statements": max(statements),
        "samples": len(ordered),
    }


def signed_in(app, email):
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"email": email, "password": BENCH_PASSWORD}
    )
    if response.status_code != 302:
        sys.exit(f"Could not sign in as {email}: was the database seeded (bench.seed)?")
    return client


def _get(client, path):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")


def measure(clients, pages, counter, requests, warmup):
    """{page: (milliseconds, statements)}. Pages take turns, round after round,
    so that a burst of load from elsewhere on the machine spreads over all of
    them instead of landing on one."""
    for _ in range(warmup):
        for _name, who, path in pages:
            _get(clients[who], path)
    samples = {name: ([], []) for name, _, _ in pages}
    for _ in range(requests):
        for name, who, path in pages:
            counter.reset()
            started = time.perf_counter()
            _get(clients[who], path)
            samples[name][0].append((time.perf_counter() - started) * 1000)
            samples[name][1].append(counter.count)
    return samples


def machine_load():
    """The 1-minute load average per CPU: above 1, timings are inflated."""
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def check(results, budgets):
    """Print the table; return the names of pages over budget."""
    default = budgets.get("default_p95_ms", 250)
    pages = budgets.get("pages", {})
    over = []
    print(
        f"{'page':<50} {'as':<9} {'p50':>7} {'p95':>7} {'max':>7} {'stmts':>5} "
        f"{'budget':>6}"
    )
    for row in results:
        budget = pages.get(row["page"], default)
        row["budget"] = budget
        flag = "" if row["p95"] <= budget else "  OVER BUDGET"
        if flag:
            over.append(row["page"])
        print(
            f"{row['page']:<50} {row['who']:<9} {row['p50']:7.1f} {row['p95']:7.1f} "
            f"{row['max']:7.1f} {row['statements']:>5} {budget:>6}{flag}"
        )
    return over


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--requests", type=int, default=30, help="timed requests per page"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def main():
    args = arguments()
    url = database_url()
    app = create_app(bench_config(url))
    with app.app_context():
        counter = StatementCounter(db.engine)
        targets = lookup_targets()
    print(
        f"Benchmark on {describe(url)} ({targets['dialect']}): "
        f"{args.requests} requests per page after {args.warmup} warm-up"
    )
    clients = {who: signed_in(app, email) for who, email in ACCOUNTS.items()}
    pages = [(name, who, name.split(" ")[0].format(**targets)) for name, who in PAGES]
    load_before = machine_load()
    samples = measure(clients, pages, counter, args.requests, args.warmup)
    results = [summary(name, who, path, *samples[name]) for name, who, path in pages]
    for name, who, timings in time_quiz(app, counter, args.requests) + time_notify(
        app, counter, args.requests
    ):
        results.append(summary(name, who, "", *zip(*timings, strict=True)))
    load = max(load_before, machine_load())
    over = check(results, tomllib.loads(BUDGETS.read_text()))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"database": targets["dialect"], "load": load, "results": results}
            )
        )
    print(f"\nLoad average per CPU during the run: up to {load:.1f}", end="")
    print(" (busy machine: timings inflated)" if load > 1 else "")
    if over:
        print(f"\n{len(over)} over budget: {', '.join(over)}")
        sys.exit(1)
    print("\nEvery page is within its budget.")


if __name__ == "__main__":
    main()
