"""Import people and teams from CSV: every row or none.

Columns (header row required; order free): ``email``, ``display_name``,
``org``, ``team``, ``location``, ``seniority``, ``roles`` (separated by ``;``).
A row with an org and team but no email only creates the team. A known email
updates that person; roles are added, never removed.
"""

import csv
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from portal.accounts.models import Org, Role, Seniority, Team, User, hand_grant_problem
from portal.accounts.services import grant_role
from portal.audit.services import record_audit
from portal.extensions import db
from portal.text import name_problem, normalise_name

COLUMNS = ("email", "display_name", "org", "team", "location", "seniority", "roles")
REQUIRED_COLUMNS = {"email", "display_name"}


@dataclass
class ImportProblem:
    line: int
    column: str
    message: str

    def __str__(self):
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, problems):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ImportSummary:
    users_created: int = 0
    users_updated: int = 0
    teams_created: int = 0
    roles_granted: int = 0
    orgs_created: list = field(default_factory=list)


def _parse_row(line, row, allowed_domains, seen_emails):
    problems, parsed = [], {k: (row.get(k) or "").strip() for k in COLUMNS}
    # Names are checked as they will be stored: normalised first (NFKC can
    # lengthen text), then measured.
    for column in ("display_name", "org", "team"):
        if name_problem(parsed[column]):
            problems.append(
                ImportProblem(
                    line, column, "holds a line break, control or invisible character"
                )
            )
        parsed[column] = normalise_name(parsed[column])
    if parsed["email"]:
        try:
            parsed["email"] = validate_email(
                parsed["email"], check_deliverability=False
            ).normalized.lower()
        except EmailNotValidError as error:
            problems.append(ImportProblem(line, "email", str(error)))
        else:
            if parsed["email"].rpartition("@")[2] not in allowed_domains:
                problems.append(ImportProblem(line, "email", "domain is not allowed"))
            if parsed["email"] in seen_emails:
                problems.append(
                    ImportProblem(
                        line,
                        "email",
                        f"already given on line {seen_emails[parsed['email']]}",
                    )
                )
            seen_emails.setdefault(parsed["email"], line)
        if not parsed["display_name"]:
            problems.append(ImportProblem(line, "display_name", "is required"))
        elif len(parsed["display_name"]) > 100:
            problems.append(
                ImportProblem(line, "display_name", "is over 100 characters")
            )
    elif not (parsed["org"] and parsed["team"]):
        problems.append(
            ImportProblem(line, "email", "is required (or give org and team)")
        )
    if bool(parsed["org"]) != bool(parsed["team"]):
        column = "team" if parsed["org"] else "org"
        problems.append(ImportProblem(line, column, "org and team go together"))
    for column in ("org", "team", "location"):
        if len(parsed[column]) > 100:
            problems.append(ImportProblem(line, column, "is over 100 characters"))
    values = {s.value for s in Seniority}
    if parsed["seniority"] and parsed["seniority"].lower() not in values:
        problems.append(
            ImportProblem(
                line,
                "seniority",
                f"'{parsed['seniority']}' is not one of {', '.join(sorted(values))}",
            )
        )
    roles = [r.strip().lower() for r in parsed["roles"].split(";") if r.strip()]
    known = {r.value for r in Role}
    for role in roles:
        if role not in known:
            problems.append(
                ImportProblem(
                    line, "roles", f"'{role}' is not one of {', '.join(sorted(known))}"
                )
            )
        elif hand_grant_problem(Role(role)):
            problems.append(
                ImportProblem(
                    line, "roles", f"{role}: {hand_grant_problem(Role(role))}"
                )
            )
    parsed["roles"] = [Role(r) for r in roles if r in known]
    return parsed, problems


def read_rows(stream, allowed_domains):
    """Parse and check every row; raise ImportFailed listing every problem."""
    reader = csv.DictReader(stream)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = REQUIRED_COLUMNS - set(header)
    unknown = set(header) - set(COLUMNS)
    problems = [ImportProblem(1, c, "column is missing") for c in sorted(missing)]
    problems += [ImportProblem(1, c, "column is not known") for c in sorted(unknown)]
    if problems:
        raise ImportFailed(problems)
    reader.fieldnames = header
    rows, seen = [], {}
    for row in reader:
        if None in row:
            problems.append(
                ImportProblem(reader.line_num, "-", "has more cells than the header")
            )
            continue
        parsed, row_problems = _parse_row(reader.line_num, row, allowed_domains, seen)
        problems += row_problems
        rows.append(parsed)
    if problems:
        raise ImportFailed(problems)
    return rows


def _team_for(org_name, team_name, summary):
    # Names match whatever their case, as in the admin forms, so a file never
    # creates "payments" next to "Payments".
    org = db.session.scalar(select(Org).where(func.lower(Org.name) == org_name.lower()))
    if org is None:
        org = Org(name=org_name, description="")
        db.session.add(org)
        db.session.flush()
        summary.orgs_created.append(org_name)
    team = db.session.scalar(
        select(Team).where(
            Team.org_id == org.id, func.lower(Team.name) == team_name.lower()
        )
    )
    if team is None:
        team = Team(org_id=org.id, name=team_name, description="")
        db.session.add(team)
        db.session.flush()
        summary.teams_created += 1
    return team


def import_accounts(actor, stream, allowed_domains, now):
    """Apply a CSV file to the database; the caller commits or rolls back."""
    rows = read_rows(stream, allowed_domains)
    summary = ImportSummary()
    for row in rows:
        team = _team_for(row["org"], row["team"], summary) if row["team"] else None
        if not row["email"]:
            continue
        user = db.session.scalar(select(User).where(User.email == row["email"]))
        if user is None:
            user = User(
                email=row["email"], display_name=row["display_name"], created_at=now
            )
            db.session.add(user)
            summary.users_created += 1
        else:
            user.display_name = row["display_name"]
            summary.users_updated += 1
        if team is not None:
            user.team = team
        if row["location"]:
            user.location = row["location"]
        if row["seniority"]:
            user.seniority = Seniority(row["seniority"].lower())
        db.session.flush()
        for role in row["roles"]:
            if role not in user.roles:
                grant_role(actor, user, role, now)
                summary.roles_granted += 1
    record_audit(
        actor,
        "accounts.import",
        "import",
        now.isoformat(),
        target_name="people file",
        users_created=summary.users_created,
        users_updated=summary.users_updated,
        teams_created=summary.teams_created,
        roles_granted=summary.roles_granted,
    )
    return summary
