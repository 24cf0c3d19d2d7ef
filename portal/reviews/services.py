"""Recording security reviews: details, people, stages and findings.

Every stage change goes through ``move_review``: it checks the move against
the lifecycle table, records it in the review's history and the audit log, and
tells the team's Guardians (and, once approved, the reviewers that their survey
is due). Approval sends ``review_signed_off`` and a change of Guardians sends
``review_rated``: recognition awards badges and moves points
(portal.recognition.receivers).
"""

import re

from sqlalchemy import func, select, update

from portal.accounts.models import Role, Team, User
from portal.audit.services import record_audit
from portal.enrollment.queries import team_guardians
from portal.errors import DomainError, required_name
from portal.extensions import db
from portal.notifications.services import notify
from portal.reviews import lifecycle
from portal.reviews.models import (
    Finding,
    FindingStatus,
    Part,
    Review,
    ReviewEvent,
    ReviewPerson,
    Severity,
    Survey,
)
from portal.reviews.models import ReviewStage as S
from portal.reviews.permissions import acting_role, can_edit_review, can_record_reviews
from portal.reviews.signals import review_rated, review_signed_off
from portal.text import name_problem

MAX_PEOPLE = 10
MAX_COUNT = 10_000
TICKET = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
NOTE_LIMIT = 2000


def _check_ticket(url):
    url = (url or "").strip()
    # name_problem refuses control, invisible and direction-changing characters.
    if url and (len(url) > 500 or not TICKET.fullmatch(url) or name_problem(url)):
        raise DomainError(
            "ticket_url", "Give the ticket as an http:// or https:// link."
        )
    return url


def _check_dates(opened_on, closed_on=None):
    if closed_on is not None and closed_on < opened_on:
        raise DomainError("closed_on", "A review cannot close before it opened.")


def _team(team_id):
    team = db.session.get(Team, team_id) if team_id else None
    if team is None:
        raise DomainError("team_id", "Choose the team that owns the service.")
    return team


def split_emails(text):
    """The addresses in ``text``: separated by commas, semicolons, spaces or
    lines, lower-cased, each once."""
    return list(dict.fromkeys(e.lower() for e in re.split(r"[\s,;]+", text or "") if e))


def _people(emails, part, review, field):
    """The ids of the people for ``part``, found by email: each must hold the
    part's role, unless they are on the review already (kept when they have
    since lost it)."""
    emails = split_emails(emails) if isinstance(emails, str) else list(emails or [])
    if len(emails) > MAX_PEOPLE:
        raise DomainError(field, f"A review has at most {MAX_PEOPLE} of these.")
    users = {
        u.email.lower(): u
        for u in db.session.scalars(
            select(User).where(func.lower(User.email).in_(emails))
        )
    }
    unknown = [e for e in emails if e not in users]
    if unknown:
        raise DomainError(field, f"No account uses {unknown[0][:254]}.")
    role = Role.GUARDIAN if part == Part.GUARDIAN else Role.SECURITY_REVIEWER
    already = set(review.ids_of(part))
    for user in users.values():
        if user.id not in already and (role not in user.roles or not user.active):
            raise DomainError(
                field, f"{user.display_name} is not an active {role.label.lower()}."
            )
    return [users[e].id for e in emails]


def set_people(review, guardian_emails, reviewer_emails):
    """Make the review's Guardians and reviewers exactly these people (by email).

    Nobody is both (the database refuses it too), and a reviewer who has
    submitted a survey stays on the review.
    """
    guardian_ids = _people(guardian_emails, Part.GUARDIAN, review, "guardians")
    reviewer_ids = _people(reviewer_emails, Part.REVIEWER, review, "reviewers")
    if set(guardian_ids) & set(reviewer_ids):
        raise DomainError(
            "reviewers",
            "A reviewer cannot be the review's supporting Guardian: choose "
            "another reviewer.",
        )
    surveyed = set(
        db.session.scalars(
            select(Survey.reviewer_id).where(Survey.review_id == review.id)
        )
    )
    if surveyed - set(reviewer_ids):
        raise DomainError(
            "reviewers", "A reviewer who has filled the survey stays on the review."
        )
    wanted = dict.fromkeys(guardian_ids, Part.GUARDIAN)
    wanted.update(dict.fromkeys(reviewer_ids, Part.REVIEWER))
    # A person who changes part keeps their row (one row per person and review).
    review.people = [p for p in review.people if p.user_id in wanted]
    for person in review.people:
        person.part = wanted.pop(person.user_id)
    for uid, part in wanted.items():
        review.people.append(ReviewPerson(user_id=uid, part=part))
    db.session.flush()


