"""The points ledger at the bench's scale, built from the rows already seeded:
an entry for the Guardian of every rated review (``review_points`` of its
score, at its last survey), for every module passed and every certificate,
plus kudos and awards spread over the last two years, badges, a few people
who hide their name, the running totals summed from those entries (checked
against ``rebuild_totals``) and the snapshot of the current week.

Weekly caps apply as the ledger applies them: past the cap, an entry is
recorded at 0 points and marked capped. A Guardian with only one kudos this
quarter becomes ``bench-low-ranked@example.com``: ranked far below the top 50,
so the boards look up "your place" the long way.
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bench.common import LOW_RANKED_EMAIL
from portal.accounts.models import Role, RoleGrant, Team, User
from portal.extensions import db
from portal.notifications.jobs import iso_week
from portal.recognition import points
from portal.recognition.ledger import subjects_of
from portal.recognition.models import (
    Award,
    BadgeAward,
    Kudos,
    PointsEntry,
    PointsTotal,
    RecognitionPreference,
)
from portal.recognition.totals import rebuild_totals, take_snapshot
from portal.rendering import render_user_markdown
from portal.reviews.models import Part, Review, ReviewPerson, ReviewStage, Survey
from portal.training.models import Certificate, ModuleProgress

# At BENCH_SCALE=1.0.
KUDOS = 20_000
HIDDEN_SHARE = 0.03
TWO_YEARS = timedelta(days=730)
KUDOS_NOTES = [
    "Thank you for walking us through the **threat model**.",
    "Your checklist saved our launch a week of back and forth.",
    "Thanks for pairing on the secrets rotation.",
    "You made the pen test findings easy to fix.",
    "Great review prep: the data flow diagram was spot on.",
]
CITATIONS = [
    "For steering **every review** of the quarter to a clean sign-off.",
    "For the readiness checks the whole org now copies.",
    "For mentoring three new Guardians while shipping.",
]


class Ledger:
    """Entries in time order, with the weekly caps the ledger applies."""

    def __init__(self, placement):
        self.placement = placement  # user id -> (team id, org id)
        self.rows = []

    def add(self, user_id, kind, source_id, amount, reason, at):
        team_id, org_id = self.placement.get(user_id, (None, None))
        self.rows.append(
            {
                "user_id": user_id,
                "team_id": team_id,
                "org_id": org_id,
                "source_kind": kind,
                "source_id": str(source_id),
                "revision": 0,
                "points": amount,
                "capped": False,
                "reason": reason[:300],
                "created_at": at,
            }
        )

    def finished(self):
        """The rows in time order with ids, caps applied."""
        self.rows.sort(key=lambda r: (r["created_at"], r["user_id"], r["source_id"]))
        earned = Counter()
        for number, row in enumerate(self.rows, start=1):
            row["id"] = number
            source = points.source(row["source_kind"])
            if source.weekly_cap is None:
                continue
            week = (row["user_id"], row["source_kind"], iso_week(row["created_at"]))
            if earned[week] >= source.weekly_cap:
                row["points"], row["capped"] = 0, True
                row["reason"] = (
                    f"{row['reason']} (past this week's cap of {source.weekly_cap})"
                )[:300]
            else:
                earned[week] += 1
        return self.rows


def _placement():
    org_of = dict(db.session.execute(select(Team.id, Team.org_id)).all())
    return {
        user_id: (team_id, org_of.get(team_id))
        for user_id, team_id in db.session.execute(select(User.id, User.team_id))
    }


def _reviews(ledger):
    """One entry per rated review and Guardian (not also its reviewer); the
    Guardians' approved reviews by sign-off date, for the badges."""
    people = defaultdict(lambda: ([], set()))
    for review_id, user_id, part in db.session.execute(
        select(ReviewPerson.review_id, ReviewPerson.user_id, ReviewPerson.part)
    ):
        guardians, reviewers = people[review_id]
        (guardians.append if part == Part.GUARDIAN else reviewers.add)(user_id)
    rated = dict(
        db.session.execute(
            select(Survey.review_id, func.max(Survey.submitted_at)).group_by(
                Survey.review_id
            )
        ).all()
    )
    signed_off = defaultdict(list)
    rows = db.session.execute(
        select(Review.id, Review.title, Review.score, Review.stage, Review.closed_on)
    )
    for review_id, title, score, stage, closed_on in rows:
        guardians, reviewers = people.get(review_id, ([], set()))
        credited = [g for g in guardians if g not in reviewers]
        if stage == ReviewStage.APPROVED:
            for g in guardians:
                signed_off[g].append((closed_on, review_id, title))
        if review_id not in rated:
            continue
        worth = points.review_points(score)
        reason = (
            f"“{title}” rated (every answer n/a)"
            if score is None
            else f"“{title}” rated {score:.0f} out of 100"
        )
        for guardian_id in credited:
            ledger.add(
                guardian_id, "review_rated", review_id, worth, reason, rated[review_id]
            )
    return signed_off


