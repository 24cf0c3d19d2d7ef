"""Reading a reviews file for `flask reviews import`: the cells of each row,
parsed and checked on their own (see portal.reviews.importer for the format)."""

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.accounts.importer import ImportFailed, ImportProblem
from portal.reviews.models import (
    ReviewStage,
    Severity,
)
from portal.reviews.services import MAX_COUNT, MAX_PEOPLE, TICKET, split_emails
from portal.reviews.survey import NOT_APPLICABLE, questions
from portal.reviews.surveys import FEEDBACK_LIMIT
from portal.text import name_problem, normalise_name

REQUIRED_COLUMNS = ("key", "title", "org", "team", "opened_on", "stage")
PEOPLE_COLUMNS = ("guardians", "reviewers")
COUNT_COLUMNS = tuple(s.value for s in Severity)
SURVEY_COLUMNS = ("survey_reviewer", "q1", "q2", "q3", "q4", "feedback")
COLUMNS = (
    *REQUIRED_COLUMNS,
    "closed_on",
    "ticket_url",
    *PEOPLE_COLUMNS,
    *COUNT_COLUMNS,
    *SURVEY_COLUMNS,
)
# The review's columns, which rows sharing a key must repeat exactly.
REVIEW_COLUMNS = tuple(c for c in COLUMNS if c not in SURVEY_COLUMNS)
IMPORTED = "Imported"
# Keys or emails per statement: well under SQLite's and PostgreSQL's limits
# on bound parameters, so a typical file takes one statement of each kind.
CHUNK = 5000
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Line breaks and tabs are text in feedback; other control characters are not.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ImportSummary:
    """What an import wrote: reviews created and corrected, surveys saved."""

    reviews_created: int = 0
    reviews_updated: int = 0
    surveys_saved: int = 0

    @property
    def changed(self):
        return bool(self.reviews_created or self.reviews_updated or self.surveys_saved)


@dataclass
class SurveyRow:
    line: int
    reviewer: str
    answers: dict
    feedback: str


@dataclass
class ReviewRow:
    """One review as the file gives it (first on ``line``): ``fields`` maps
    each review column that parsed to its value."""

    line: int
    fields: dict
    surveys: dict = field(default_factory=dict)  # reviewer email -> SurveyRow


class Problems(list):
    def add(self, line, column, message):
        self.append(ImportProblem(line, column, message))