def create_review(
    actor, *, title, team_id, ticket_url, opened_on, guardians, reviewers, now
):
    """Record a new review at "engagement initiated": reviewers and program
    managers."""
    if not can_record_reviews(actor):
        raise DomainError(
            "title", "Only security reviewers and program managers record reviews."
        )
    review = Review(
        title=required_name(title, "title"),
        team=_team(team_id),
        ticket_url=_check_ticket(ticket_url),
        opened_on=opened_on,
        stage=S.ENGAGED,
        stage_entered_at=now,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(review)
    db.session.flush()
    set_people(review, guardians, reviewers)
    db.session.add(
        ReviewEvent(
            review=review, to_stage=S.ENGAGED, actor_id=actor.id, created_at=now
        )
    )
    record_audit(
        actor,
        "review.create",
        "review",
        review.id,
        target_name=review.title,
        team=review.team.full_name,
    )
    _tell_guardians(
        review, f"A security review of “{review.title}” has begun.", now, actor
    )
    return review


def update_review(
    actor,
    review,
    *,
    title,
    team_id,
    ticket_url,
    opened_on,
    closed_on,
    guardians,
    reviewers,
    now,
):
    """Edit a review's details and people: its reviewers and program managers,
    never its supporting Guardian. Audited with what changed."""
    if not can_edit_review(actor, review):
        raise DomainError("title", "You cannot edit this review.")
    if closed_on is not None and not review.stage.is_closed:
        raise DomainError(
            "closed_on",
            "A review gets its closing date when it is approved or cancelled.",
        )
    if review.stage.is_closed and closed_on is None:
        raise DomainError("closed_on", "A closed review keeps a closing date.")
    _check_dates(opened_on, closed_on)
    before = _snapshot(review)
    review.title = required_name(title, "title")
    review.team = _team(team_id)
    review.ticket_url = _check_ticket(ticket_url)
    review.opened_on = opened_on
    review.closed_on = closed_on
    set_people(review, guardians, reviewers)
    review.updated_at = now
    changes = {
        key: [before[key], value]
        for key, value in _snapshot(review).items()
        if value != before[key]
    }
    if "guardians" in changes:
        review_rated.send(review, review=review, now=now)
    if changes:
        record_audit(
            actor,
            "review.update",
            "review",
            review.id,
            target_name=review.title,
            **changes,
        )
    return review


def _snapshot(review):
    return {
        "title": review.title,
        "team": review.team.full_name,
        "ticket_url": review.ticket_url,
        "opened_on": review.opened_on.isoformat(),
        "closed_on": review.closed_on.isoformat() if review.closed_on else None,
        "guardians": sorted(u.email for u in review.guardians),
        "reviewers": sorted(u.email for u in review.reviewers),
    }


def move_review(actor, review, to_stage, *, note="", now, seen_stage=None):
    """Move ``review`` to ``to_stage`` if the lifecycle allows this person to.

    ``seen_stage`` is the stage the person saw when they chose the move: if the
    review has moved on since, nothing happens and they are told.
    """
    role = acting_role(actor, review)
    from_stage = review.stage
    if seen_stage is not None and seen_stage != from_stage:
        raise DomainError(
            "stage",
            f"The review moved on since you looked: it is now at “{from_stage.label}”.",
        )
    if not lifecycle.allowed(from_stage, to_stage, role):
        raise DomainError(
            "stage",
            f"A review at “{from_stage.label}” cannot move to “{to_stage.label}”"
            + ("" if role else " (not yours to change)")
            + ".",
        )
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise DomainError("note", f"Keep the note under {NOTE_LIMIT} characters.")
    closed_on = max(now.date(), review.opened_on) if to_stage.is_closed else None
    moved = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.stage == from_stage)
        .values(
            stage=to_stage, stage_entered_at=now, updated_at=now, closed_on=closed_on
        )
    ).rowcount
    if moved != 1:
        raise DomainError("stage", "Someone else moved this review just now.")
    db.session.refresh(review)
    db.session.add(
        ReviewEvent(
            review_id=review.id,
            from_stage=from_stage,
            to_stage=to_stage,
            actor_id=actor.id,
            note=note,
            created_at=now,
        )
    )
    record_audit(
        actor,
        "review.stage",
        "review",
        review.id,
        target_name=review.title,
        stage=[from_stage.value, to_stage.value],
        note=note,
    )
    _tell_guardians(
        review, f"“{review.title}” is now at “{to_stage.label}”.", now, actor
    )
    if to_stage == S.APPROVED:
        review_signed_off.send(review, review=review, now=now)
        # Someone who has since lost the role cannot fill the survey any more.
        for reviewer in review.reviewers:
            if Role.SECURITY_REVIEWER not in reviewer.roles:
                continue
            notify(
                reviewer,
                "review_surveys",
                f"“{review.title}” is approved: please fill its end-of-review survey.",
                now=now,
                link=f"/reviews/{review.id}/survey",
            )
    return review


