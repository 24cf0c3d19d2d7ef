"""Review reminders: surveys not filled after approval, and reviews stuck in
one stage, flagged to program managers for their weekly digest."""

from flask import current_app
from sqlalchemy import select

from portal.accounts.models import Role, RoleGrant, User
from portal.extensions import db
from portal.jobs.services import claim_reminder
from portal.notifications.jobs import iso_week
from portal.notifications.services import notify
from portal.reviews import queries


def send_survey_reminders(now):
    """Remind each reviewer still missing the survey of an approved review,
    PORTAL_SURVEY_REMINDER_DAYS after approval: once per review and reviewer."""
    days = current_app.config["PORTAL_SURVEY_REMINDER_DAYS"]
    sent = 0
    for review, person in queries.surveys_due(now, days):
        if Role.SECURITY_REVIEWER not in person.user.roles:
            continue  # no longer a reviewer: the survey page would refuse them
        if not claim_reminder(
            f"survey-due:{review.id}:{person.user_id}", person.user_id, now
        ):
            continue
        notify(
            person.user,
            "review_surveys",
            f"Reminder: the end-of-review survey of “{review.title}” is still to fill.",
            now=now,
            link=f"/reviews/{review.id}/survey",
        )
        sent += 1
    return f"{sent} survey reminder(s) sent"


def _program_managers():
    return db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.PROGRAM_MANAGER, User.active.is_(True))
    ).all()


def flag_stuck_reviews(now):
    """Tell each program manager, once a week, how many reviews have sat in one
    stage for PORTAL_REVIEW_STUCK_DAYS days or more (their digest carries it)."""
    days = current_app.config["PORTAL_REVIEW_STUCK_DAYS"]
    stuck = queries.stuck_review_count(now, days)
    if not stuck:
        return "0 stuck review(s)"
    week = iso_week(now)
    flagged = 0
    for manager in _program_managers():
        if not claim_reminder(f"reviews-stuck:{week}:{manager.id}", manager.id, now):
            continue
        notify(
            manager,
            "review_stalls",
            f"{stuck} security review(s) have sat in one stage for {days} days "
            "or more.",
            now=now,
            link="/reviews/stuck",
        )
        flagged += 1
    return f"{stuck} stuck review(s) flagged to {flagged} program manager(s)"
