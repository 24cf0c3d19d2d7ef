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
(``reviews.import``) sums up a file that changed anything. The reviews it
changed go out in one ``reviews_imported`` signal: recognition credits their
Guardians with points and badges, quietly (portal.recognition.receivers).
"""

from datetime import UTC, datetime, time

from sqlalchemy import insert

from portal.accounts.importer import ImportFailed, ImportProblem
from portal.audit.services import record_audit
from portal.extensions import db
from portal.rendering import render_user_markdown
from portal.reviews import scoring
from portal.reviews.import_checks import PARTS, check_reviews, load_known
from portal.reviews.import_file import (
    COUNT_COLUMNS,
    IMPORTED,
    ImportSummary,
    parse_reviews,
    read_cells,
)
from portal.reviews.models import (
    Review,
    ReviewEvent,
    ReviewPerson,
    Severity,
    Survey,
)
from portal.reviews.signals import reviews_imported
from portal.reviews.surveys import guide_edition_in_force

__all__ = ["ImportFailed", "ImportProblem", "ImportSummary", "import_reviews"]


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
    summary, new_surveys, changed = ImportSummary(), [], set()
    for key, review in known.reviews.items():
        row = reviews[key]
        columns, people = _columns(row, team_ids[key]), _people(row, known)
        updated = _update(review, row, columns, people, now)
        summary.reviews_updated += updated
        corrected, new = _correct_surveys(row, review, known, now)
        summary.surveys_saved += corrected
        new_surveys += new
        if updated or corrected or new:
            changed.add(review.id)
    ids = _insert_reviews(reviews, known, team_ids, now)
    summary.reviews_created = len(ids)
    changed |= set(ids.values())
    for key, review_id in ids.items():
        row = reviews[key]
        new_surveys += [
            (review_id, known.users[given.reviewer].id, given, row.fields["closed_on"])
            for given in row.surveys.values()
        ]
    _insert_surveys(new_surveys, now)
    summary.surveys_saved += len(new_surveys)
    _announce(changed, now)
    return summary


def _announce(review_ids, now):
    """Tell other features which reviews the file changed: recognition credits
    their Guardians as for a survey filled in the portal."""
    if review_ids:
        db.session.flush()
        reviews_imported.send(None, review_ids=sorted(review_ids), now=now)


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
