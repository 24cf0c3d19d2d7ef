"""Security reviews over the last twelve months: about half supported by an
active Guardian of the team, one or two of the security reviewers on each,
finding counts, readiness checks, every stage change, and the end-of-review
surveys, scored in Python with portal.reviews.scoring.

Supported reviews have fewer medium and high findings (x0.775) and are shorter
(x0.731), as the program reports. The bench reviewer (one of the security
reviewers) carries a heavy load: about 1,500 reviews, 40 of them open across
the stages and 20 approved and waiting for their survey. The bench Guardian
(one of the active Guardians) supported 200, the most "my reviews" lists.
"""

import math
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import update

from bench.common import GUARDIAN_EMAIL, REVIEWER_EMAIL
from portal.accounts.models import User
from portal.demo.reviews import FEEDBACK, FINDINGS, KINDS, SUBJECTS
from portal.rendering import render_user_markdown
from portal.reviews import scoring
from portal.reviews.lifecycle import OPEN
from portal.reviews.models import (
    Finding,
    FindingStatus,
    GuideEdition,
    Part,
    ReadinessCheck,
    Review,
    ReviewEvent,
    ReviewPerson,
    Severity,
    Survey,
)
from portal.reviews.models import ReviewStage as S
from portal.reviews.survey import shipped_guide

BLOCK = 5_000
TABLES = (Review, ReviewPerson, ReviewEvent, Finding, ReadinessCheck, Survey)
SUBJECT_NAMES = [s for names in SUBJECTS.values() for s in names]
# At BENCH_SCALE=1.0; the open and waiting reviews are as many at any scale.
REVIEWER_LOAD, REVIEWER_OPEN, REVIEWER_WAITING = 1_500, 40, 20
GUARDIAN_LOAD = 200
MEANS = {
    Severity.CRITICAL: 0.08,
    Severity.HIGH: 1.3,
    Severity.MEDIUM: 2.9,
    Severity.LOW: 3.0,
    Severity.INFORMATIONAL: 1.5,
}
SUPPORTED_FACTOR = {
    Severity.CRITICAL: 0.775,
    Severity.HIGH: 0.775,
    Severity.MEDIUM: 0.775,
}


def _rename(engine, user_id, email, name):
    with engine.begin() as connection:
        connection.execute(
            update(User)
            .where(User.id == user_id)
            .values(email=email, display_name=name)
        )


def _path(supported, sent_back):
    rounds = [S.GUIDANCE, *([S.IMPLEMENTED] if supported else []), S.SUBMITTED]
    again = [*rounds, S.IN_REVIEW] if sent_back else []
    return [S.ENGAGED, *rounds, S.IN_REVIEW, *again, S.APPROVED]


def _poisson(rng, mean):
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count, product = count + 1, product * rng.random()
    return count


class Cast:
    """Who is on the reviews: teams by size, their active Guardians, the
    reviewers, and the two bench accounts."""

    def __init__(self, rng, users, active_guardians, reviewer_ids):
        self.rng = rng
        people = {u["id"]: u for u in users}
        self.team_of = {
            uid: people[uid]["team_id"]
            for uid in active_guardians
            if people[uid]["team_id"] and people[uid]["active"]
        }
        self.guardian = rng.choice(sorted(self.team_of))
        self.reviewer = rng.choice([u for u in reviewer_ids if people[u]["active"]])
        self.reviewers = [u for u in reviewer_ids if u != self.reviewer]
        self.guardians = [u for u in self.team_of if u != self.guardian]
        self.guardians_of = defaultdict(list)
        for uid in self.guardians:
            self.guardians_of[self.team_of[uid]].append(uid)
        # A team's share of reviews grows with its size.
        self.teams = [u["team_id"] for u in users if u["team_id"]]

    def team(self):
        return self.rng.choice(self.teams)

    def supporter(self, team_id):
        """A Guardian of the team most of the time, another one now and then."""
        local = self.guardians_of.get(team_id)
        if local:
            return self.rng.choice(local) if self.rng.random() < 0.62 else None
        return self.rng.choice(self.guardians) if self.rng.random() < 0.15 else None

    def second(self, first, chance=0.25):
        if self.rng.random() >= chance:
            return [first]
        other = self.rng.choice(self.reviewers)
        return [first] if other == first else [first, other]


