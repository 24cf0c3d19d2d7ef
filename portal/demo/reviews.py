"""Demo security reviews: a year of them over the demo teams, about half
supported by a Guardian (Grace for Checkout, Marcus for Identity, and now and
then either of them for a team without its own Guardian).

Supported reviews come out as the program reports them: about 22.5% fewer
medium and high findings, about 26.9% less time from opening to approval, and
better surveys. Rosa Reviewer has open reviews at every stage and two approved
ones waiting for her survey; Grace has rated reviews in each of the last four
quarters, so her trend shows. Rows go in through the models, without
notifications or audit, as an import of the program's history would.

Each review draws from a random generator of its own, seeded by its number,
so the same reviews come out every time, whatever the date.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from portal.accounts.models import Team, User
from portal.extensions import db
from portal.rendering import render_user_markdown
from portal.reviews import scoring
from portal.reviews.models import (
    Finding,
    FindingStatus,
    Part,
    ReadinessCheck,
    Review,
    ReviewEvent,
    ReviewPerson,
    Severity,
    Survey,
)
from portal.reviews.models import ReviewStage as S
from portal.reviews.surveys import guide_edition_in_force, refresh_review_score

SEED = 115
APPROVED = 124
CANCELLED = 6
# The program's headline: supported reviews have 22.5% fewer medium and high
# findings and take 26.9% less time from opening to approval.
SUPPORTED_FINDINGS = 0.775
SUPPORTED_DURATION = 0.731
GRACE_PER_QUARTER = 4
PEOPLE = {
    "rosa": "reviewer@example.com",
    "hannah": "hannah.schmidt@example.com",
    "arjun": "arjun.mehta@example.com",
    "grace": "guardian@example.com",
    "marcus": "mentor@example.com",
    "priya": "pm@example.com",
}
OWN_GUARDIAN = {"Checkout": "grace", "Identity": "marcus"}
ORG_GUARDIANS = {
    "Payments": ["grace"],
    "Platform": ["marcus"],
    "Consumer": ["grace", "marcus"],
}
REVIEWER_WEIGHTS = {"rosa": 2, "hannah": 1, "arjun": 1}

# stage, team, Guardian, reviewers, days open, days at this stage
OPEN = [
    (S.ENGAGED, "Checkout", "grace", ["rosa"], 4, 4),
    (S.GUIDANCE, "Search", None, ["rosa"], 52, 41),
    (S.IMPLEMENTED, "Identity", "marcus", ["rosa", "hannah"], 30, 6),
    (S.SUBMITTED, "Billing", "grace", ["rosa"], 34, 2),
    (S.SUBMITTED, "Web Storefront", None, ["rosa"], 40, 9),
    (S.IN_REVIEW, "Identity", "marcus", ["rosa"], 45, 5),
    (S.ENGAGED, "Fraud Detection", None, ["hannah"], 12, 12),
    (S.GUIDANCE, "Checkout", "grace", ["arjun"], 20, 8),
    (S.SUBMITTED, "Data Infrastructure", None, ["hannah"], 60, 35),
    (S.IN_REVIEW, "Mobile App", None, ["arjun", "rosa"], 50, 11),
    (S.IMPLEMENTED, "Checkout", "grace", ["hannah"], 28, 4),
]
# Approved lately, Rosa's survey still to come: team, Guardian, reviewers,
# days since approval, days it took.
WAITING = [
    ("Checkout", "grace", ["rosa", "hannah"], 2, 31),
    ("Search", None, ["rosa"], 6, 47),
]

SUBJECTS = {
    "Checkout": ["Card tokenization", "Express checkout", "Payment webhooks"],
    "Billing": ["Invoice export", "Subscription proration", "Tax engine"],
    "Fraud Detection": ["Risk scoring", "Chargeback portal", "Device fingerprinting"],
    "Identity": ["Passkey sign-in", "OAuth device flow", "SCIM provisioning"],
    "Developer Tools": ["CI runner images", "Secrets broker", "Package mirror"],
    "Data Infrastructure": ["Event pipeline", "Warehouse access", "Backup vault"],
    "Mobile App": ["In-app chat", "Offline sync", "Biometric unlock"],
    "Web Storefront": ["Product reviews", "Gift cards", "Image uploads"],
    "Search": ["Query autocomplete", "Indexer service", "Personalised ranking"],
}
KINDS = [
    "design review", "launch review", "penetration test", "v2 migration",
    "third-party integration", "re-review after redesign",
]  # fmt: skip
FEEDBACK = {
    "good": [
        "The architecture diagram made this review fast: every trust boundary "
        "was marked and the data flows matched what we found deployed.",
        "Great threat model. The **abuse cases** for the refund flow were the "
        "ones we would have raised ourselves.",
        "Every account and pipeline was listed with its owner, so scoping the "
        "penetration test took an hour instead of a day.",
        "Configurations were in place before submission: encryption, logging "
        "and least-privilege roles all checked out.",
        "Thanks for walking through the design with your Guardian first; most "
        "of our questions were answered before we asked them.",
    ],
    "mixed": [
        "The design document is solid, but the data flow for the `export` jobs "
        "was missing its protection details.",
        "Most resources were identified; we found two pipelines and a staging "
        "account that were not on the list.",
        'Threat model answers were specific for the API but generic ("we use '
        'TLS") for the batch jobs.',
        "Next time, add the admin entry points to the diagram:\n\n"
        "- who can reach them\n- how they authenticate",
    ],
    "poor": [
        "There was no architecture diagram, so the first week went into "
        "discovering how the service works.",
        "Several resources were missing from the list, including the production "
        "account and the deploy pipeline.",
        "The threat model was mostly unanswered. Please book time with a "
        "Guardian before the next submission.",
        "Public access was not blocked on two buckets and logging was off in "
        "production. Both are fixed now, but they should have been caught "
        "before submission.",
    ],
}
PRIVATE_NOTES = [
    "Very responsive team: worth a mention in the program newsletter.",
    "Second review in a row with missing resources; this team could use a Guardian.",
]
READINESS_NOTES = [
    "Walked through the diagram and the threat model with the team.",
    "Checked the resource list against the accounts console; Q3 still has one "
    "open item.",
    "",
]
SENT_BACK = "Sent back to guidance: the threat model does not cover the admin API."
CANCEL_NOTES = [
    "The project was shelved.",
    "Merged into another review.",
    "The vendor integration was dropped.",
]
FINDINGS = [
    ("IDOR on the order endpoint exposes other customers' orders", Severity.HIGH),
    ("Storage bucket allows public listing", Severity.HIGH),
    ("Webhook signatures are not verified", Severity.CRITICAL),
    ("Session cookie lacks the Secure flag", Severity.MEDIUM),
    ("No rate limit on the password reset endpoint", Severity.MEDIUM),
    ("Outdated TLS settings on the internal load balancer", Severity.MEDIUM),
    ("Stack traces returned in API errors", Severity.LOW),
    ("Server banner names the framework version", Severity.INFORMATIONAL),
]


@dataclass
class Plan:
    """One review to create: who, when, which stages, and how good the work was."""

    rng: random.Random
    team: Team
    guardian: User | None
    reviewers: list
    stages: list
    opened_at: datetime
    ended_at: datetime  # when it entered its last stage
    quality: float = 3.0  # the team's work, as the reviewers will rate it
    surveyed: list = field(default_factory=list)
    closer: User | None = None  # who cancels it
    counted: bool = False  # the reviewers counted findings


def seed_reviews(now):
    """A year of demo reviews; call after the people and enrollments exist."""
    people = {
        key: db.session.scalar(select(User).where(User.email == email))
        for key, email in PEOPLE.items()
    }
    teams = {t.name: t for t in db.session.scalars(select(Team).order_by(Team.id))}
    plans = [
        *_closed_plans(now, people, teams),
        *_waiting_plans(now, people, teams),
        *_open_plans(now, people, teams),
    ]
    plans.sort(key=lambda p: p.opened_at)
    edition = guide_edition_in_force(plans[0].opened_at)
    for plan in plans:
        _insert(plan, edition, now)
    db.session.flush()


def _generator(group, number):
    """The random generator of one review: the same draws on every run."""
    return random.Random(f"{SEED}:{group}:{number}")  # noqa: S311 - demo data


def _quarter_windows(now):
    """The last four calendar quarters as (first, last) closing dates; the
    current quarter counts once it is three weeks old."""
    last = (now - timedelta(days=3)).date()
    year, quarter = last.year, (last.month - 1) // 3
    if (last - date(year, 3 * quarter + 1, 1)).days < 21:
        year, quarter = year - (quarter == 0), (quarter - 1) % 4
    windows = []
    for _ in range(4):
        following = date(year + (quarter == 3), 3 * ((quarter + 1) % 4) + 1, 1)
        windows.append(
            (date(year, 3 * quarter + 1, 1), min(following - timedelta(1), last))
        )
        year, quarter = year - (quarter == 0), (quarter - 1) % 4
    return windows[::-1]


def _between(first, last, share):
    start = datetime.combine(first, time(8), tzinfo=UTC)
    end = datetime.combine(last, time(17), tzinfo=UTC)
    return start + (end - start) * share


def _days_ago(now, days, hour):
    return datetime.combine((now - timedelta(days=days)).date(), time(hour), UTC)


def _path(supported, sent_back=False):
    """The stages of an approved review, in order."""
    rounds = [S.GUIDANCE, *([S.IMPLEMENTED] if supported else []), S.SUBMITTED]
    again = [*rounds, S.IN_REVIEW] if sent_back else []
    return [S.ENGAGED, *rounds, S.IN_REVIEW, *again, S.APPROVED]


def _team_and_guardian(rng, teams, people):
    names = list(SUBJECTS)
    name = rng.choices(names, [2.2 if n in OWN_GUARDIAN else 1 for n in names])[0]
    team = teams[name]
    if name in OWN_GUARDIAN:
        supported = rng.random() < 0.85
        return team, people[OWN_GUARDIAN[name]] if supported else None
    if rng.random() < 0.32:
        return team, people[rng.choice(ORG_GUARDIANS[team.org.name])]
    return team, None


def _reviewers(rng, team, people):
    """One or two reviewers, never of the team under review."""
    eligible = [k for k in REVIEWER_WEIGHTS if people[k].team_id != team.id]
    first = rng.choices(eligible, [REVIEWER_WEIGHTS[k] for k in eligible])[0]
    chosen, others = [first], [k for k in eligible if k != first]
    if rng.random() < 0.25 and others:
        chosen.append(rng.choice(others))
    return [people[k] for k in chosen]


def _closed_plans(now, people, teams):
    """Approved reviews (Grace's first ones placed quarter by quarter), then
    the cancelled ones."""
    windows = _quarter_windows(now)
    year = (min(windows[0][0], (now - timedelta(days=365)).date()), windows[-1][1])
    plans, placed = [], 0
    for number in range(APPROVED + CANCELLED):
        rng = _generator("closed", number)
        team, guardian = _team_and_guardian(rng, teams, people)
        reviewers = _reviewers(rng, team, people)
        supported = guardian is not None
        days = rng.lognormvariate(math.log(40), 0.3)
        days *= SUPPORTED_DURATION if supported else 1
        window = year
        place = guardian is people["grace"] and number < APPROVED
        if place and placed < 4 * GRACE_PER_QUARTER:
            window, placed = windows[placed % 4], placed + 1
        ended_at = _between(*window, rng.random())
        plan = Plan(
            rng,
            team,
            guardian,
            reviewers,
            stages=_path(supported, rng.random() < (0.1 if supported else 0.25)),
            opened_at=ended_at - timedelta(days=days),
            ended_at=ended_at,
            quality=rng.gauss(3.9 if supported else 2.9, 0.5),
            counted=True,
        )
        if number < APPROVED:
            # Rosa fills hers; now and then another reviewer never does.
            plan.surveyed = [
                r
                for r in reviewers
                if rng.random() < 0.95 or place or r is people["rosa"]
            ]
        else:
            _cancel(plan, people)
        plans.append(plan)
    return plans


def _cancel(plan, people):
    rng = plan.rng
    stages = _path(plan.guardian is not None)
    stopped = rng.choice([S.ENGAGED, S.GUIDANCE, S.GUIDANCE, S.SUBMITTED])
    plan.stages = [*stages[: stages.index(stopped) + 1], S.CANCELLED]
    plan.closer = people["priya"] if rng.random() < 0.5 else plan.reviewers[0]
    plan.counted = False


def _waiting_plans(now, people, teams):
    plans = []
    for number, (team, guardian, reviewers, ago, days) in enumerate(WAITING):
        ended_at = _days_ago(now, ago, 15)
        plan = Plan(
            _generator("waiting", number),
            teams[team],
            people[guardian] if guardian else None,
            [people[k] for k in reviewers],
            _path(guardian is not None),
            opened_at=ended_at - timedelta(days=days),
            ended_at=ended_at,
            quality=3.9 if guardian else 2.9,
            counted=True,
        )
        plan.surveyed = [people[k] for k in reviewers if k != "rosa"]
        plans.append(plan)
    return plans


def _open_plans(now, people, teams):
    plans = []
    for number, (stage, team, guardian, reviewers, opened, since) in enumerate(OPEN):
        stages = _path(guardian is not None)
        plans.append(
            Plan(
                _generator("open", number),
                teams[team],
                people[guardian] if guardian else None,
                [people[k] for k in reviewers],
                stages[: stages.index(stage) + 1],
                opened_at=_days_ago(now, opened, 9),
                ended_at=_days_ago(now, since, 9 if opened == since else 14),
                quality=3.9 if guardian else 2.9,
                counted=stage == S.IN_REVIEW,
            )
        )
    return plans


def _poisson(rng, mean):
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count, product = count + 1, product * rng.random()
    return count


def _counts(plan):
    """Findings by severity: fewer medium and high ones on supported reviews."""
    if not plan.counted:
        return {s: 0 for s in Severity}
    rng, factor = plan.rng, SUPPORTED_FINDINGS if plan.guardian else 1
    means = {
        Severity.CRITICAL: 0.08 * factor,
        Severity.HIGH: 1.3 * factor,
        Severity.MEDIUM: 2.9 * factor,
        Severity.LOW: 3.0,
        Severity.INFORMATIONAL: 1.5,
    }
    return {s: _poisson(rng, mean) for s, mean in means.items()}


def _times(plan):
    """When the review entered each of its stages."""
    rng, start, end = plan.rng, plan.opened_at, plan.ended_at
    middle = sorted(start + (end - start) * rng.random() for _ in plan.stages[2:])
    return [start, *middle, end][-len(plan.stages) :]


def _events(plan, times):
    events, previous = [], None
    for stage, at in zip(plan.stages, times, strict=True):
        actor, note = plan.reviewers[0], ""
        if S.IMPLEMENTED in (stage, previous):
            actor = plan.guardian
        elif stage == S.CANCELLED:
            actor, note = plan.closer, plan.rng.choice(CANCEL_NOTES)
        elif previous == S.IN_REVIEW and stage == S.GUIDANCE:
            note = SENT_BACK
        events.append(
            ReviewEvent(
                from_stage=previous,
                to_stage=stage,
                actor_id=actor.id,
                note=note,
                created_at=at,
            )
        )
        previous = stage
    return events


def _findings(plan, counts, times, today):
    """A few findings listed by name, on about one review in five."""
    rng, listed = plan.rng, []
    found_at = times[plan.stages.index(S.IN_REVIEW)] if plan.counted else None
    if rng.random() > 0.2:
        return listed
    left = dict(counts)
    for title, severity in rng.sample(FINDINGS, 3):
        if left[severity] == 0:
            continue
        left[severity] -= 1
        status = rng.choices(list(FindingStatus), [2, 6, 2])[0]
        if plan.stages[-1] != S.APPROVED:
            status = FindingStatus.OPEN
        fixed_on = None
        if status == FindingStatus.FIXED:
            fixed_on = plan.ended_at.date() - timedelta(days=rng.randint(0, 5))
            fixed_on = min(max(fixed_on, plan.opened_at.date()), today)
        listed.append(
            Finding(
                title=title,
                severity=severity,
                status=status,
                fixed_on=fixed_on,
                created_at=found_at,
            )
        )
    return listed


def _people(plan):
    guardians = [plan.guardian] if plan.guardian else []
    return [ReviewPerson(user_id=g.id, part=Part.GUARDIAN) for g in guardians] + [
        ReviewPerson(user_id=r.id, part=Part.REVIEWER) for r in plan.reviewers
    ]


def _insert(plan, edition, now):
    counts = _counts(plan)
    times = _times(plan)
    stage, rng = plan.stages[-1], plan.rng
    review = Review(
        title=f"{rng.choice(SUBJECTS[plan.team.name])}: {rng.choice(KINDS)}",
        team=plan.team,
        ticket_url=f"https://tickets.example.com/browse/SEC-{rng.randint(1000, 9999)}",
        opened_on=plan.opened_at.date(),
        closed_on=plan.ended_at.date() if stage.is_closed else None,
        stage=stage,
        stage_entered_at=plan.ended_at,
        **{s.count_column: n for s, n in counts.items()},
        created_by_id=plan.reviewers[0].id,
        created_at=plan.opened_at,
        updated_at=plan.ended_at,
        people=_people(plan),
        events=_events(plan, times),
        findings=_findings(plan, counts, times, now.date()),
    )
    db.session.add(review)
    db.session.flush()
    _readiness(plan, review, times, edition, now)
    for reviewer in plan.surveyed:
        db.session.add(_survey(plan, review, reviewer, edition, now))
    if plan.surveyed:
        refresh_review_score(review)


def _rating(rng, level, missing=0.0):
    """A 1-5 answer around ``level``, or n/a with probability ``missing``."""
    if rng.random() < missing:
        return None
    return min(5, max(1, round(rng.gauss(level, 0.6))))


def _readiness(plan, review, times, edition, now):
    """The Guardian's self-rating, on most supported reviews that got past
    implementation: a little kinder than the reviewers' on average."""
    rng = plan.rng
    if plan.guardian is None or S.IMPLEMENTED not in plan.stages:
        return
    if rng.random() > 0.75:
        return
    step = plan.stages.index(S.IMPLEMENTED)
    after = times[step + 1] if step + 1 < len(times) else now
    at = times[step] + (after - times[step]) * rng.uniform(0.2, 0.8)
    db.session.add(
        ReadinessCheck(
            review_id=review.id,
            user_id=plan.guardian.id,
            q1=_rating(rng, plan.quality + 0.45),
            q2=_rating(rng, plan.quality + 0.45, 0.05),
            q3=int(rng.random() < 0.9),
            q4=_rating(rng, plan.quality + 0.45),
            notes=rng.choice(READINESS_NOTES),
            guide_edition_id=edition.id,
            created_at=at,
            updated_at=at,
        )
    )


def _answers(rng, quality):
    yes = min(0.95, max(0.05, (quality - 1.5) / 3))
    return {
        "q1": _rating(rng, quality, 0.03),
        "q2": _rating(rng, quality, 0.1),
        "q3": None if rng.random() < 0.07 else int(rng.random() < yes),
        "q4": _rating(rng, quality, 0.05),
    }


def _feedback(rng, answers):
    """A sentence or two matching the ratings; now and then none."""
    ratings = [answers[k] for k in ("q1", "q2", "q4") if answers[k] is not None]
    mean = sum(ratings) / len(ratings) if ratings else 3
    pool = FEEDBACK["good" if mean >= 3.75 else "mixed" if mean >= 2.75 else "poor"]
    if rng.random() < 0.1:
        return ""
    return "\n\n".join(rng.sample(pool, rng.choice([1, 1, 2])))


def _survey(plan, review, reviewer, edition, now):
    rng = plan.rng
    answers = _answers(rng, plan.quality)
    feedback = _feedback(rng, answers)
    at = min(
        plan.ended_at + timedelta(days=rng.uniform(0.2, 10)), now - timedelta(hours=1)
    )
    return Survey(
        review_id=review.id,
        reviewer_id=reviewer.id,
        **answers,
        feedback_markdown=feedback,
        feedback_html=render_user_markdown(feedback),
        private_note=rng.choice(PRIVATE_NOTES) if rng.random() < 0.15 else "",
        score=scoring.survey_score(answers),
        guide_edition_id=edition.id,
        submitted_at=at,
        updated_at=at,
    )
