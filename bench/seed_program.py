"""Guardian enrollments with their history, cohorts and their due dates."""

from datetime import timedelta

from portal.enrollment.models import (
    Cohort,
    CohortDueDate,
    Enrollment,
    EnrollmentEvent,
)
from portal.enrollment.models import EnrollmentStatus as S
from portal.training.models import ModuleDueDate

# Share of enrollments per status; the open ones belong to distinct people.
STATUS_MIX = [
    (S.ACTIVE, 0.40),
    (S.APPLIED, 0.20),
    (S.IN_TRAINING, 0.085),
    (S.ALUMNI, 0.08),
    (S.DECLINED, 0.075),
    (S.WITHDRAWN, 0.06),
    (S.APPROVED, 0.04),
    (S.CERTIFIED, 0.035),
    (S.NOMINATED, 0.025),
]
CLOSED = {S.ALUMNI, S.DECLINED, S.WITHDRAWN}
# The steps each status went through, from the first one.
PATHS = {
    S.NOMINATED: [S.NOMINATED],
    S.APPLIED: [S.APPLIED],
    S.APPROVED: [S.APPLIED, S.APPROVED],
    S.IN_TRAINING: [S.APPLIED, S.APPROVED, S.IN_TRAINING],
    S.CERTIFIED: [S.APPLIED, S.APPROVED, S.IN_TRAINING, S.CERTIFIED],
    S.ACTIVE: [S.APPLIED, S.APPROVED, S.IN_TRAINING, S.CERTIFIED, S.ACTIVE],
    S.ALUMNI: [S.APPLIED, S.APPROVED, S.IN_TRAINING, S.CERTIFIED, S.ACTIVE, S.ALUMNI],
    S.DECLINED: [S.APPLIED, S.DECLINED],
    S.WITHDRAWN: [S.APPLIED, S.WITHDRAWN],
}
# Which cohorts (by index, oldest first) a seated status was placed in.
COHORT_RANGE = {
    S.ALUMNI: (0, 6),
    S.ACTIVE: (0, 14),
    S.CERTIFIED: (12, 16),
    S.IN_TRAINING: (14, 17),
    S.APPROVED: (17, 20),
}


def _cohorts(rng, now, count, creator_id):
    """Monthly cohorts, the last few still to start (with seats left)."""
    cohorts = []
    for index in range(count):
        start = (now - timedelta(days=30 * (count - 4 - index))).date()
        cohorts.append(
            {
                "id": index + 1,
                "name": f"Cohort {start:%Y-%m} #{index + 1}",
                "start_date": start,
                "capacity": 1,
                "seats_taken": 0,
                "created_by_id": creator_id,
                "created_at": now - timedelta(days=30 * (count - index) + 20),
            }
        )
    return cohorts


def _cohort_span(low, high, count):
    """COHORT_RANGE is given for 20 cohorts; map it onto ``count``."""
    start = min(low * count // 20, count - 1)
    return start, max(start + 1, min(high * count // 20, count))


def _pick_people(rng, people, counts):
    """Distinct people for open enrollments; some closed ones reuse them."""
    open_total = sum(n for status, n in counts.items() if status not in CLOSED)
    closed_total = sum(counts.values()) - open_total
    fresh = rng.sample(people, open_total + closed_total)
    open_people = fresh[:open_total]
    reapplied = rng.sample(open_people, closed_total // 4)
    closed_people = (
        reapplied + fresh[open_total : open_total + closed_total - len(reapplied)]
    )
    return iter(open_people), iter(closed_people)


def _enrollment(rng, now, number, user, status, cohort_id):
    days_ago = rng.randint(1, 90) if status in (S.APPLIED, S.NOMINATED) else None
    created = now - timedelta(days=days_ago or rng.randint(60, 720), minutes=number)
    steps = PATHS[status]
    updated = min(now, created + timedelta(days=12 * (len(steps) - 1)))
    stepping_down = status == S.ACTIVE and rng.random() < 0.08
    return {
        "id": number,
        "user_id": user["id"],
        "status": status,
        "guarded_team_id": user["team_id"],
        "motivation": "I want to help my team ship secure software.",
        "manager_email": f"manager{user['id'] % 500}@example.com",
        "hours_per_week": rng.randint(1, 8),
        "nominated_by_id": None,
        "cohort_id": cohort_id,
        "decision_reason": "Not this time." if status == S.DECLINED else "",
        "steps_down_on": (now + timedelta(days=rng.randint(5, 60))).date()
        if stepping_down
        else None,
        "created_at": created,
        "updated_at": updated,
    }


def _events(enrollment, actor_id):
    steps, created = PATHS[enrollment["status"]], enrollment["created_at"]
    previous = None
    for index, status in enumerate(steps):
        yield {
            "enrollment_id": enrollment["id"],
            "from_status": previous,
            "to_status": status,
            "actor_id": actor_id if index else enrollment["user_id"],
            "reason": "",
            "created_at": min(
                enrollment["updated_at"], created + timedelta(days=12 * index)
            ),
        }
        previous = status


def seed_program(loader, rng, now, *, total, cohort_count, people, pm_id, required):
    """Enrollments (one open per person), their events, cohorts and due dates.

    Returns {status: [user ids]} for the training and role seeders.
    """
    counts = {status: round(total * share) for status, share in STATUS_MIX}
    open_people, closed_people = _pick_people(rng, people, counts)
    cohorts = _cohorts(rng, now, cohort_count, pm_id)
    enrollments, by_status = [], {status: [] for status in counts}
    for status, count in counts.items():
        for _ in range(count):
            user = next(closed_people if status in CLOSED else open_people)
            cohort_id = None
            low, high = COHORT_RANGE.get(status, (0, 0))
            if high and (status != S.ACTIVE or rng.random() < 0.4):
                index = rng.randrange(*_cohort_span(low, high, cohort_count))
                cohort_id = cohorts[index]["id"]
                cohorts[index]["seats_taken"] += 1
            enrollment = _enrollment(
                rng, now, len(enrollments) + 1, user, status, cohort_id
            )
            enrollments.append(enrollment)
            by_status[status].append(user["id"])
    for cohort in cohorts:
        upcoming = cohort["start_date"] > now.date()
        free = rng.randint(15, 30) if upcoming else rng.randint(0, 3)
        cohort["capacity"] = max(1, cohort["seats_taken"] + free)
    loader.insert(Cohort, cohorts)
    loader.insert(
        CohortDueDate,
        (
            {
                "cohort_id": c["id"],
                "module_id": m,
                "due_on": c["start_date"] + timedelta(days=14 * (k + 1)),
            }
            for c in cohorts
            for k, m in enumerate(required)
        ),
    )
    loader.insert(Enrollment, enrollments)
    loader.insert(
        EnrollmentEvent, (e for en in enrollments for e in _events(en, pm_id))
    )
    _due_dates(loader, now, enrollments, required)
    return by_status


def _due_dates(loader, now, enrollments, required):
    loader.insert(
        ModuleDueDate,
        (
            {
                "user_id": e["user_id"],
                "module_id": m,
                "due_on": (now + timedelta(days=7 * (k + 1))).date(),
            }
            for e in enrollments
            if e["status"] == S.IN_TRAINING
            for k, m in enumerate(required)
        ),
    )