def _training(ledger, modules):
    titles = {m["id"]: m["title"] for m in modules}
    progress = ModuleProgress
    passed = db.session.execute(
        select(progress.user_id, progress.module_id, progress.passed_at).where(
            progress.passed_at.is_not(None)
        )
    )
    worth = points.source("module_passed").points
    for user_id, module_id, at in passed:
        reason = f"Passed “{titles[module_id]}”"
        ledger.add(user_id, "module_passed", module_id, worth, reason, at)
    certificates = db.session.execute(
        select(Certificate.id, Certificate.user_id, Certificate.sequence,
               Certificate.issued_at)
        .where(Certificate.revoked_at.is_(None))
    ).all()  # fmt: skip
    for certificate_id, user_id, sequence, at in certificates:
        source = points.source("certified" if sequence == 1 else "recertified")
        ledger.add(
            user_id, source.kind, certificate_id, source.points, source.label, at
        )
    return certificates


def _kudos(loader, ledger, rng, now, total, first, guardians, givers, names):
    """``first`` (receiver, giver, when), then ``total`` more at random, a
    few a month per giver as the portal allows."""
    notes = {text: render_user_markdown(text) for text in KUDOS_NOTES}
    slots, rows = Counter(), []
    for number in range(1, total + 2):
        if number == 1:
            receiver, giver, at = first
        else:
            at = now - TWO_YEARS * rng.random() ** 1.3
            receiver, giver = rng.choice(guardians), rng.choice(givers)
        month = at.strftime("%Y-%m")
        if giver == receiver or slots[(giver, month)] >= 3:
            continue
        slots[(giver, month)] += 1
        note = rng.choice(KUDOS_NOTES)
        rows.append(
            {
                "id": number,
                "giver_id": giver,
                "receiver_id": receiver,
                "note_markdown": note,
                "note_html": notes[note],
                "month": month,
                "slot": slots[(giver, month)],
                "created_at": at,
            }
        )
        worth = points.source("kudos_received").points
        reason = f"Kudos from {names[giver]}"
        ledger.add(receiver, "kudos_received", number, worth, reason, at)
    loader.insert(Kudos, rows)


def _awards(loader, ledger, rng, now, guardians, pm_id):
    """Guardian of the Quarter in every org-sized slice of the last eight
    quarters, Guardian of the Year twice; a few granted without points."""
    citations = {text: render_user_markdown(text) for text in CITATIONS}
    rows, granted = [], set()
    plan = [(1, "Guardian of the Quarter", 100, q * 91) for q in range(8)] * 30
    plan += [(2, "Guardian of the Year", 250, y * 365) for y in range(2)] * 3
    for number, (kind_id, name, worth, days_ago) in enumerate(plan, start=1):
        at = now - timedelta(days=days_ago + rng.uniform(1, 60))
        # Often the award is the honour: no points, so no ledger entry.
        worth = 0 if rng.random() < 0.2 else worth
        person, text = rng.choice(guardians), rng.choice(CITATIONS)
        if (kind_id, person, at.date()) in granted:
            continue  # the portal grants an award once a day per person
        granted.add((kind_id, person, at.date()))
        rows.append(
            {
                "id": number,
                "kind_id": kind_id,
                "user_id": person,
                "citation_markdown": text,
                "citation_html": citations[text],
                "points": worth,
                "granted_by_id": pm_id,
                "granted_at": at,
                "granted_on": at.date(),
                "revoked_at": None,
                "revoked_by_id": None,
                "revoke_reason": "",
            }
        )
        if worth:
            ledger.add(person, "award", number, worth, name, at)
    loader.insert(Award, rows)