def _plans(cast, total, factor):
    """(team, Guardian, reviewers, mode, stage, no survey from) per review."""
    rng, plans = cast.rng, []
    heavy = max(REVIEWER_OPEN + REVIEWER_WAITING + 10, round(REVIEWER_LOAD * factor))
    for k in range(heavy):
        team = cast.team()
        mode = (
            "open"
            if k < REVIEWER_OPEN
            else "waiting"
            if k < REVIEWER_OPEN + REVIEWER_WAITING
            else "closed"
        )
        stage = OPEN[k % len(OPEN)] if mode == "open" else None
        guardian = cast.supporter(team)
        if stage == S.IMPLEMENTED and guardian is None:
            guardian = rng.choice(cast.guardians)
        plans.append(
            (team, guardian, cast.second(cast.reviewer), mode, stage, cast.reviewer)
        )
    for _ in range(max(20, round(GUARDIAN_LOAD * factor))):
        team = cast.team_of[cast.guardian] if rng.random() < 0.6 else cast.team()
        reviewers = cast.second(rng.choice(cast.reviewers))
        plans.append((team, cast.guardian, reviewers, "natural", None, None))
    while len(plans) < total:
        team = cast.team()
        reviewers = cast.second(rng.choice(cast.reviewers))
        plans.append((team, cast.supporter(team), reviewers, "natural", None, None))
    rng.shuffle(plans)
    return plans


