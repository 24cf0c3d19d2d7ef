"""Checking a parsed reviews file against the database: teams and people
found in a fixed number of queries, and the rules for reviews already
imported (see portal.reviews.importer)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Org, Role, Team, User
from portal.extensions import db
from portal.reviews.import_file import CHUNK, PEOPLE_COLUMNS, shown
from portal.reviews.models import (
    Finding,
    Part,
    Review,
    ReviewPerson,
    ReviewStage,
    Survey,
)


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
