"""What the runner looks up and times besides pages: a quiz taken, a notify() call."""

import time
import uuid

from sqlalchemy import func, insert, select

from bench.common import (
    BENCH_PASSWORD,
    ENGINEER_EMAIL,
    GUARDIAN_EMAIL,
    REVIEWER_EMAIL,
)
from portal.accounts.models import Team, User
from portal.audit.models import AuditEvent
from portal.database import utcnow
from portal.enrollment.models import Cohort
from portal.extensions import db
from portal.notifications.services import notify
from portal.reviews.models import Part, Review, ReviewPerson, ReviewStage, Survey
from portal.training.grading import correct_response
from portal.training.models import Module, QuizAttempt

# A surname the seeder uses: about 1 in 60 people carry it.
SEARCHED_NAME = "nguyen"
QUIZ_MODULE = "guardian-role"  # no prerequisites, so a newcomer can take it


def lookup_targets():
    """Ids for the page paths: the biggest org and team, the fullest cohort with
    seats left, the most common audit action, the bench reviewer's latest
    approved review, the bench Guardian."""
    members = func.count(User.id)
    biggest_org = db.session.execute(
        select(Team.org_id, members)
        .join(User, User.team_id == Team.id)
        .where(User.active.is_(True))
        .group_by(Team.org_id)
        .order_by(members.desc())
        .limit(1)
    ).first()
    biggest_team = db.session.execute(
        select(User.team_id, members)
        .where(User.active.is_(True), User.team_id.isnot(None))
        .group_by(User.team_id)
        .order_by(members.desc())
        .limit(1)
    ).first()
    cohort = db.session.scalar(
        select(Cohort.id)
        .where(Cohort.seats_taken < Cohort.capacity)
        .order_by(Cohort.seats_taken.desc())
        .limit(1)
    )
    action = db.session.scalar(
        select(AuditEvent.action)
        .group_by(AuditEvent.action)
        .order_by(func.count().desc())
        .limit(1)
    )
    targets = {
        "dialect": db.engine.dialect.name,
        "org": biggest_org[0],
        "team": biggest_team[0],
        "cohort": cohort,
        "action": action,
        "review": _reviewed(),
        "guardian": db.session.scalar(
            select(User.id).where(User.email == GUARDIAN_EMAIL)
        ),
        "slug": QUIZ_MODULE,
        "name": SEARCHED_NAME,
    }
    db.session.remove()
    return targets


def _reviewed():
    """The bench reviewer's latest approved review with their survey in (the
    review page then shows the surveys, and the survey page their answers)."""
    return db.session.scalar(
        select(Review.id)
        .join(ReviewPerson, ReviewPerson.review_id == Review.id)
        .join(User, User.id == ReviewPerson.user_id)
        .join(
            Survey,
            (Survey.review_id == Review.id) & (Survey.reviewer_id == User.id),
        )
        .where(
            User.email == REVIEWER_EMAIL,
            ReviewPerson.part == Part.REVIEWER,
            Review.stage == ReviewStage.APPROVED,
        )
        .order_by(Review.closed_on.desc(), Review.id.desc())
        .limit(1)
    )


def _quiz_takers(count):
    """Fresh people who have never taken a quiz, in the bench engineer's team."""
    engineer = db.session.scalar(select(User).where(User.email == ENGINEER_EMAIL))
    run = uuid.uuid4().hex[:8]
    emails = [f"bench-quiz-{run}-{n}@example.com" for n in range(count)]
    db.session.execute(
        insert(User),
        [
            {
                "email": email,
                "display_name": f"Quiz Taker {n}",
                "password_hash": engineer.password_hash,
                "team_id": engineer.team_id,
                "email_verified_at": utcnow(),
                "created_at": utcnow(),
            }
            for n, email in enumerate(emails)
        ],
    )
    db.session.commit()
    return emails


def _right_answers(attempt):
    """The quiz form filled in correctly, under the attempt's own tokens."""
    version = attempt.module_version
    data = {}
    for entry in attempt.layout:
        question = version.question(entry["q"])
        response = correct_response(question)
        if entry["c"]:
            token_of = {choice_id: token for token, choice_id in entry["c"]}
            response = [token_of[r] for r in response]
        data[entry["f"]] = response if question["type"] == "multiple" else response[0]
    return data


def _timed(counter, action, *args, **kwargs):
    counter.reset()
    started = time.perf_counter()
    response = action(*args, **kwargs)
    return response, (time.perf_counter() - started) * 1000, counter.count


def time_quiz(app, counter, samples):
    """Start and submit a first attempt (all answers right), each by a newcomer."""
    with app.app_context():
        emails = _quiz_takers(samples + 1)
        module_id = db.session.scalar(
            select(Module.id).where(Module.slug == QUIZ_MODULE)
        )
        db.session.remove()
    results = []
    for email in emails:
        client = app.test_client()
        client.post("/auth/login", data={"email": email, "password": BENCH_PASSWORD})
        start = f"/training/modules/{QUIZ_MODULE}/attempts"
        response, start_ms, start_statements = _timed(counter, client.post, start)
        attempt_path = response.headers["Location"]
        with app.app_context():
            attempt_id = int(attempt_path.rstrip("/").rsplit("/", 1)[1])
            attempt = db.session.get(QuizAttempt, attempt_id)
            data = _right_answers(attempt)
            db.session.remove()
        response, submit_ms, submit_statements = _timed(
            counter, client.post, attempt_path, data=data
        )
        with app.app_context():
            attempt = db.session.get(QuizAttempt, attempt_id)
            if response.status_code != 302 or not attempt.passed:
                raise SystemExit(f"quiz submission failed for module {module_id}")
            db.session.remove()
        results.append((start_ms + submit_ms, start_statements + submit_statements))
    return [("quiz: start + submit an attempt", "newcomer", results[1:])]


def time_notify(app, counter, samples):
    """notify() and commit: a new notification, then one folded into its group."""
    created, folded = [], []
    with app.app_context():
        engineer = db.session.scalar(select(User).where(User.email == ENGINEER_EMAIL))
        for _ in range(samples + 1):
            key = f"bench:{uuid.uuid4().hex}"
            for bucket in (created, folded):
                _, millis, statements = _timed(counter, _notify, engineer, key)
                bucket.append((millis, statements))
        db.session.remove()
    return [
        ("notify(): new notification", "engineer", created[1:]),
        ("notify(): folded into unread group", "engineer", folded[1:]),
    ]


def _notify(recipient, group_key):
    notify(
        recipient,
        "enrollment",
        "New reply in a thread you follow",
        now=utcnow(),
        link="/notifications",
        group_key=group_key,
        title_many="{count} new replies in a thread you follow",
    )
    db.session.commit()