class Rows:
    """Builds every row of one review into ``tables`` ({model: [dict]})."""

    def __init__(self, rng, now, pm_id):
        self.rng, self.now, self.pm_id = rng, now, pm_id
        self.feedback_html = {}

    def add(
        self, tables, number, team_id, guardian_id, reviewer_ids, mode, stage, skip
    ):
        rng = self.rng
        supported = guardian_id is not None
        days = rng.lognormvariate(math.log(40), 0.3) * (0.731 if supported else 1)
        stages = _path(supported, rng.random() < (0.1 if supported else 0.25))
        steps = [0, *sorted(rng.random() for _ in stages[2:]), 1]
        opened = self._opened(mode, stages, steps, stage, days)
        times = [opened + timedelta(days=days * f) for f in steps]
        stages, times = self._outcome(mode, stages, times)
        final, ended = stages[-1], times[-1]
        counts = self._counts(supported, S.IN_REVIEW in stages)
        surveys = self._surveys(
            tables, number, reviewer_ids, final, ended, supported, mode, skip
        )
        tables[Review].append(
            {
                "id": number,
                "title": f"{rng.choice(SUBJECT_NAMES)}: {rng.choice(KINDS)}",
                "team_id": team_id,
                "ticket_url": f"https://tickets.example.com/browse/SEC-{number}",
                "opened_on": opened.date(),
                "closed_on": ended.date() if final.is_closed else None,
                "stage": final,
                "stage_entered_at": ended,
                **{s.count_column: n for s, n in counts.items()},
                "score": scoring.review_score(surveys) if surveys else None,
                "external_key": None,
                "created_by_id": reviewer_ids[0],
                "created_at": opened,
                "updated_at": ended,
            }
        )
        self._people(tables, number, guardian_id, reviewer_ids)
        self._events(tables, number, stages, times, guardian_id, reviewer_ids[0])
        if supported:
            self._readiness(tables, number, guardian_id, stages, times)
        if S.IN_REVIEW in stages and rng.random() < 0.05:
            self._findings(
                tables, number, counts, final, times[stages.index(S.IN_REVIEW)], ended
            )

    def _opened(self, mode, stages, steps, stage, days):
        rng, now = self.rng, self.now
        if mode == "open":
            at = stages.index(stage)
            return now - timedelta(days=days * rng.uniform(steps[at], steps[at + 1]))
        if mode == "waiting":
            return now - timedelta(days=days + rng.uniform(1, 14))
        if mode == "closed":
            return now - timedelta(days=days + rng.uniform(14, 330))
        return now - timedelta(days=rng.uniform(0.05, 365))

    def _outcome(self, mode, stages, times):
        """The stages it has been through by now: all of them once approved,
        up to the current one while open; a few are cancelled on the way."""
        if times[-1] > self.now:
            reached = sum(t <= self.now for t in times)
            return stages[:reached], times[:reached]
        if mode != "waiting" and self.rng.random() < 0.04:
            k = self.rng.randrange(len(stages) - 1)
            stop = times[k] + (times[k + 1] - times[k]) * self.rng.random()
            return [*stages[: k + 1], S.CANCELLED], [*times[: k + 1], stop]
        return stages, times

    def _counts(self, supported, counted):
        if not counted:
            return {s: 0 for s in Severity}
        return {
            s: _poisson(self.rng, m * (SUPPORTED_FACTOR.get(s, 1) if supported else 1))
            for s, m in MEANS.items()
        }

    def _people(self, tables, number, guardian_id, reviewer_ids):
        rows = tables[ReviewPerson]
        if guardian_id is not None:
            rows.append(
                {"review_id": number, "user_id": guardian_id, "part": Part.GUARDIAN}
            )
        for uid in reviewer_ids:
            rows.append({"review_id": number, "user_id": uid, "part": Part.REVIEWER})

    def _events(self, tables, number, stages, times, guardian_id, reviewer_id):
        previous = None
        for stage, at in zip(stages, times, strict=True):
            actor = reviewer_id
            if S.IMPLEMENTED in (stage, previous):
                actor = guardian_id
            elif stage == S.CANCELLED and self.rng.random() < 0.5:
                actor = self.pm_id
            tables[ReviewEvent].append(
                {
                    "review_id": number,
                    "from_stage": previous,
                    "to_stage": stage,
                    "actor_id": actor,
                    "note": "",
                    "created_at": at,
                }
            )
            previous = stage

    def _rating(self, level, missing=0.0):
        if self.rng.random() < missing:
            return None
        return min(5, max(1, round(self.rng.gauss(level, 0.6))))

    def _readiness(self, tables, number, guardian_id, stages, times):
        if S.IMPLEMENTED not in stages or self.rng.random() > 0.7:
            return
        step = stages.index(S.IMPLEMENTED)
        after = times[step + 1] if step + 1 < len(times) else self.now
        at = times[step] + (after - times[step]) * self.rng.uniform(0.2, 0.8)
        level = self.rng.gauss(4.3, 0.5)
        tables[ReadinessCheck].append(
            {
                "review_id": number,
                "user_id": guardian_id,
                "q1": self._rating(level),
                "q2": self._rating(level, 0.05),
                "q3": int(self.rng.random() < 0.9),
                "q4": self._rating(level),
                "notes": "",
                "guide_edition_id": 1,
                "created_at": at,
                "updated_at": at,
            }
        )

    def _answers(self, quality):
        yes = min(0.95, max(0.05, (quality - 1.5) / 3))
        return {
            "q1": self._rating(quality, 0.03),
            "q2": self._rating(quality, 0.1),
            "q3": None if self.rng.random() < 0.07 else int(self.rng.random() < yes),
            "q4": self._rating(quality, 0.05),
        }

    def _feedback(self, answers):
        ratings = [answers[k] for k in ("q1", "q2", "q4") if answers[k] is not None]
        mean = sum(ratings) / len(ratings) if ratings else 3
        pool = FEEDBACK["good" if mean >= 3.75 else "mixed" if mean >= 2.75 else "poor"]
        if self.rng.random() < 0.1:
            return "", ""
        text = "\n\n".join(self.rng.sample(pool, self.rng.choice([1, 1, 2])))
        if text not in self.feedback_html:
            self.feedback_html[text] = render_user_markdown(text)
        return text, self.feedback_html[text]

    def _surveys(
        self, tables, number, reviewer_ids, final, ended, supported, mode, skip
    ):
        """One survey per reviewer once approved (a few never come); returns
        their answers."""
        if final != S.APPROVED:
            return []
        quality = self.rng.gauss(3.9 if supported else 2.9, 0.5)
        filed = []
        for uid in reviewer_ids:
            at = ended + timedelta(days=self.rng.uniform(0.2, 12))
            never = mode == "natural" and self.rng.random() < 0.05
            if (mode == "waiting" and uid == skip) or never or at >= self.now:
                continue
            answers = self._answers(quality)
            markdown, html = self._feedback(answers)
            tables[Survey].append(
                {
                    "review_id": number,
                    "reviewer_id": uid,
                    **answers,
                    "feedback_markdown": markdown,
                    "feedback_html": html,
                    "private_note": "",
                    "score": scoring.survey_score(answers),
                    "guide_edition_id": 1,
                    "submitted_at": at,
                    "updated_at": at,
                }
            )
            filed.append(answers)
        return filed

    def _findings(self, tables, number, counts, final, found_at, ended):
        left = dict(counts)
        for title, severity in self.rng.sample(FINDINGS, 3):
            if not left[severity]:
                continue
            left[severity] -= 1
            status = FindingStatus.OPEN
            if final == S.APPROVED:
                status = self.rng.choices(list(FindingStatus), [2, 6, 2])[0]
            fixed = status == FindingStatus.FIXED
            tables[Finding].append(
                {
                    "review_id": number,
                    "title": title,
                    "severity": severity,
                    "status": status,
                    "fixed_on": ended.date() if fixed else None,
                    "created_at": found_at,
                }
            )


def seed_reviews(
    loader, rng, now, *, total, factor, users, active_guardians, reviewer_ids, pm_id
):
    """Every review table; the bench reviewer and Guardian get their emails."""
    cast = Cast(rng, users, active_guardians, reviewer_ids)
    _rename(loader.engine, cast.reviewer, REVIEWER_EMAIL, "Rhea Reviewer")
    _rename(loader.engine, cast.guardian, GUARDIAN_EMAIL, "Gus Guardian")
    plans = _plans(cast, total, factor)
    loader.insert(
        GuideEdition,
        [
            {
                "id": 1,
                "number": 1,
                "entries": shipped_guide(),
                "note": "As shipped",
                "created_by_id": None,
                "created_at": now - timedelta(days=400),
            }
        ],
    )
    rows = Rows(rng, now, pm_id)
    for start in range(0, len(plans), BLOCK):
        tables = {model: [] for model in TABLES}
        for number, plan in enumerate(plans[start : start + BLOCK], start=start + 1):
            rows.add(tables, number, *plan)
        for model in TABLES:
            loader.insert(model, tables[model])
