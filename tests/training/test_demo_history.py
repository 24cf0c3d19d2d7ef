"""The demo's quiz history on the shipped curriculum: the statistics page finds the
planted bad question, and a Guardian's renewal is coming up."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.config import PROJECT_ROOT
from portal.database import utcnow
from portal.demo import seed_demo_data
from portal.extensions import db as _db
from portal.training import item_analysis, queries, services
from portal.training.jobs import send_training_reminders
from tests.helpers import login_as
from tests.training.conftest import sync


@pytest.fixture
def demo(db):
    sync(PROJECT_ROOT / "content" / "modules")
    now = utcnow()
    seed_demo_data(now)
    _db.session.commit()
    return now


def person(email):
    return _db.session.scalar(select(User).where(User.email == email))


def test_the_planted_question_is_the_one_flagged(app, client, demo):
    first = queries.curriculum()[0]
    planted = first.current_version.questions[0]["id"]

    figures = item_analysis.analyse_version(first.current_version)

    flagged = {f.question["id"]: f.flags for f in figures if f.flags}
    assert set(flagged) == {planted}
    assert "poor_discrimination" in flagged[planted]
    assert all(f.answers >= item_analysis.MIN_SAMPLE for f in figures)
    login_as(client, person("pm@example.com"), password="guardians-demo-2026")
    page = client.get(f"/training/stats/{first.slug}").get_data(as_text=True)
    assert "1 of 15 questions flagged." in page
    assert "Poor discrimination" in page


def test_the_demo_guardians_hold_certificates_and_one_is_due_for_renewal(demo):
    grace, marcus = person("guardian@example.com"), person("mentor@example.com")

    assert queries.valid_certificate(grace.id, demo) is not None
    renewal = queries.valid_certificate(marcus.id, demo)
    assert (renewal.expires_at - demo).days < 30
    required = [m for m in queries.curriculum() if m.required]
    assert {services.standing(marcus, m, demo).status for m in required} == {
        "renewal_due"
    }
    assert "1 renewal reminder(s)" in send_training_reminders(demo)
