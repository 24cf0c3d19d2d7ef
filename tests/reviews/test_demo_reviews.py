"""The demo's year of security reviews shows what the program reports: about
half supported by a Guardian, fewer medium and high findings, shorter reviews
and better surveys when supported; Rosa Reviewer has something at every stage
and Grace Guardian a trend to read."""

from datetime import timedelta
from itertools import pairwise
from statistics import mean

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import utcnow
from portal.demo import DEMO_PASSWORD, seed_demo_data
from portal.extensions import db as _db
from portal.reviews import lifecycle, queries, scoring
from portal.reviews.models import (
    Finding,
    ReadinessCheck,
    Review,
    ReviewEvent,
    ReviewStage,
    Survey,
)
from tests.helpers import login_as


@pytest.fixture
def demo(db):
    now = utcnow()
    seed_demo_data(now)
    _db.session.commit()
    return now


def person(email):
    return _db.session.scalar(select(User).where(User.email == email))


def reviews():
    return _db.session.scalars(select(Review).order_by(Review.id)).all()


def approved(supported):
    return [
        r
        for r in reviews()
        if r.stage == ReviewStage.APPROVED and bool(r.guardian_ids) == supported
    ]


def fewer(supported, unsupported):
    """How much lower the supported mean is, as a share of the unsupported one."""
    return 1 - mean(supported) / mean(unsupported)


def test_about_half_are_supported_and_do_better_by_the_headline(demo):
    everything = reviews()
    supported, unsupported = approved(True), approved(False)

    assert 120 <= len(everything) <= 160
    assert 0.4 <= sum(bool(r.guardian_ids) for r in everything) / len(everything) <= 0.6
    assert len(supported) >= 40 and len(unsupported) >= 40
    findings = fewer(
        [r.medium_and_high for r in supported],
        [r.medium_and_high for r in unsupported],
    )
    assert 0.10 <= findings <= 0.35
    days = fewer(
        [(r.closed_on - r.opened_on).days for r in supported],
        [(r.closed_on - r.opened_on).days for r in unsupported],
    )
    assert 0.15 <= days <= 0.40
    scores = {
        side: mean(r.score for r in rows if r.score is not None)
        for side, rows in (("yes", supported), ("no", unsupported))
    }
    assert scores["yes"] > scores["no"] + 10


def test_survey_answers_are_better_on_supported_reviews(demo):
    surveys = _db.session.scalars(select(Survey)).all()
    supported = [s for s in surveys if s.review.guardian_ids]
    unsupported = [s for s in surveys if not s.review.guardian_ids]

    def ratings(rows):
        return [v for s in rows for k in ("q1", "q2", "q4") if (v := s.answers[k])]

    def yes_share(rows):
        return mean(s.q3 for s in rows if s.q3 is not None)

    assert 3.6 <= mean(ratings(supported)) <= 4.4
    assert 2.6 <= mean(ratings(unsupported)) <= 3.4
    assert yes_share(supported) > 0.6 > yes_share(unsupported)
    assert any(None in s.answers.values() for s in surveys), "no n/a answer"
    assert sum(bool(s.feedback_markdown) for s in surveys) > 0.8 * len(surveys)
    assert len({s.feedback_markdown for s in surveys}) >= 10
    assert any("<strong>" in s.feedback_html for s in surveys)
    for review in reviews():
        mine = [s for s in surveys if s.review_id == review.id]
        assert review.score == scoring.review_score([s.answers for s in mine])


def test_people_stages_and_dates_hold_together(demo):
    events = _db.session.scalars(select(ReviewEvent).order_by(ReviewEvent.id)).all()
    today = demo.date()
    for review in reviews():
        assert not set(review.guardian_ids) & set(review.reviewer_ids)
        assert 1 <= len(review.reviewer_ids) <= 2
        steps = [e for e in events if e.review_id == review.id]
        assert steps[0].from_stage is None and steps[0].to_stage == ReviewStage.ENGAGED
        for before, after in pairwise(steps):
            assert (after.from_stage, after.to_stage) in lifecycle.TRANSITIONS
            assert before.to_stage == after.from_stage
            assert before.created_at <= after.created_at
        assert steps[-1].to_stage == review.stage
        assert steps[-1].created_at == review.stage_entered_at < demo
        assert review.opened_on >= today - timedelta(days=450)
        assert review.closed_on is None or review.closed_on <= today
        assert (review.closed_on is not None) == review.stage.is_closed
    for survey in _db.session.scalars(select(Survey)):
        assert survey.reviewer_id in survey.review.reviewer_ids
        assert survey.review.stage == ReviewStage.APPROVED
        assert survey.review.stage_entered_at <= survey.submitted_at < demo
    for finding in _db.session.scalars(select(Finding)):
        listed = [f for f in finding.review.findings if f.severity == finding.severity]
        assert len(listed) <= finding.review.count_of(finding.severity)
        assert finding.fixed_on is None or finding.fixed_on <= today
    assert {r.stage for r in reviews()} == set(ReviewStage)


def test_guardians_rate_their_readiness_sometimes_above_the_reviewers(demo):
    checks = _db.session.scalars(select(ReadinessCheck)).all()
    surveys = _db.session.scalars(select(Survey)).all()

    supported = [r for r in reviews() if r.guardian_ids]
    assert len(checks) >= len(supported) / 2
    for check in checks:
        review = _db.session.get(Review, check.review_id)
        assert check.user_id in review.guardian_ids
        assert check.created_at < demo
    higher = [
        c
        for c in checks
        for s in surveys
        if s.review_id == c.review_id and c.q1 and s.q1 and c.q1 > s.q1
    ]
    assert higher


def test_grace_sees_her_average_and_four_quarters(app, demo):
    grace = person("guardian@example.com")

    overall = queries.guardian_average(grace.id)
    shown = [q for q in queries.guardian_trend(grace.id) if q["score"].shown]
    assert overall.shown and overall.count >= 12
    assert len(shown) >= 4 and all(q["count"] >= 3 for q in shown)
    client = app.test_client()
    login_as(client, grace, password=DEMO_PASSWORD)
    page = client.get("/reviews/mine").get_data(as_text=True)
    assert f"({overall.count} reviews)" in page
    assert page.count('<th scope="row">20') >= 4


def test_rosa_has_work_at_every_stage_and_a_survey_to_fill(app, demo):
    rosa = person("reviewer@example.com")

    by_stage, waiting = queries.reviewer_home(rosa.id)
    assert all(by_stage[stage] for stage in lifecycle.OPEN)
    assert waiting and all(
        r.closed_on >= demo.date() - timedelta(days=14) for r in waiting
    )
    assert queries.stuck_review_count(demo, 30) >= 1
    client = app.test_client()
    login_as(client, rosa, password=DEMO_PASSWORD)
    page = client.get("/reviews/assigned").get_data(as_text=True)
    assert "Fill the survey" in page
    survey_page = client.get(f"/reviews/{waiting[0].id}/survey")
    assert survey_page.status_code == 200
