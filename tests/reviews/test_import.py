"""`flask reviews import`: reviews, finding counts and surveys from CSV, every
row or none, the same file twice changing nothing, and every problem named by
line and column."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEvent
from portal.database import utcnow
from portal.notifications.models import Notification
from portal.reviews.importer import ImportFailed, import_reviews
from portal.reviews.models import (
    Finding,
    Review,
    ReviewEvent,
    ReviewPerson,
    ReviewStage,
    Severity,
    Survey,
)
from portal.reviews.signals import reviews_imported
from portal.reviews.surveys import guide_edition_in_force
from tests.concurrency import run_together
from tests.helpers import counting_statements

HEADER = [
    *("key", "title", "org", "team", "ticket_url", "opened_on", "closed_on"),
    *("stage", "guardians", "reviewers", "critical", "high", "medium", "low"),
    *("informational", "survey_reviewer", "q1", "q2", "q3", "q4", "feedback"),
]
REVIEW = {
    "key": "SR-1",
    "title": "Checkout API",
    "org": "Payments",
    "team": "Checkout",
    "ticket_url": "https://tickets.example.com/SR-1",
    "opened_on": "2025-01-06",
    "closed_on": "2025-02-10",
    "stage": "approved",
    "guardians": "gia@example.com",
    "reviewers": "rae@example.com;rob@example.com",
    "critical": "0",
    "high": "1",
    "medium": "2",
    "low": "3",
    "informational": "4",
}
RAE_SURVEY = {
    "survey_reviewer": "rae@example.com",
    "q1": "4",
    "q2": "5",
    "q3": "yes",
    "q4": "3",
    "feedback": "Clear **design**.",
}
ROB_SURVEY = {"survey_reviewer": "rob@example.com", "q1": "2", "q2": "n/a"}
ROB_SURVEY |= {"q3": "No", "q4": "4", "feedback": ""}
LEDGER = {
    "key": "SR-2",
    "title": "Ledger",
    "org": "payments",
    "team": "CHECKOUT",
    "opened_on": "2025-03-01",
    "stage": "in_review",
    "reviewers": "Rae@Example.COM",
}


def csv_text(*rows, header=HEADER):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


GOOD_FILE = csv_text(REVIEW | RAE_SURVEY, REVIEW | ROB_SURVEY, LEDGER)


@pytest.fixture
def people(make_user, make_team, make_org):
    """The team the file names (and a namesake in another org), a Guardian,
    two security reviewers (Rae is a Guardian too) and an engineer."""
    checkout = make_team(name="Checkout", org=make_org(name="Payments"))
    return {
        "team": checkout,
        "namesake": make_team(name="Checkout", org=make_org(name="Retail")),
        "gia": make_user(email="gia@example.com", roles=["guardian"]),
        "rae": make_user(
            email="rae@example.com", roles=["security_reviewer", "guardian"]
        ),
        "rob": make_user(email="Rob@Example.com", roles=["security_reviewer"]),
        "eli": make_user(email="eli@example.com"),
    }


def run_import(app, tmp_path, content, *options, name="reviews.csv"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["reviews", "import", *options, str(path)])


def snapshot(db):
    """Every row of every table: an import that changes nothing leaves it."""
    db.session.expire_all()
    return {
        table.name: sorted(
            (tuple(row) for row in db.session.execute(select(table))), key=repr
        )
        for table in db.metadata.sorted_tables
    }


def review(db, key):
    db.session.expire_all()
    return db.session.scalar(select(Review).where(Review.external_key == key))


def surveys(db, review_id):
    return {
        s.reviewer.email.lower(): s
        for s in db.session.scalars(select(Survey).where(Survey.review_id == review_id))
    }


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_good_file_records_reviews_counts_surveys_and_scores(
    app, db, tmp_path, people
):
    result = run_import(app, tmp_path, GOOD_FILE)

    assert result.exit_code == 0, result.output
    assert "Imported: 2 reviews created, 0 updated, 2 surveys saved." in result.output
    checkout = review(db, "SR-1")
    assert checkout.title == "Checkout API"
    assert checkout.team_id == people["team"].id
    assert checkout.ticket_url == "https://tickets.example.com/SR-1"
    assert (checkout.opened_on, checkout.closed_on) == (
        date(2025, 1, 6),
        date(2025, 2, 10),
    )
    assert checkout.stage is ReviewStage.APPROVED
    assert {s: checkout.count_of(s) for s in Severity} == {
        Severity.CRITICAL: 0,
        Severity.HIGH: 1,
        Severity.MEDIUM: 2,
        Severity.LOW: 3,
        Severity.INFORMATIONAL: 4,
    }
    assert checkout.guardian_ids == [people["gia"].id]
    assert checkout.reviewer_ids == [people["rae"].id, people["rob"].id]
    assert checkout.created_by_id is None
    by_reviewer = surveys(db, checkout.id)
    rae, rob = by_reviewer["rae@example.com"], by_reviewer["rob@example.com"]
    assert rae.answers == {"q1": 4, "q2": 5, "q3": 1, "q4": 3}
    assert rob.answers == {"q1": 2, "q2": None, "q3": 0, "q4": 4}
    # Rae: (0.75 + 1 + 1 + 0.5) / 4; Rob: (0.25 + 0 + 0.75) / 3; the review:
    # per question q1 0.5, q2 1, q3 0.5, q4 0.625, their mean.
    assert rae.score == pytest.approx(81.25)
    assert rob.score == pytest.approx(100 / 3)
    assert checkout.score == pytest.approx(65.625)
    assert rae.feedback_markdown == "Clear **design**."
    assert rae.feedback_html == "<p>Clear <strong>design</strong>.</p>"
    assert rae.submitted_at == datetime(2025, 2, 10, tzinfo=UTC)
    assert rae.guide_edition.number == 1
    ledger = review(db, "SR-2")
    assert ledger.team_id == people["team"].id, "org and team match in any case"
    assert ledger.reviewer_ids == [people["rae"].id], "emails match in any case"
    assert ledger.closed_on is None and ledger.score is None
    assert ledger.total_findings == 0 and ledger.ticket_url == ""


def test_an_import_records_the_past_tells_nobody_and_is_audited_once(
    app, db, tmp_path, people
):
    result = run_import(app, tmp_path, GOOD_FILE)

    assert result.exit_code == 0, result.output
    checkout, ledger = review(db, "SR-1"), review(db, "SR-2")
    assert checkout.stage_entered_at == datetime(2025, 2, 10, tzinfo=UTC)
    assert ledger.stage_entered_at == datetime(2025, 3, 1, tzinfo=UTC)
    events = db.session.execute(
        select(
            ReviewEvent.review_id,
            ReviewEvent.from_stage,
            ReviewEvent.to_stage,
            ReviewEvent.actor_id,
            ReviewEvent.note,
            ReviewEvent.created_at,
        ).order_by(ReviewEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        (
            checkout.id,
            None,
            ReviewStage.APPROVED,
            None,
            "Imported",
            datetime(2025, 2, 10, tzinfo=UTC),
        ),
        (
            ledger.id,
            None,
            ReviewStage.IN_REVIEW,
            None,
            "Imported",
            datetime(2025, 3, 1, tzinfo=UTC),
        ),
    ]
    assert count(db, Notification) == 0
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor_id) == ("reviews.import", None)
    assert event.details == {
        "reviews_created": 2,
        "reviews_updated": 0,
        "surveys_saved": 2,
        "source": "cli",
    }


def test_one_bad_row_in_the_middle_writes_nothing(app, db, tmp_path, people):
    content = csv_text(
        REVIEW | RAE_SURVEY,
        LEDGER | {"key": "SR-9", "stage": "finished"},
        LEDGER,
    )
    before = snapshot(db)

    result = run_import(app, tmp_path, content)

    assert result.exit_code == 1
    assert "reviews.csv: line 3, column stage: 'finished' is not one of" in (
        result.output
    )
    assert "Nothing was imported: 1 problem(s) to fix." in result.output
    assert snapshot(db) == before


def test_the_same_file_twice_changes_nothing(app, db, tmp_path, people):
    first = run_import(app, tmp_path, GOOD_FILE)
    after_first = snapshot(db)

    second = run_import(app, tmp_path, GOOD_FILE)

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Nothing changed" in second.output
    assert snapshot(db) == after_first, "not one row written or touched"
    summary = import_reviews(io.StringIO(GOOD_FILE), utcnow())
    assert (summary.reviews_created, summary.reviews_updated) == (0, 0)
    assert summary.surveys_saved == 0


def test_a_changed_file_updates_the_imported_reviews_in_place(
    app, db, tmp_path, people
):
    run_import(app, tmp_path, GOOD_FILE)
    first_checkout = review(db, "SR-1")
    created_at, edition = first_checkout.created_at, guide_edition_in_force(utcnow())
    changed = csv_text(
        REVIEW | RAE_SURVEY | {"title": "Checkout API v2", "high": "3"},
        REVIEW | ROB_SURVEY | {"title": "Checkout API v2", "high": "3", "q1": "5"},
        LEDGER
        | {"stage": "approved", "closed_on": "2025-04-01"}
        # Rae, Ledger's reviewer, becomes its Guardian: people change part.
        | {"reviewers": "rob@example.com", "guardians": "rae@example.com"},
    )
    result = run_import(app, tmp_path, changed)

    assert result.exit_code == 0, result.output
    assert "0 reviews created, 2 updated, 1 surveys saved." in result.output
    checkout = review(db, "SR-1")
    assert checkout.id == first_checkout.id and checkout.created_at == created_at
    assert (checkout.title, checkout.high_count) == ("Checkout API v2", 3)
    rob = surveys(db, checkout.id)["rob@example.com"]
    assert rob.q1 == 5 and rob.score == pytest.approx(100 * (1 + 0 + 0.75) / 3)
    assert rob.guide_edition_id == edition.id
    # q1 is now (0.75 + 1) / 2 = 0.875: (0.875 + 1 + 0.5 + 0.625) / 4.
    assert checkout.score == pytest.approx(75.0)
    ledger = review(db, "SR-2")
    assert ledger.stage is ReviewStage.APPROVED
    assert ledger.stage_entered_at == datetime(2025, 4, 1, tzinfo=UTC)
    assert ledger.guardian_ids == [people["rae"].id]
    assert ledger.reviewer_ids == [people["rob"].id]
    steps = db.session.execute(
        select(ReviewEvent.from_stage, ReviewEvent.to_stage)
        .where(ReviewEvent.review_id == ledger.id)
        .order_by(ReviewEvent.id)
    ).all()
    assert [tuple(s) for s in steps] == [
        (None, ReviewStage.IN_REVIEW),
        (ReviewStage.IN_REVIEW, ReviewStage.APPROVED),
    ]
    assert count(db, Review) == 2 and count(db, Survey) == 2
    assert count(db, ReviewPerson) == 5


LONG = "x" * 10_001
# (what line 3 says instead of a good review, the column named, the message)
PROBLEMS = [
    ({"key": ""}, "key", "is required"),
    ({"key": "SR\u200b-3"}, "key", "Use letters, digits, spaces and punctuation"),
    ({"title": ""}, "title", "is required"),
    ({"title": "Checkout \u202eIPA"}, "title", "Use letters, digits, spaces"),
    ({"title": "t" * 201}, "title", "is over 200 characters"),
    ({"title": "Check\x00out"}, "title", "holds a NUL character"),
    ({"org": "Nowhere"}, "team", "no team Checkout in org Nowhere"),
    ({"team": "Billing"}, "team", "no team Billing in org Payments"),
    ({"opened_on": ""}, "opened_on", "is required"),
    ({"opened_on": "06/01/2025"}, "opened_on", "'06/01/2025' is not a date"),
    ({"opened_on": "2025-13-01"}, "opened_on", "'2025-13-01' is not a date"),
    ({"closed_on": "2999-01-01"}, "closed_on", "2999-01-01 is in the future"),
    ({"closed_on": ""}, "closed_on", "is required: the review is approved"),
    ({"closed_on": "2025-01-05"}, "closed_on", "is before opened_on"),
    ({"stage": "done"}, "stage", "'done' is not one of engaged, guidance"),
    ({"ticket_url": "javascript:alert(1)"}, "ticket_url", "is not an http"),
    ({"ticket_url": "ftp://files.example.com/x"}, "ticket_url", "is not an http"),
    ({"ticket_url": "https://t.example.com/\x00"}, "ticket_url", "holds a NUL"),
    ({"guardians": "nobody@example.com"}, "guardians", "no account uses nobody@"),
    ({"guardians": "eli@example.com"}, "guardians", "eli@example.com is not an"),
    ({"reviewers": "gia@example.com"}, "reviewers", "gia@example.com is not an"),
    ({"reviewers": ";".join(f"r{i}@example.com" for i in range(11))}, "reviewers",
     "lists more than 10 people"),
    ({"critical": "-1"}, "critical", "'-1' is not a whole number from 0"),
    ({"high": "2.5"}, "high", "'2.5' is not a whole number"),
    ({"medium": "10001"}, "medium", "'10001' is not a whole number"),
    ({"low": "many"}, "low", "'many' is not a whole number"),
    ({"survey_reviewer": "eli@example.com"}, "survey_reviewer",
     "is not one of the row's reviewers"),
    ({"survey_reviewer": ""}, "survey_reviewer", "is required with q1"),
    ({"q1": "6"}, "q1", "'6' is not one of 5, 4, 3, 2, 1 or n/a"),
    ({"q2": "good"}, "q2", "'good' is not one of"),
    ({"q3": "maybe"}, "q3", "'maybe' is not one of yes, no or n/a"),
    ({"q4": ""}, "q4", "is required with a survey (or n/a)"),
    ({"feedback": LONG}, "feedback", "is over 10000 characters"),
    ({"feedback": "ring \x07 bell"}, "feedback", "holds a control character"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    PROBLEMS,
    ids=[f"{column}-{i}" for i, (_, column, _) in enumerate(PROBLEMS)],
)
def test_each_problem_names_its_line_and_column(
    app, db, tmp_path, people, cells, column, message
):
    bad = REVIEW | RAE_SURVEY | {"key": "SR-3"} | cells
    before = snapshot(db)

    result = run_import(app, tmp_path, csv_text(LEDGER, bad))

    assert result.exit_code == 1, result.output
    assert f"reviews.csv: line 3, column {column}: {message}" in result.output
    assert "line 2" not in result.output
    assert "Traceback" not in result.output
    assert snapshot(db) == before


def test_problems_are_all_listed_in_line_order(app, db, tmp_path, people):
    content = csv_text(
        REVIEW | {"stage": "closed"},
        LEDGER,
        LEDGER | {"key": "SR-4", "high": "lots", "reviewers": "x@example.com"},
    )

    result = run_import(app, tmp_path, content)

    lines = [
        line.rpartition("/")[2]
        for line in result.output.splitlines()
        if "reviews.csv" in line
    ]
    assert lines == [
        "reviews.csv: line 2, column stage: 'closed' is not one of engaged, "
        "guidance, implemented, submitted, in_review, approved, cancelled",
        "reviews.csv: line 4, column high: 'lots' is not a whole number from 0 to "
        "10000",
        "reviews.csv: line 4, column reviewers: no account uses x@example.com",
    ]
    assert "Nothing was imported: 3 problem(s) to fix." in result.output


def test_a_reviewer_who_is_the_guardian_is_refused(app, db, tmp_path, people):
    both = LEDGER | {"guardians": "rae@example.com"}

    result = run_import(app, tmp_path, csv_text(both))

    assert result.exit_code == 1
    assert (
        "line 2, column reviewers: rae@example.com is also a Guardian of the review"
        in result.output
    )
    assert count(db, Review) == 0


def test_a_survey_on_a_review_not_approved_is_refused(app, db, tmp_path, people):
    early = LEDGER | RAE_SURVEY
    cancelled = LEDGER | RAE_SURVEY | {"key": "SR-5", "stage": "cancelled"}
    cancelled |= {"closed_on": "2025-03-05"}

    result = run_import(app, tmp_path, csv_text(early, cancelled))

    assert result.exit_code == 1
    assert (
        "line 2, column survey_reviewer: is for an approved review, not in_review"
        in result.output
    )
    assert (
        "line 3, column survey_reviewer: is for an approved review, not cancelled"
        in result.output
    )
    assert count(db, Survey) == 0


def test_matching_is_by_email_and_by_org_and_team_whatever_their_case(
    app, db, tmp_path, people
):
    content = csv_text(
        REVIEW
        | RAE_SURVEY
        | {"guardians": " GIA@example.com ", "reviewers": "RAE@EXAMPLE.COM"}
        | {"survey_reviewer": "Rae@Example.com"},
        LEDGER | {"org": "RETAIL", "team": "checkout"},
    )

    result = run_import(app, tmp_path, content)

    assert result.exit_code == 0, result.output
    checkout = review(db, "SR-1")
    assert checkout.guardian_ids == [people["gia"].id]
    assert checkout.reviewer_ids == [people["rae"].id]
    assert list(surveys(db, checkout.id)) == ["rae@example.com"]
    assert review(db, "SR-2").team_id == people["namesake"].id


def test_a_deactivated_reviewer_is_refused(app, db, tmp_path, people, make_user):
    make_user(email="gone@example.com", roles=["security_reviewer"], active=False)

    result = run_import(
        app, tmp_path, csv_text(LEDGER | {"reviewers": "gone@example.com"})
    )

    assert result.exit_code == 1
    assert (
        "line 2, column reviewers: gone@example.com is not an active security "
        "reviewer" in result.output
    )


def test_rows_of_one_review_agree_and_carry_each_survey_once(app, db, tmp_path, people):
    content = csv_text(
        REVIEW | RAE_SURVEY,
        REVIEW | ROB_SURVEY | {"title": "Another title", "low": "9"},
        REVIEW | RAE_SURVEY | {"reviewers": "rob@example.com;RAE@example.com"},
    )

    result = run_import(app, tmp_path, content)

    assert result.exit_code == 1
    for problem in (
        "line 3, column title: differs from line 2 (same key)",
        "line 3, column low: differs from line 2 (same key)",
        "line 4, column survey_reviewer: this survey is on line 2",
    ):
        assert problem in result.output
    assert "line 4, column reviewers" not in result.output, "the same people"
    assert count(db, Review) == 0


def test_what_the_portal_recorded_since_holds(app, db, tmp_path, people):
    run_import(app, tmp_path, GOOD_FILE)
    checkout = review(db, "SR-1")
    for title in ("SQL injection", "Stored XSS"):
        db.session.add(
            Finding(review_id=checkout.id, title=title, severity=Severity.MEDIUM)
        )
    db.session.commit()
    before = snapshot(db)
    content = csv_text(
        REVIEW | RAE_SURVEY | {"reviewers": "rae@example.com", "medium": "1"},
        REVIEW | {"key": "SR-1", "reviewers": "rae@example.com", "medium": "1"},
    )
    reopened = csv_text(
        REVIEW | {"stage": "in_review", "closed_on": ""},
    )

    dropped = run_import(app, tmp_path, content)
    moved_back = run_import(app, tmp_path, reopened)

    assert dropped.exit_code == 1
    assert (
        "line 2, column reviewers: Rob@Example.com filled its survey and stays on it"
        in dropped.output
    )
    assert "line 2, column medium: 2 are listed in the portal: no fewer" in (
        dropped.output
    )
    assert moved_back.exit_code == 1
    assert "line 2, column stage: the review has surveys: it stays approved" in (
        moved_back.output
    )
    assert snapshot(db) == before


def test_a_dry_run_checks_and_writes_nothing(app, db, tmp_path, people):
    before = snapshot(db)

    result = run_import(app, tmp_path, GOOD_FILE, "--dry-run")

    assert result.exit_code == 0, result.output
    assert (
        "Dry run, nothing written. The import would give: 2 reviews created, "
        "0 updated, 2 surveys saved." in result.output
    )
    assert snapshot(db) == before


def test_the_import_takes_a_stream_and_the_caller_commits(app, db, people):
    now = utcnow()

    summary = import_reviews(io.BytesIO(GOOD_FILE.encode()), now)
    db.session.rollback()

    assert (summary.reviews_created, summary.surveys_saved) == (2, 2)
    assert count(db, Review) == 0 and count(db, AuditEvent) == 0
    with pytest.raises(ImportFailed) as failed:
        import_reviews(io.StringIO(csv_text(LEDGER | {"stage": "x"})), now)
    [problem] = failed.value.problems
    assert (problem.line, problem.column) == (2, "stage")


def statements_of(db, content):
    """The statements one import runs (the transaction's BEGIN aside), without
    what other features do on hearing of it (recognition credits each review:
    tests/recognition/test_imported_reviews.py)."""
    db.session.rollback()
    with counting_statements(db.engine) as statements, reviews_imported.muted():
        import_reviews(io.StringIO(content), utcnow())
    return [s for s in statements if not s.startswith("BEGIN")]


def test_statements_do_not_grow_with_the_rows(app, db, people):
    def content(rows):
        parts = (REVIEW | RAE_SURVEY, REVIEW | ROB_SURVEY)
        return csv_text(
            *(part | {"key": f"K-{n}"} for n in range(rows) for part in parts)
        )

    few = statements_of(db, content(2))
    db.session.rollback()
    many = statements_of(db, content(40))

    assert len(many) == len(few) <= 15, many


def test_reimporting_loads_in_a_fixed_number_of_statements(app, db, people):
    def content(rows):
        return csv_text(*(LEDGER | {"key": f"K-{n}"} for n in range(rows)))

    for rows in (3, 30):
        import_reviews(io.StringIO(content(rows)), utcnow())
        db.session.commit()

    few = statements_of(db, content(3))
    many = statements_of(db, content(30))

    assert len(many) == len(few) <= 10, many


ONE_ROW = csv_text(LEDGER)
ODD_FILES = [
    (b"", "line 1, column -: the file has no header row"),
    (b"\n\n", "line 1, column -: the file has no header row"),
    (",".join(HEADER).encode() + b"\n", "line 2, column -: the file has no reviews"),
    (
        ONE_ROW.replace("stage,", "").replace("in_review,", "").encode(),
        "line 1, column stage: column is missing",
    ),
    (
        ONE_ROW.replace("feedback\n", "feedback,colour\n").encode(),
        "line 1, column colour: column is not known",
    ),
    (
        ONE_ROW.replace("feedback\n", "feedback,Title\n").encode(),
        "line 1, column title: column is given twice",
    ),
    (
        ONE_ROW.replace("feedback\n", "feedback,\n").encode(),
        "line 1, column #22: column has no name",
    ),
    (
        (ONE_ROW.rstrip("\n") + ",extra\n").encode(),
        "line 2, column -: has more cells than the header",
    ),
    (
        ONE_ROW.encode() + LEDGER["key"].encode() + b",Caf\xe9,Payments\n",
        "line 3, column -: is not UTF-8 text: save the file as UTF-8",
    ),
    (
        ONE_ROW.encode() + b'SR-9,"' + b"x" * 200_000 + b'"\n',
        "line 3, column -: cannot be read as CSV: field larger than field limit",
    ),
    (
        ONE_ROW.encode() + b'SR-9,"Checkout" API,Payments\n',
        "line 3, column -: cannot be read as CSV: ',' expected after '\"'",
    ),
    (
        ONE_ROW.encode() + b'SR-9,"never closed\n',
        "line 3, column -: cannot be read as CSV: unexpected end of data",
    ),
    (
        csv_text(LEDGER, LEDGER | {"key": "SR-8", "title": "Two\nlines"}).encode(),
        "line 3, column title: Use letters, digits, spaces and punctuation",
    ),
]


@pytest.mark.parametrize(("content", "problem"), ODD_FILES)
def test_odd_files_get_a_clear_problem_not_a_traceback(
    app, db, tmp_path, people, content, problem
):
    result = run_import(app, tmp_path, content)

    assert result.exit_code == 1, result.output
    assert f"reviews.csv: {problem}" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    assert count(db, Review) == 0


def test_a_spreadsheet_file_with_a_bom_and_crlf_imports(app, db, tmp_path, people):
    content = "\ufeff" + GOOD_FILE.replace("\n", "\r\n").replace("key,", "Key,", 1)

    result = run_import(app, tmp_path, content.encode("utf-8"))

    assert result.exit_code == 0, result.output
    assert "2 reviews created" in result.output
    assert review(db, "SR-1").title == "Checkout API"


def test_formulas_and_markup_stay_inert_text(app, db, tmp_path, people):
    content = csv_text(
        REVIEW
        | RAE_SURVEY
        | {"title": '=HYPERLINK("http://evil.example","Click")'}
        | {"feedback": '<script>alert(1)</script> [x](javascript:alert(1)) "ok"'},
    )

    result = run_import(app, tmp_path, content)

    assert result.exit_code == 0, result.output
    checkout = review(db, "SR-1")
    assert checkout.title == '=HYPERLINK("http://evil.example","Click")'
    survey = surveys(db, checkout.id)["rae@example.com"]
    assert survey.feedback_markdown.startswith("<script>")
    assert "<script" not in survey.feedback_html
    assert "javascript:" not in survey.feedback_html


def test_what_the_file_says_reaches_the_terminal_without_escapes(
    app, db, tmp_path, people
):
    content = csv_text(LEDGER | {"stage": "\x1b[2J\x1b]0;owned\x07approved"})

    result = run_import(app, tmp_path, content)

    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "line 2, column stage: '?[2J?]0;owned?approved' is not one of" in (
        result.output
    )


def test_two_imports_of_one_file_at_once_make_each_review_once(
    app, db, tmp_path, people
):
    path = tmp_path / "reviews.csv"
    path.write_text(GOOD_FILE, encoding="utf-8")
    db.session.commit()

    def run():
        # As the command does it, each in its own app context and session.
        with app.app_context():
            try:
                summary = import_reviews(path, utcnow())
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                return "refused by the database"
            return summary.reviews_created

    results = run_together(run, run)

    # SQLite runs one after the other (the second finds the reviews made);
    # on PostgreSQL the second may insert too, and the unique key refuses it.
    assert sorted(results, key=str) in ([0, 2], [2, "refused by the database"])
    db.session.expire_all()
    assert count(db, Review) == 2 and count(db, Survey) == 2
    assert count(db, AuditEvent) == 1
