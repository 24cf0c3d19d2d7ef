"""Import security reviews, their finding counts and surveys from CSV: every
row or none, and the same file twice changes nothing.

The file is UTF-8 (a byte-order mark is fine) with a header row; column names
are matched whatever their case and may come in any order. A column left out
reads as empty everywhere.

- ``key`` (required): the review's id in the tool it comes from. A key the
  portal has imported before updates that review in place, and only what
  differs is written.
- ``title``, ``org``, ``team``, ``opened_on``, ``stage`` (required): the team
  is found by org and team name, whatever their case (the import creates no
  teams); ``stage`` is one of engaged, guidance, implemented, submitted,
  in_review, approved, cancelled.
- ``closed_on``: given for approved and cancelled reviews, empty otherwise;
  dates are YYYY-MM-DD, never in the future, and a review closes on or after
  the day it opened.
- ``ticket_url``: an http:// or https:// link.
- ``guardians``, ``reviewers``: emails of active accounts (separated by
  ``;``), matched whatever their case; a Guardian holds the guardian role, a
  reviewer the security reviewer role (someone on the review already stays
  after losing it, as in the portal's form), and nobody is both on one review.
- ``critical``, ``high``, ``medium``, ``low``, ``informational``: the finding
  counts, whole numbers (empty is 0).
- ``survey_reviewer``, ``q1``-``q4``, ``feedback``: one reviewer's survey, on
  an approved review only. q1, q2 and q4 are 1-5 or n/a, q3 yes, no or n/a;
  ``feedback`` is Markdown. Leave ``survey_reviewer`` empty for no survey.

A review with several reviewers' surveys takes one row per survey, under the
same key; those rows repeat the review's columns exactly. The Guardians and
reviewers become those the file lists, but a reviewer who has filled the
survey stays on the review, and an import never removes a survey.

The import acts as the portal itself: stages are set as the file records them
(one history entry noted "Imported"), nobody is notified, and one audit event
(``reviews.import``) sums up a file that changed anything.
"""

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from portal.accounts.importer import ImportFailed, ImportProblem
from portal.accounts.models import Org, Role, Team, User
from portal.audit.services import record_audit
from portal.extensions import db
from portal.rendering import render_user_markdown
from portal.reviews import scoring
from portal.reviews.models import (
    Finding,
    Part,
    Review,
    ReviewEvent,
    ReviewPerson,
    ReviewStage,
    Severity,
    Survey,
)
from portal.reviews.services import MAX_COUNT, MAX_PEOPLE, TICKET, split_emails
from portal.reviews.survey import NOT_APPLICABLE, questions
from portal.reviews.surveys import FEEDBACK_LIMIT, guide_edition_in_force
from portal.text import name_problem, normalise_name

__all__ = ["ImportFailed", "ImportProblem", "ImportSummary", "import_reviews"]

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


@dataclass
class Known:
    """What the portal has that the file refers to, loaded in a fixed number
    of statements (per CHUNK keys or emails), never one per row."""

    teams: dict  # (org name, team name), lower-cased -> team id
    users: dict  # email, lower-cased -> User
    reviews: dict  # external key -> Review
    surveys: dict  # review id -> {reviewer id: Survey}
    listed: dict  # review id -> {Severity: findings listed}


def _chunks(values):
    values = sorted(values)
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def _teams():
    return {
        (org.lower(), team.lower()): team_id
        for team_id, org, team in db.session.execute(
            select(Team.id, Org.name, Team.name).join(Org, Team.org_id == Org.id)
        )
    }


def _users(emails):
    users = {}
    for chunk in _chunks(emails):
        for user in db.session.scalars(
            select(User).where(func.lower(User.email).in_(chunk))
        ):
            users[user.email.lower()] = user
    return users


def _load_reviews(known, keys):
    """The reviews imported before under these keys, with their people (one
    more statement per 500 reviews), surveys and counts of listed findings."""
    for chunk in _chunks(keys):
        for review in db.session.scalars(
            select(Review)
            .where(Review.external_key.in_(chunk))
            # The people's accounts are those of the file, loaded already.
            .options(selectinload(Review.people).lazyload(ReviewPerson.user))
        ):
            known.reviews[review.external_key] = review
            known.surveys[review.id] = {}
    if not known.reviews:
        return
    for chunk in _chunks(keys):
        imported = Review.external_key.in_(chunk)
        for survey in db.session.scalars(
            select(Survey).join(Review, Survey.review_id == Review.id).where(imported)
        ):
            known.surveys[survey.review_id][survey.reviewer_id] = survey
        for review_id, severity, listed in db.session.execute(
            select(Finding.review_id, Finding.severity, func.count())
            .join(Review, Finding.review_id == Review.id)
            .where(imported)
            .group_by(Finding.review_id, Finding.severity)
        ):
            known.listed.setdefault(review_id, {})[severity] = listed


