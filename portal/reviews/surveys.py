"""The end-of-review survey, the Guardian's readiness check and the calibration
guide they are answered against.

A survey's submission (not its later edits) notifies the review's supporting
Guardians. Saving one recomputes the review's score (portal.reviews.scoring)
and sends ``review_rated``: recognition then credits the supporting Guardians
with points scaled by the score (portal.recognition.receivers).
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_audit
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.services import notify
from portal.rendering import render_user_markdown
from portal.reviews import scoring
from portal.reviews.models import GuideEdition, ReadinessCheck, Survey
from portal.reviews.permissions import (
    can_edit_guide,
    can_fill_survey,
    can_record_readiness,
)
from portal.reviews.signals import review_rated
from portal.reviews.survey import questions, shipped_guide

FEEDBACK_LIMIT = 10_000
GUIDE_ENTRY_LIMIT = 3_000


def latest_guide_edition():
    """The calibration guide in force, or None before anyone has answered or
    edited it (the shipped guide then applies)."""
    return db.session.scalar(
        select(GuideEdition).order_by(GuideEdition.number.desc()).limit(1)
    )


def guide_entries(edition=None):
    """``{question: {level: text}}`` of ``edition`` (default: the one in force)."""
    edition = edition or latest_guide_edition()
    return edition.entries if edition is not None else shipped_guide()


def guide_edition_in_force(now):
    """The edition answers are recorded against: the first answer stores the
    shipped guide as edition 1."""
    edition = latest_guide_edition()
    if edition is not None:
        return edition
    try:
        with db.session.begin_nested():
            edition = GuideEdition(
                number=1, entries=shipped_guide(), note="As shipped", created_at=now
            )
            db.session.add(edition)
    except IntegrityError:
        return latest_guide_edition()
    return edition


def edit_guide(actor, entries, note, now):
    """Save a new edition of the calibration guide: program managers. Every
    level of every question needs its text."""
    if not can_edit_guide(actor):
        raise DomainError("note", "Only program managers edit the calibration guide.")
    clean = {}
    for q in questions():
        clean[q.key] = {}
        for level in q.guide_keys:
            text = (entries.get(q.key, {}).get(level) or "").strip()
            field = f"{q.key}_{level}"
            if not text:
                raise DomainError(
                    field, "Describe this level: the guide needs every one."
                )
            if len(text) > GUIDE_ENTRY_LIMIT:
                raise DomainError(
                    field, f"Keep it under {GUIDE_ENTRY_LIMIT} characters."
                )
            clean[q.key][level] = text.replace("\r\n", "\n")
    current = guide_edition_in_force(now)
    if clean == current.entries:
        raise DomainError("note", "Nothing changed: the guide is as it was.")
    number = current.number + 1
    try:
        with db.session.begin_nested():
            edition = GuideEdition(
                number=number,
                entries=clean,
                note=(note or "").strip()[:200],
                created_by_id=actor.id,
                created_at=now,
            )
            db.session.add(edition)
    except IntegrityError:
        raise DomainError(
            "note", "Someone else saved the guide just now: look again."
        ) from None
    record_audit(
        actor,
        "survey.guide_edit",
        "survey_guide",
        number,
        target_name=f"calibration guide, edition {number}",
    )
    return edition


def _plain_lines(text):
    """Text as stored: stripped, with the browser's CRLF line ends made LF, so
    the same text from a form or a file compares equal."""
    return (text or "").replace("\r\n", "\n").strip()


def check_answers(answers):
    """Each answer one its question offers, or None (n/a)."""
    clean = {}
    for q in questions():
        value = answers.get(q.key)
        if value is not None and value not in dict(q.answers):
            raise DomainError(q.key, "Choose one of the answers, or n/a.")
        clean[q.key] = value
    return clean


def _set_answers(row, answers):
    for key, value in answers.items():
        setattr(row, key, value)


def record_readiness(actor, review, answers, notes, now):
    """The supporting Guardian's self-rating, before submission; one per
    Guardian and review, changed as often as they like until then."""
    if not can_record_readiness(actor, review):
        raise DomainError(
            "q1", "The readiness check is for the review's Guardian before submission."
        )
    answers = check_answers(answers)
    notes = _plain_lines(notes)
    if len(notes) > FEEDBACK_LIMIT:
        raise DomainError("notes", f"Keep the notes under {FEEDBACK_LIMIT} characters.")
    edition = guide_edition_in_force(now)
    check = db.session.scalar(
        select(ReadinessCheck).where(
            ReadinessCheck.review_id == review.id, ReadinessCheck.user_id == actor.id
        )
    )
    if check is None:
        check = ReadinessCheck(review_id=review.id, user_id=actor.id, created_at=now)
        try:
            with db.session.begin_nested():
                _fill_readiness(check, answers, notes, edition, now)
                db.session.add(check)
        except IntegrityError:
            raise DomainError(
                "q1", "Your readiness check was saved a moment ago: look again."
            ) from None
        return check
    _fill_readiness(check, answers, notes, edition, now)
    return check


def _fill_readiness(check, answers, notes, edition, now):
    _set_answers(check, answers)
    check.notes = notes
    check.guide_edition_id = edition.id
    check.updated_at = now


def edit_window(survey):
    return timedelta(days=current_app.config["PORTAL_SURVEY_EDIT_DAYS"])


def locks_at(survey):
    return survey.submitted_at + edit_window(survey)


def is_locked(survey, now):
    return now >= locks_at(survey)


def _check_text(feedback, private_note):
    feedback = _plain_lines(feedback)
    private_note = _plain_lines(private_note)
    for field, text in (("feedback", feedback), ("private_note", private_note)):
        if len(text) > FEEDBACK_LIMIT:
            raise DomainError(field, f"Keep it under {FEEDBACK_LIMIT} characters.")
    return feedback, private_note


def own_survey(review, reviewer_id):
    return db.session.scalar(
        select(Survey).where(
            Survey.review_id == review.id, Survey.reviewer_id == reviewer_id
        )
    )


def submit_survey(actor, review, answers, feedback, private_note, now):
    """File the reviewer's survey of an approved review, or edit it within the
    edit window. One per review and reviewer, whatever two requests do."""
    if not can_fill_survey(actor, review):
        raise DomainError(
            "q1", "Only the review's reviewers fill its survey, once it is approved."
        )
    answers = check_answers(answers)
    feedback, private_note = _check_text(feedback, private_note)
    survey = own_survey(review, actor.id)
    if survey is not None:
        return _edit_survey(actor, survey, answers, feedback, private_note, now)
    survey = Survey(
        review_id=review.id,
        reviewer_id=actor.id,
        submitted_at=now,
        updated_at=now,
        guide_edition_id=guide_edition_in_force(now).id,
    )
    _fill_survey(survey, answers, feedback, private_note)
    try:
        with db.session.begin_nested():
            db.session.add(survey)
    except IntegrityError:
        raise DomainError(
            "q1", "Your survey of this review was submitted a moment ago."
        ) from None
    refresh_review_score(review)
    review_rated.send(review, review=review, now=now)
    record_audit(
        actor,
        "survey.submit",
        "review",
        review.id,
        target_name=review.title,
        **answers,
    )
    for guardian in review.guardians:
        notify(
            guardian,
            "review_feedback",
            f"A reviewer rated “{review.title}”: read their feedback.",
            now=now,
            link="/reviews/mine",
        )
    return survey


def _fill_survey(survey, answers, feedback, private_note):
    _set_answers(survey, answers)
    survey.feedback_markdown = feedback
    survey.feedback_html = render_user_markdown(feedback)
    survey.private_note = private_note
    survey.score = scoring.survey_score(answers)


def _edit_survey(actor, survey, answers, feedback, private_note, now):
    if is_locked(survey, now):
        raise DomainError(
            "q1",
            f"This survey locked on {locks_at(survey):%d %B %Y}: "
            "it can no longer change.",
        )
    before = survey.answers
    texts_before = (survey.feedback_markdown, survey.private_note)
    _fill_survey(survey, answers, feedback, private_note)
    changes = {k: [before[k], v] for k, v in survey.answers.items() if v != before[k]}
    # The texts are long and the note is private: the log says they changed.
    if survey.feedback_markdown != texts_before[0]:
        changes["feedback"] = "changed"
    if survey.private_note != texts_before[1]:
        changes["private_note"] = "changed"
    if not changes:
        return survey
    survey.updated_at = now
    refresh_review_score(survey.review)
    review_rated.send(survey.review, review=survey.review, now=now)
    record_audit(
        actor,
        "survey.edit",
        "review",
        survey.review_id,
        target_name=survey.review.title,
        **changes,
    )
    return survey


def refresh_review_score(review):
    """The review's score from all its surveys (scoring.review_score)."""
    db.session.flush()
    rows = db.session.scalars(select(Survey).where(Survey.review_id == review.id)).all()
    review.score = scoring.review_score([s.answers for s in rows])