def _text_of(source):
    """The file's text, or an ImportFailed naming the line of a byte that is
    not UTF-8."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            data = file.read()
    else:
        data = source.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            [ImportProblem(line, "-", "is not UTF-8 text: save the file as UTF-8")]
        ) from None


def _header(names):
    problems, header = Problems(), [n.strip().lower() for n in names]
    for number, name in enumerate(header, start=1):
        if not name:
            problems.add(1, f"#{number}", "column has no name")
        elif name not in COLUMNS:
            problems.add(1, shown(name, 40), "column is not known")
        elif header.index(name) != number - 1:
            problems.add(1, name, "column is given twice")
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.add(1, name, "column is missing")
    if problems:
        raise ImportFailed(problems)
    return header


def read_cells(source):
    """``[(line, {column: text})]`` for each row of the file; a problem with
    the file as a whole (empty, a broken header, not CSV) raises ImportFailed."""
    # Strict: a stray or unclosed quote is an error, not cells run together.
    reader = csv.reader(io.StringIO(_text_of(source), newline=""), strict=True)
    rows, start = [], 1
    try:
        names = next(reader, None)
        if not names or not any(n.strip() for n in names):
            raise ImportFailed([ImportProblem(1, "-", "the file has no header row")])
        header = _header(names)
        start = reader.line_num + 1
        for cells in reader:
            # Spreadsheets end files with rows of empty cells.
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFailed(
            [ImportProblem(start, "-", f"cannot be read as CSV: {error}")]
        ) from None
    if not rows:
        raise ImportFailed([ImportProblem(2, "-", "the file has no reviews")])
    table, problems = [], Problems()
    for line, cells in rows:
        if len(cells) > len(header):
            problems.add(line, "-", "has more cells than the header")
        values = dict(zip(header, (c.strip() for c in cells), strict=False))
        table.append((line, {c: values.get(c, "") for c in COLUMNS}))
    if problems:
        raise ImportFailed(problems)
    return table


class Bad(ValueError):
    """A cell that does not parse; the message says why."""


def shown(text, limit=60):
    """A value from the file as a problem may quote it: control characters
    (a terminal's escape sequences among them) become "?"."""
    text = CONTROL.sub("?", text.replace("\n", "?").replace("\r", "?"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(text, limit):
    if not text:
        raise Bad("is required")
    problem = name_problem(text)
    if problem:
        raise Bad(problem)
    text = normalise_name(text)
    if len(text) > limit:
        raise Bad(f"is over {limit} characters")
    return text


def _date(text, today):
    if not text:
        return None
    try:
        if not DATE.fullmatch(text):
            raise ValueError
        value = date.fromisoformat(text)
    except ValueError:
        raise Bad(f"'{shown(text)}' is not a date (YYYY-MM-DD)") from None
    # A day's grace: ahead of UTC, the review may have closed "today".
    if value > today + timedelta(days=1):
        raise Bad(f"{value} is in the future")
    return value


def _stage(text):
    try:
        return ReviewStage(text.lower())
    except ValueError:
        names = ", ".join(s.value for s in ReviewStage)
        raise Bad(f"'{shown(text)}' is not one of {names}") from None


def _ticket(text):
    if text and (len(text) > 500 or CONTROL.search(text) or not TICKET.fullmatch(text)):
        raise Bad("is not an http:// or https:// link")
    return text


def _emails(text):
    emails = split_emails(text)
    if len(emails) > MAX_PEOPLE:
        raise Bad(f"lists more than {MAX_PEOPLE} people")
    return tuple(emails)


def _count(text):
    if not text:
        return 0
    if not re.fullmatch(r"[0-9]{1,6}", text) or int(text) > MAX_COUNT:
        raise Bad(f"'{shown(text)}' is not a whole number from 0 to {MAX_COUNT}")
    return int(text)


def _answer(question, text):
    """A question's answer: its value, or None for n/a."""
    text = text.lower()
    if text == NOT_APPLICABLE:
        return None
    if question.is_rating:
        choices = {str(value): value for value, _ in question.answers}
    else:
        choices = {label.lower(): value for value, label in question.answers}
    if text not in choices:
        raise Bad(f"'{shown(text)}' is not one of {', '.join(choices)} or n/a")
    return choices[text]


def _feedback(text):
    text = text.replace("\r\n", "\n")
    if CONTROL.search(text):
        raise Bad("holds a control character")
    if len(text) > FEEDBACK_LIMIT:
        raise Bad(f"is over {FEEDBACK_LIMIT} characters")
    return text


def _review_parsers(today):
    return {
        "key": lambda t: _name(t, 200),
        "title": lambda t: _name(t, 200),
        "org": lambda t: _name(t, 120),
        "team": lambda t: _name(t, 120),
        "opened_on": lambda t: _date(t, today),
        "closed_on": lambda t: _date(t, today),
        "stage": _stage,
        "ticket_url": _ticket,
        "guardians": _emails,
        "reviewers": _emails,
        **{column: _count for column in COUNT_COLUMNS},
    }


def _parse(parsers, line, cells, problems):
    """``{column: value}`` for the columns that parse; the others are put in
    ``problems`` and left out."""
    values = {}
    for column, parse in parsers.items():
        try:
            values[column] = parse(cells[column])
        except Bad as error:
            problems.add(line, column, str(error))
    return values


def _check_review(line, values, problems):
    """The rules between a review's columns."""
    stage, opened, closed = (values.get(c) for c in ("stage", "opened_on", "closed_on"))
    if "opened_on" in values and opened is None:
        problems.add(line, "opened_on", "is required")
    if stage is not None and "closed_on" in values:
        if stage.is_closed and closed is None:
            problems.add(line, "closed_on", f"is required: the review is {stage.value}")
        elif not stage.is_closed and closed is not None:
            problems.add(line, "closed_on", "stays empty until the review closes")
    if opened and closed and closed < opened:
        problems.add(line, "closed_on", "is before opened_on")
    both = set(values.get("guardians", ())) & set(values.get("reviewers", ()))
    for email in sorted(both):
        problems.add(
            line, "reviewers", f"{shown(email)} is also a Guardian of the review"
        )


def _parse_survey(line, cells, values, problems):
    """The row's survey, or None when it has none."""
    reviewer = cells["survey_reviewer"].lower()
    if not reviewer:
        given = [c for c in SURVEY_COLUMNS[1:] if cells[c]]
        if given:
            problems.add(line, "survey_reviewer", f"is required with {given[0]}")
        return None
    if "reviewers" in values and reviewer not in values["reviewers"]:
        problems.add(line, "survey_reviewer", "is not one of the row's reviewers")
    stage = values.get("stage")
    if stage is not None and stage != ReviewStage.APPROVED:
        problems.add(
            line,
            "survey_reviewer",
            f"is for an approved review, not {stage.value}",
        )
    answers = {}
    for question in questions():
        if not cells[question.key]:
            problems.add(line, question.key, "is required with a survey (or n/a)")
            continue
        try:
            answers[question.key] = _answer(question, cells[question.key])
        except Bad as error:
            problems.add(line, question.key, str(error))
    try:
        feedback = _feedback(cells["feedback"])
    except Bad as error:
        problems.add(line, "feedback", str(error))
        feedback = ""
    return SurveyRow(line, reviewer, answers, feedback)


def _same(column, first, later):
    if column in PEOPLE_COLUMNS:
        return set(first) == set(later)
    return first == later


def _add_row(reviews, line, values, survey, problems):
    """Put one row's review and survey among ``reviews``: a key seen before
    must come with the same review columns, and each reviewer's survey once."""
    review = reviews.setdefault(values["key"], ReviewRow(line, values))
    for column in REVIEW_COLUMNS:
        if (
            column in values
            and column in review.fields
            and not _same(column, review.fields[column], values[column])
        ):
            problems.add(line, column, f"differs from line {review.line} (same key)")
    if survey is None:
        return
    if survey.reviewer in review.surveys:
        first = review.surveys[survey.reviewer].line
        problems.add(line, "survey_reviewer", f"this survey is on line {first}")
    review.surveys.setdefault(survey.reviewer, survey)


def parse_reviews(table, today):
    """The file's reviews by key, in file order, with every problem found in
    the rows on their own."""
    problems, reviews, parsers = Problems(), {}, _review_parsers(today)
    for line, cells in table:
        nul = [column for column, text in cells.items() if "\x00" in text]
        for column in nul:
            problems.add(line, column, "holds a NUL character")
        if nul:
            continue
        values = _parse(parsers, line, cells, problems)
        _check_review(line, values, problems)
        survey = _parse_survey(line, cells, values, problems)
        if "key" in values:
            _add_row(reviews, line, values, survey, problems)
    return reviews, problems
