"""Passing every required module makes a certified Guardian, once."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.notifications.models import Notification
from portal.training import queries
from portal.training.certificates import certify_if_complete
from portal.training.models import Certificate
from portal.training.signals import certified
from portal.training.standing import TrainingPolicy
from tests.helpers import login_as
from tests.training.conftest import NOW, take_quiz

POLICY = TrainingPolicy()


def certificates():
    return _db.session.scalar(select(func.count()).select_from(Certificate))


def training_notifications(db, user):
    return db.session.execute(
        select(Notification.title, Notification.link).where(
            Notification.recipient_id == user.id, Notification.kind == "training"
        )
    ).all()


def test_the_last_required_module_issues_one_certificate(
    app, db, client, engineer, make_module
):
    one = make_module("core-one", title="Core one", order=1)
    two = make_module("core-two", title="Core two", prerequisites=["core-one"], order=2)
    extra = make_module("extra", title="Extra elective", required=False, order=3)
    sent = []

    with certified.connected_to(lambda sender, **kw: sent.append(kw["certificate"])):
        take_quiz(engineer, one, NOW)
        assert certificates() == 0
        assert training_notifications(db, engineer) == []

        take_quiz(engineer, two, NOW + timedelta(hours=1))

        certificate = queries.latest_certificate(engineer.id)
        assert certificate is not None
        assert certificate.issued_at == NOW + timedelta(hours=1)
        assert [(m["slug"], m["title"], m["version"]) for m in certificate.modules] == [
            ("core-one", "Core one", 1),
            ("core-two", "Core two", 1),
        ]
        code = certificate.verification_code
        assert training_notifications(db, engineer) == [
            (
                "You are a certified Guardian! Your certificate is ready.",
                f"/certificates/{code}",
            )
        ]
        # Again, or after an elective: still one certificate, one notification.
        assert certify_if_complete(engineer, NOW + timedelta(hours=2), POLICY) is None
        take_quiz(engineer, extra, NOW + timedelta(hours=3))

    db.session.commit()
    assert certificates() == 1
    assert len(training_notifications(db, engineer)) == 1
    assert [c.id for c in sent] == [certificate.id]
    assert len(code) >= 16, "the code is hard to guess"


def test_the_certificate_page_is_public(app, db, client, engineer, make_module):
    one = make_module("core-one", title="Core one")
    two = make_module("core-two", title="Core two")
    make_module("extra", title="Extra elective", required=False)
    take_quiz(engineer, one, NOW)
    take_quiz(engineer, two, NOW)
    code = queries.latest_certificate(engineer.id).verification_code

    page = client.get(f"/certificates/{code}")  # nobody signed in

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Certified Security Guardian" in html
    assert "Eli Engineer" in html
    assert "Core one" in html and "Core two" in html
    assert "Extra elective" not in html
    assert code in html
    assert client.get("/certificates/not-a-real-code").status_code == 404
    assert client.get(f"/certificates/{code[:-1]}").status_code == 404


def test_electives_are_not_needed_but_every_required_module_is(
    db, engineer, make_module
):
    one = make_module("core-one")
    make_module("core-two")
    elective = make_module("extra", required=False)

    take_quiz(engineer, one, NOW)
    take_quiz(engineer, elective, NOW)

    assert certificates() == 0
    assert certify_if_complete(engineer, NOW, POLICY) is None


def test_no_certificate_without_required_modules(db, engineer, make_module):
    take_quiz(engineer, make_module("extra", required=False), NOW)

    assert certificates() == 0


def test_progress_and_result_pages_link_the_certificate(
    app, db, client, engineer, make_module
):
    attempt = take_quiz(engineer, make_module("core-one"), NOW)
    code = queries.latest_certificate(engineer.id).verification_code
    login_as(client, engineer)

    progress = client.get("/training/progress").get_data(as_text=True)
    result = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)

    assert "Certified Guardian since" in progress
    assert f"/certificates/{code}" in progress and f"/certificates/{code}" in result
