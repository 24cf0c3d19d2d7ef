"""What everything is worth: the one table the ledger and the "How points
work" page (/recognition/points) both read, and the periods boards cover.

A feature that adds a source of points adds a row here and calls
``portal.recognition.ledger.record_points`` once per event.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Source:
    kind: str
    label: str
    points: int
    # How many entries of this kind earn points per person and ISO week (UTC,
    # from Monday); None for no cap.
    weekly_cap: int | None
    how: str


# A rated review earns between these, in proportion to its survey score
# (0-100); a review whose answers are all n/a earns REVIEW_BASE.
REVIEW_POOR = 10
REVIEW_EXCELLENT = 60
REVIEW_BASE = 20

SOURCES = {
    source.kind: source
    for source in [
        Source(
            "review_rated",
            "A security review you supported is rated",
            REVIEW_BASE,
            10,
            f"From {REVIEW_POOR} (every answer the lowest) to {REVIEW_EXCELLENT} "
            f"(every answer the highest), in proportion to the review's survey "
            f"score; {REVIEW_BASE} when every answer is n/a. A reviewer's later "
            "edit to their survey corrects the points.",
        ),
        Source(
            "certified",
            "Certified as a Guardian",
            100,
            None,
            "Once, for the first certificate. A revoked certificate takes the "
            "points back.",
        ),
        Source(
            "recertified",
            "Re-certified",
            50,
            None,
            "For each renewed certificate. A revoked one takes the points back.",
        ),
        Source(
            "module_passed",
            "A training module passed",
            10,
            10,
            "Once per module, the first time you pass it. The whole required "
            "curriculum fits in one week's cap.",
        ),
        Source(
            "kudos_received",
            "Kudos from a colleague",
            5,
            5,
            "Anyone may thank a Guardian a few times a month; never themselves.",
        ),
        Source(
            "award",
            "An award from the program",
            0,
            None,
            "What the program manager sets when granting it (often nothing: the "
            "award is the honour). A revoked award takes the points back.",
        ),
    ]
}


def source(kind):
    """The row of ``kind``; an unknown kind is a programming error."""
    return SOURCES[kind]


def review_points(score):
    """What a rated review earns its Guardian: ``score`` 0-100, or None when
    every answer was n/a. Whole points, halves rounded up."""
    if score is None:
        return REVIEW_BASE
    exact = REVIEW_POOR + (REVIEW_EXCELLENT - REVIEW_POOR) * score / 100
    return int(exact + 0.5)


# Hand-worked examples for the page and its tests: (score, points).
REVIEW_EXAMPLES = [(100.0, 60), (81.25, 51), (50.0, 35), (0.0, 10), (None, 20)]


# Periods: boards cover this quarter, this year or all time (UTC calendar).
PERIODS = {"quarter": "This quarter", "year": "This year", "all": "All time"}


def quarter_key(moment):
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def period_keys(moment):
    """The totals an entry made at ``moment`` adds to."""
    return {"quarter": quarter_key(moment), "year": str(moment.year), "all": "all"}


def period_start(period, moment):
    """When the ``period`` ("quarter", "year", "all") holding ``moment`` began."""
    if period == "all":
        return datetime(1970, 1, 1, tzinfo=UTC)
    if period == "year":
        return datetime(moment.year, 1, 1, tzinfo=UTC)
    return datetime(moment.year, (moment.month - 1) // 3 * 3 + 1, 1, tzinfo=UTC)


def week_start(moment):
    """Monday 00:00 UTC of the ISO week holding ``moment``."""
    moment = moment.astimezone(UTC)
    day = moment.date() - timedelta(days=moment.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
