"""Program managers unblock someone out of attempts: more attempts, a reset, a
request from the person; who may, the audit trail and the notices."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.errors import DomainError
from portal.notifications.models import Notification
from portal.training import attempt_grants, queries, services
from tests.helpers import login_as
from tests.training.conftest import NOW, take_quiz


@pytest.fixture
def stuck(db, engineer, make_module):
    """The engineer failed the only required module three times."""
    module = make_module("core", title="Core module", attempts_allowed=3)
    for minute in range(3):
        take_quiz(engineer, module, NOW + timedelta(minutes=minute), answers="wrong")
    return module


def notices(db, user):
    db.session.expire_all()
    return db.session.scalars(
        select(Notification.title).where(Notification.recipient_id == user.id)
    ).all()


def audited(db, action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action)
    ).all()


def test_granting_attempts_reopens_the_certificate_path(
    app, db, engineer, stuck, program_manager
):
    standing = services.standing(engineer, stuck, NOW + timedelta(hours=1))
    assert standing.status == "exhausted"

    attempt_grants.grant_attempts(
        program_manager, engineer, standing, 2, "Missed the DFD section.", NOW
    )
    db.session.commit()

    later = NOW + timedelta(hours=2)
    standing = services.standing(engineer, stuck, later)
    assert (standing.status, standing.attempts_left) == ("failed", 2)
    attempt = take_quiz(engineer, stuck, later)
    assert (attempt.number, attempt.attempts_allowed, attempt.passed) == (4, 5, True)
    assert queries.valid_certificate(engineer.id, later) is not None
    (event,) = audited(db, "training.attempts_granted")
    assert (event.actor_id, event.details["attempts"], event.details["reason"]) == (
        program_manager.id,
        2,
        "Missed the DFD section.",
    )
    assert "Pat Manager gave you 2 more attempt(s) at “Core module”." in notices(
        db, engineer
    )


def test_resetting_starts_a_new_round(app, db, engineer, stuck, program_manager):
    standing = services.standing(engineer, stuck, NOW + timedelta(hours=1))

    attempt_grants.reset_module(
        program_manager, engineer, standing, "Start again after coaching.", NOW
    )
    db.session.commit()

    later = NOW + timedelta(hours=2)
    standing = services.standing(engineer, stuck, later)
    assert (standing.status, standing.round, standing.attempts_left) == (
        "not_started",
        2,
        3,
    )
    attempt = take_quiz(engineer, stuck, later)
    assert (attempt.round, attempt.number) == (2, 1)
    assert len(audited(db, "training.module_reset")) == 1
    assert any("reset “Core module” for you" in t for t in notices(db, engineer))


def test_only_program_managers_unblock_and_only_with_a_reason(
    db, engineer, intruder, stuck, program_manager
):
    standing = services.standing(engineer, stuck, NOW + timedelta(hours=1))

    with pytest.raises(DomainError, match="Only a program manager"):
        attempt_grants.grant_attempts(intruder, engineer, standing, 1, "Please", NOW)
    with pytest.raises(DomainError, match="Only a program manager"):
        attempt_grants.reset_module(engineer, engineer, standing, "Myself", NOW)
    with pytest.raises(DomainError, match="Give the reason"):
        attempt_grants.grant_attempts(program_manager, engineer, standing, 1, " ", NOW)
    with pytest.raises(DomainError, match="from 1 to 5"):
        attempt_grants.grant_attempts(program_manager, engineer, standing, 9, "x", NOW)


def test_the_person_asks_once_and_program_managers_are_told(
    app, db, client, engineer, stuck, program_manager, make_user
):
    other_manager = make_user(roles=["program_manager"], name="Other Manager")
    login_as(client, engineer)

    first = client.post("/training/modules/core/more-attempts", follow_redirects=True)
    again = client.post("/training/modules/core/more-attempts", follow_redirects=True)

    assert "Program managers have been asked" in first.text
    assert "You have asked already" in again.text
    for manager in (program_manager, other_manager):
        assert notices(db, manager) == [
            "Eli Engineer used every attempt at “Core module” and asks for more."
        ]


def test_asking_needs_to_be_out_of_attempts(app, db, client, engineer, make_module):
    make_module("fresh", title="Fresh module")
    login_as(client, engineer)

    response = client.post(
        "/training/modules/fresh/more-attempts", follow_redirects=True
    )

    assert "You still have attempts at this module." in response.text


def test_the_program_manager_page_unblocks_through_forms(
    app, db, engineer, stuck, program_manager, intruder
):
    url = f"/program/people/{engineer.id}/training"
    manager = app.test_client()
    login_as(manager, program_manager)
    outsider = app.test_client()
    login_as(outsider, intruder)

    page = manager.get(url).text
    refused = outsider.post(f"{url}/core/attempts", data={"count": 1, "reason": "x"})
    empty = manager.post(f"{url}/core/attempts", data={"count": 1, "reason": ""})
    granted = manager.post(
        f"{url}/core/attempts",
        data={"count": 1, "reason": "One more go."},
        follow_redirects=True,
    )

    assert "No attempts left" in page and "3 / 3" in page
    assert outsider.get(url).status_code == 403 and refused.status_code == 403
    assert empty.status_code == 302
    assert "Eli Engineer has 1 more attempt(s) at “Core module”." in granted.text
    assert "3 / 4" in granted.text
    assert len(audited(db, "training.attempts_granted")) == 1
    assert (
        manager.get(f"/program/people/{engineer.id}/training/nope/attempts").status_code
        == 405
    )
    assert manager.post(f"{url}/nope/reset", data={"reason": "x"}).status_code == 404
