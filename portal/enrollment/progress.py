"""A cohort's training progress: people × required modules, sortable, as CSV too."""

from dataclasses import dataclass

from portal.training.queries import required_modules, standings_for

SORTS = {
    "name": lambda row: (row.person.display_name.lower(), row.person.id),
    "team": lambda row: (row.team_name.lower(), row.person.display_name.lower()),
    "passed": lambda row: (-row.passed, row.person.display_name.lower()),
    "overdue": lambda row: (-row.overdue, row.person.display_name.lower()),
}


@dataclass
class ProgressRow:
    enrollment: object
    cells: list  # one Standing per module, in the modules' order
    overdue: int
    passed: int

    @property
    def person(self):
        return self.enrollment.user

    @property
    def team_name(self):
        team = self.person.team
        return team.full_name if team else ""


def cohort_progress(members, now, policy, sort="name"):
    """The required modules and one ProgressRow per member, sorted by ``sort``."""
    modules = required_modules()
    matrix = standings_for([m.user_id for m in members], modules, now, policy)
    today = now.date()
    rows = []
    for enrollment in members:
        cells = [matrix[enrollment.user_id][m.id] for m in modules]
        rows.append(
            ProgressRow(
                enrollment=enrollment,
                cells=cells,
                overdue=sum(cell.overdue(today) for cell in cells),
                passed=sum(cell.status == "passed" for cell in cells),
            )
        )
    rows.sort(key=SORTS.get(sort, SORTS["name"]))
    return modules, rows


def cell_text(cell, today):
    """A matrix cell in words, for the CSV and for screen readers."""
    if cell.status == "passed":
        text = f"Passed {cell.passed_at:%Y-%m-%d}" if cell.passed_at else "Passed"
    elif cell.attempts_used:
        text = f"{cell.status_label} ({cell.attempts_used}/{cell.attempts_allowed})"
    else:
        text = cell.status_label
    if cell.overdue(today):
        text += f", overdue since {cell.due_on:%Y-%m-%d}"
    elif cell.due_on and cell.status != "passed":
        text += f", due {cell.due_on:%Y-%m-%d}"
    return text