def _badges(loader, signed_off, certificates):
    rows = []
    for user_id, reviews in signed_off.items():
        reviews.sort()
        for n, key in ((1, "first_review"), (10, "ten_reviews")):
            if len(reviews) >= n:
                closed_on, _, title = reviews[n - 1]
                rows.append(_badge(user_id, key, closed_on, f"“{title}”, signed off"))
    for _, user_id, sequence, at in certificates:
        key = "certified" if sequence == 1 else "recertified"
        rows.append(_badge(user_id, key, at, f"Certified on {at:%d %B %Y}"))
    unique = {(r["user_id"], r["badge"]): r for r in rows}
    loader.insert(BadgeAward, sorted(unique.values(), key=lambda r: r["awarded_at"]))


def _badge(user_id, key, when, evidence):
    if not isinstance(when, datetime):  # a sign-off date: noon UTC that day
        when = datetime(when.year, when.month, when.day, 12, tzinfo=UTC)
    return {"user_id": user_id, "badge": key, "awarded_at": when, "evidence": evidence}


def _totals(entries):
    """Every total, summed as the ledger keeps them (see ledger._total_rows)."""
    totals = defaultdict(lambda: [0, 0, None])
    for e in entries:
        ranked = e.get("ranked", True)
        subjects = subjects_of(e["user_id"], e["team_id"], e["org_id"], ranked)
        for scope, subject in subjects.items():
            if subject is None:
                continue
            for period in points.period_keys(e["created_at"]).values():
                total = totals[(scope, period, subject)]
                total[0] += e["points"]
                total[1] += 1
                if e["points"]:
                    total[2] = e["created_at"]  # entries come in time order
    return [
        {"scope": s, "period": p, "subject_id": i, "points": t[0], "entries": t[1],
         "reached_at": t[2]}
        for (s, p, i), t in sorted(totals.items())
    ]  # fmt: skip


def _low_ranked(ledger, rng, now, guardians, givers, names):
    """An active Guardian with a team and no points yet gets one kudos this
    week and the low-ranked bench address."""
    earning = {row["user_id"] for row in ledger.rows}
    quiet = [g for g in guardians if g not in earning and ledger.placement[g][0]]
    low_ranked = rng.choice(quiet)
    giver = rng.choice([g for g in givers if g != low_ranked])
    db.session.close()  # on SQLite its transaction holds the write lock
    with db.engine.begin() as connection:
        connection.execute(
            update(User)
            .where(User.id == low_ranked)
            .values(email=LOW_RANKED_EMAIL, display_name="Lee Lowrank")
        )
    return low_ranked, giver


def seed_recognition(loader, rng, now, *, factor, modules, pm_id):
    """Every recognition table from the data seeded before it."""
    ledger = Ledger(_placement())
    managers = select(RoleGrant.user_id).where(
        RoleGrant.role.in_([Role.ADMIN, Role.PROGRAM_MANAGER])
    )
    guardians = sorted(
        db.session.scalars(
            select(RoleGrant.user_id)
            .join(User, User.id == RoleGrant.user_id)
            .where(RoleGrant.role == Role.GUARDIAN, User.active.is_(True))
            .where(RoleGrant.user_id.not_in(managers))
        )
    )
    names = dict(db.session.execute(select(User.id, User.display_name)).all())
    givers = sorted(db.session.scalars(select(User.id).where(User.active.is_(True))))
    signed_off = _reviews(ledger)
    certificates = _training(ledger, modules)
    low_ranked, giver = _low_ranked(ledger, rng, now, guardians, givers, names)
    others = [g for g in guardians if g != low_ranked]
    this_week = points.week_start(now) + (now - points.week_start(now)) / 2
    _kudos(
        loader, ledger, rng, now, max(50, round(KUDOS * factor)),
        (low_ranked, giver, this_week), others, givers, names,
    )  # fmt: skip
    _awards(loader, ledger, rng, now, others, pm_id)
    _badges(loader, signed_off, certificates)
    loader.insert(
        RecognitionPreference,
        [
            {"user_id": g, "hide_name": True, "updated_at": now - timedelta(days=9)}
            for g in rng.sample(others, round(len(others) * HIDDEN_SHARE))
        ],
    )
    db.session.close()
    entries = ledger.finished()
    loader.insert(PointsEntry, entries)
    loader.insert(PointsTotal, _totals(entries))
    differences = rebuild_totals(fix=False)
    if differences:
        raise SystemExit(f"Totals disagree with the ledger: {differences[0]}")
    take_snapshot(now)
    db.session.commit()