def _tell_guardians(review, message, now, actor):
    """The supporting Guardians and the team's Guardians hear of each step."""
    people = {u.id: u for u in review.guardians}
    people.update({u.id: u for u in team_guardians(review.team_id)})
    for person in people.values():
        if actor is None or person.id != actor.id:
            notify(person, "reviews", message, now=now, link=f"/reviews/{review.id}")


def _listed(review_id, severity):
    return (
        select(func.count())
        .select_from(Finding)
        .where(Finding.review_id == review_id, Finding.severity == severity)
        .scalar_subquery()
    )


def set_finding_counts(actor, review, counts, now):
    """The reviewer's counts of findings by severity; never below the number
    of findings listed for that severity."""
    if not can_edit_review(actor, review):
        raise DomainError("critical_count", "You cannot edit this review.")
    listed = dict(
        db.session.execute(
            select(Finding.severity, func.count())
            .where(Finding.review_id == review.id)
            .group_by(Finding.severity)
        ).all()
    )
    before = {s.value: review.count_of(s) for s in Severity}
    for severity in Severity:
        value = counts[severity]
        field = severity.count_column
        if value is None or not 0 <= value <= MAX_COUNT:
            raise DomainError(field, f"Give a whole number from 0 to {MAX_COUNT}.")
        if value < listed.get(severity, 0):
            raise DomainError(
                field,
                f"{listed[severity]} {severity.value} finding(s) are listed below.",
            )
        setattr(review, field, value)
    review.updated_at = now
    after = {s.value: review.count_of(s) for s in Severity}
    if after != before:
        record_audit(
            actor,
            "review.findings",
            "review",
            review.id,
            target_name=review.title,
            **{k: [before[k], after[k]] for k in after if after[k] != before[k]},
        )
    return review


def _check_finding(title, status, fixed_on, opened_on):
    title = required_name(title, "title")
    if status == FindingStatus.FIXED and fixed_on is None:
        raise DomainError("fixed_on", "Give the date the finding was fixed.")
    if status != FindingStatus.FIXED:
        fixed_on = None
    if fixed_on is not None and fixed_on < opened_on:
        raise DomainError(
            "fixed_on", "A finding cannot be fixed before the review opened."
        )
    return title, fixed_on


def add_finding(actor, review, *, title, severity, status, fixed_on, now):
    """List one finding; the count of its severity grows to match if needed."""
    if not can_edit_review(actor, review):
        raise DomainError("title", "You cannot edit this review.")
    title, fixed_on = _check_finding(title, status, fixed_on, review.opened_on)
    finding = Finding(
        review_id=review.id,
        title=title,
        severity=severity,
        status=status,
        fixed_on=fixed_on,
        created_at=now,
    )
    db.session.add(finding)
    db.session.flush()
    column = getattr(Review, severity.count_column)
    listed = _listed(review.id, severity)
    db.session.execute(
        update(Review)
        .where(Review.id == review.id, column < listed)
        .values({column: listed, Review.updated_at: now})
    )
    db.session.refresh(review)
    record_audit(
        actor,
        "review.finding_add",
        "review",
        review.id,
        target_name=review.title,
        finding=title,
        severity=severity.value,
    )
    return finding


def update_finding(actor, finding, *, status, fixed_on, now):
    """Change a listed finding's status (and fixed date)."""
    review = finding.review
    if not can_edit_review(actor, review):
        raise DomainError("status", "You cannot edit this review.")
    _, fixed_on = _check_finding(finding.title, status, fixed_on, review.opened_on)
    before = (finding.status.value, finding.fixed_on)
    finding.status, finding.fixed_on = status, fixed_on
    review.updated_at = now
    record_audit(
        actor,
        "review.finding_update",
        "review",
        review.id,
        target_name=review.title,
        finding=finding.title,
        status=[before[0], status.value],
    )
    return finding


def remove_finding(actor, finding, now):
    """Take a finding off the list (its severity's count stays as entered)."""
    review = finding.review
    if not can_edit_review(actor, review):
        raise DomainError("status", "You cannot edit this review.")
    db.session.delete(finding)
    review.updated_at = now
    record_audit(
        actor,
        "review.finding_remove",
        "review",
        review.id,
        target_name=review.title,
        finding=finding.title,
    )
    return review