def load_known(reviews):
    emails = {
        email
        for review in reviews.values()
        for column in PEOPLE_COLUMNS
        for email in review.fields.get(column, ())
    }
    known = Known(_teams(), _users(emails), {}, {}, {})
    _load_reviews(known, set(reviews))
    return known


PARTS = (
    ("guardians", Part.GUARDIAN, Role.GUARDIAN),
    ("reviewers", Part.REVIEWER, Role.SECURITY_REVIEWER),
)


def _check_people(row, known, review, problems):
    """Each person has an account and the part's role; someone on the review
    already keeps their part after losing the role, as in the portal's form."""
    already = {(p.user_id, p.part) for p in review.people} if review else set()
    for column, part, role in PARTS:
        for email in row.fields.get(column, ()):
            user = known.users.get(email)
            if user is None:
                problems.add(row.line, column, f"no account uses {shown(email)}")
            elif (user.id, part) not in already and (
                role not in user.roles or not user.active
            ):
                problems.add(
                    row.line,
                    column,
                    f"{shown(email)} is not an active {role.label.lower()}",
                )


def _check_existing(row, review, known, problems):
    """What the portal has recorded on an imported review since: its surveys
    and listed findings."""
    surveys, stage = known.surveys[review.id], row.fields.get("stage")
    if surveys and stage not in (None, ReviewStage.APPROVED):
        problems.add(row.line, "stage", "the review has surveys: it stays approved")
    if "reviewers" in row.fields:
        kept = {known.users[e].id for e in row.fields["reviewers"] if e in known.users}
        for person in review.people:
            # Only the people dropped are looked up (those kept are loaded).
            if person.user_id in surveys.keys() - kept:
                problems.add(
                    row.line,
                    "reviewers",
                    f"{shown(person.user.email)} filled its survey and stays on it",
                )
    for severity, listed in known.listed.get(review.id, {}).items():
        column = severity.value
        if row.fields.get(column, listed) < listed:
            problems.add(
                row.line, column, f"{listed} are listed in the portal: no fewer"
            )


def check_reviews(reviews, known, problems):
    """The rules that need the portal's data; ``{key: team id}``."""
    team_ids = {}
    for key, row in reviews.items():
        if "org" in row.fields and "team" in row.fields:
            org, team = row.fields["org"], row.fields["team"]
            team_ids[key] = known.teams.get((org.lower(), team.lower()))
            if team_ids[key] is None:
                problems.add(
                    row.line, "team", f"no team {shown(team)} in org {shown(org)}"
                )
        review = known.reviews.get(key)
        _check_people(row, known, review, problems)
        if review is not None:
            _check_existing(row, review, known, problems)
    return team_ids


def _midnight(day):
    return datetime.combine(day, time(), tzinfo=UTC)


def _columns(row, team_id):
    fields = row.fields
    return {
        "title": fields["title"],
        "team_id": team_id,
        "ticket_url": fields["ticket_url"],
        "opened_on": fields["opened_on"],
        "closed_on": fields["closed_on"],
        "stage": fields["stage"],
        **{Severity(c).count_column: fields[c] for c in COUNT_COLUMNS},
    }


def _people(row, known):
    """``{user id: part}`` as the file gives them, in its order."""
    return {
        known.users[email].id: part
        for column, part, _ in PARTS
        for email in row.fields[column]
    }


def _entered_at(row):
    return _midnight(row.fields["closed_on"] or row.fields["opened_on"])


def _new_review(key, row, team_id, now):
    """A new review's columns; its score comes from the file's surveys."""
    answers = [survey.answers for survey in row.surveys.values()]
    return _columns(row, team_id) | {
        "external_key": key,
        "stage_entered_at": _entered_at(row),
        "score": scoring.review_score(answers) if answers else None,
        "created_at": now,
        "updated_at": now,
    }


def _insert_reviews(reviews, known, team_ids, now):
    """Insert the new reviews, their people and their first history entry in
    bulk; ``{key: review id}``."""
    values = [
        _new_review(key, row, team_ids[key], now)
        for key, row in reviews.items()
        if key not in known.reviews
    ]
    if not values:
        return {}
    table = Review.__table__
    inserted = db.session.execute(
        insert(table).returning(table.c.external_key, table.c.id), values
    )
    ids = dict(inserted.all())
    people, events = [], []
    for key, review_id in ids.items():
        row = reviews[key]
        people += [
            {"review_id": review_id, "user_id": uid, "part": part}
            for uid, part in _people(row, known).items()
        ]
        events.append(
            {
                "review_id": review_id,
                "to_stage": row.fields["stage"],
                "note": IMPORTED,
                "created_at": _entered_at(row),
            }
        )
    _insert(ReviewPerson, people)
    _insert(ReviewEvent, events)
    return ids


def _insert(model, values):
    """Rows in bulk, through the table: the ORM would split them wherever a
    value is None."""
    if values:
        db.session.execute(insert(model.__table__), values)


def _update(review, row, columns, people, now):
    """Write what differs on an imported review; whether anything did."""
    changed = {k for k, v in columns.items() if getattr(review, k) != v}
    have = {p.user_id: p.part for p in review.people}
    if not changed and have == people:
        return False
    before = review.stage
    for key in changed:
        setattr(review, key, columns[key])
    # Someone who changes part keeps their row, with the new part.
    review.people = [p for p in review.people if p.user_id in people]
    for person in review.people:
        person.part = people[person.user_id]
    review.people += [
        ReviewPerson(user_id=uid, part=part)
        for uid, part in people.items()
        if uid not in have
    ]
    review.updated_at = now
    if "stage" in changed or (review.stage.is_closed and "closed_on" in changed):
        review.stage_entered_at = _midnight(review.closed_on or review.opened_on)
    if "stage" in changed:
        db.session.add(
            ReviewEvent(
                review_id=review.id,
                from_stage=before,
                to_stage=review.stage,
                note=IMPORTED,
                created_at=review.stage_entered_at,
            )
        )
    return True


def _survey_values(given):
    feedback = given.feedback
    return given.answers | {
        "feedback_markdown": feedback,
        "feedback_html": render_user_markdown(feedback) if feedback else "",
        "score": scoring.survey_score(given.answers),
    }


def _correct_surveys(row, review, known, now):
    """Correct the surveys of an imported review where the file differs; the
    review's score follows. How many were corrected, and the surveys to add
    as ``(review id, reviewer id, survey row, closed on)``."""
    surveys, corrected, new = known.surveys[review.id], 0, []
    for given in row.surveys.values():
        reviewer_id = known.users[given.reviewer].id
        survey = surveys.get(reviewer_id)
        if survey is None:
            new.append((review.id, reviewer_id, given, row.fields["closed_on"]))
        elif (survey.answers, survey.feedback_markdown) != (
            given.answers,
            given.feedback,
        ):
            for key, value in _survey_values(given).items():
                setattr(survey, key, value)
            survey.updated_at = now
            corrected += 1
    if corrected or new:
        # As surveys.refresh_review_score computes it, from the surveys loaded
        # with the review rather than one query per review.
        answers = {uid: survey.answers for uid, survey in surveys.items()}
        answers |= {uid: given.answers for _, uid, given, _ in new}
        review.score = scoring.review_score(list(answers.values()))
    return corrected, new


def _insert_surveys(new, now):
    """Add surveys in bulk, answered against the calibration guide in force
    and submitted on the day the review closed."""
    if not new:
        return
    edition_id = guide_edition_in_force(now).id
    _insert(
        Survey,
        [
            _survey_values(given)
            | {
                "review_id": review_id,
                "reviewer_id": reviewer_id,
                "private_note": "",
                "guide_edition_id": edition_id,
                "submitted_at": _midnight(closed_on),
                "updated_at": now,
            }
            for review_id, reviewer_id, given, closed_on in new
        ],
    )


def write_reviews(reviews, known, team_ids, now):
    """Apply checked rows: update the reviews imported before where they
    differ, then insert the new reviews and surveys in bulk."""
    summary, new_surveys = ImportSummary(), []
    for key, review in known.reviews.items():
        row = reviews[key]
        columns, people = _columns(row, team_ids[key]), _people(row, known)
        summary.reviews_updated += _update(review, row, columns, people, now)
        corrected, new = _correct_surveys(row, review, known, now)
        summary.surveys_saved += corrected
        new_surveys += new
    ids = _insert_reviews(reviews, known, team_ids, now)
    summary.reviews_created = len(ids)
    for key, review_id in ids.items():
        row = reviews[key]
        new_surveys += [
            (review_id, known.users[given.reviewer].id, given, row.fields["closed_on"])
            for given in row.surveys.values()
        ]
    _insert_surveys(new_surveys, now)
    summary.surveys_saved += len(new_surveys)
    return summary


def import_reviews(stream_or_path, now, *, source="cli"):
    """Apply a reviews file (a path, or a stream of text or bytes) as the
    portal itself; ImportFailed lists every problem when any row is wrong, and
    nothing is written then. The caller commits or rolls back."""
    reviews, problems = parse_reviews(read_cells(stream_or_path), now.date())
    known = load_known(reviews)
    team_ids = check_reviews(reviews, known, problems)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.line))
    summary = write_reviews(reviews, known, team_ids, now)
    if summary.changed:
        record_audit(
            None,
            "reviews.import",
            "import",
            now.isoformat(),
            target_name="reviews file",
            reviews_created=summary.reviews_created,
            reviews_updated=summary.reviews_updated,
            surveys_saved=summary.surveys_saved,
            source=source,
        )
    db.session.flush()
    return summary
