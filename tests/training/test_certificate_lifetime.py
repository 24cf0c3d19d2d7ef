"""Certificates expire, are renewed by passing the current versions again, and can
be revoked; the public verification page says which, and when."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.database import utcnow
from portal.errors import DomainError
from portal.notifications.models import Notification
from portal.training import queries, services
from portal.training.certificates import add_months, revoke_certificate
from portal.training.jobs import send_training_reminders
from portal.training.models import Certificate
from portal.training.standing import TrainingPolicy
from tests.helpers import login_as
from tests.training.conftest import NOW, sync, take_quiz, write_module

POLICY = TrainingPolicy()


@pytest.fixture
def curriculum(db, content_root):
    """Two required modules (the second builds on the first) and an elective."""
    write_module(content_root, "core-one", title="Core one", order=1)
    write_module(
        content_root, "core-two", title="Core two", order=2, prerequisites=["core-one"]
    )
    write_module(content_root, "extra", title="Extra", order=3, required=False)
    sync(content_root)
    return {slug: services.active_module(slug) for slug in ("core-one", "core-two")}


def certify(user, modules, when):
    for module in modules.values():
        take_quiz(user, module, when)
    return queries.latest_certificate(user.id)


def certificates_of(db, user):
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.sequence)
    ).all()


def notifications_of(db, user):
    return db.session.scalars(
        select(Notification.title).where(Notification.recipient_id == user.id)
    ).all()


def test_a_certificate_lasts_the_configured_months(db, engineer, curriculum):
    certificate = certify(engineer, curriculum, NOW)

    assert certificate.expires_at == add_months(NOW, 12) == NOW.replace(year=2031)
    assert certificate.status(NOW) == "valid"
    assert certificate.status(certificate.expires_at) == "expired"


def test_months_are_added_by_the_calendar():
    end_of_january = NOW.replace(month=1, day=31)

    assert add_months(end_of_january, 1).date().isoformat() == "2030-02-28"
    assert add_months(end_of_january, 13).date().isoformat() == "2031-02-28"
    assert add_months(NOW, 6).date().isoformat() == "2030-09-04"


def test_renewal_opens_a_month_ahead_and_reminds_once(db, engineer, curriculum):
    certificate = certify(engineer, curriculum, NOW)
    expiry = certificate.expires_at
    modules = list(curriculum.values())

    early = expiry - timedelta(days=31)
    assert all(
        services.standing(engineer, m, early).status == "passed" for m in modules
    )
    assert "0 renewal reminder(s)" in send_training_reminders(early)

    opened = expiry - timedelta(days=29)
    assert [services.standing(engineer, m, opened).status for m in modules] == [
        "renewal_due",
        "renewal_due",
    ]
    assert "1 renewal reminder(s)" in send_training_reminders(opened)
    assert "0 renewal reminder(s)" in send_training_reminders(opened + timedelta(1))
    db.session.commit()
    reminders = [t for t in notifications_of(db, engineer) if "expires on" in t]
    assert reminders == [
        f"Your Guardian certificate expires on {expiry:%d %b %Y}: pass the required "
        "modules' current versions again to renew it."
    ]


def test_renewing_means_passing_each_required_module_again(db, engineer, curriculum):
    first = certify(engineer, curriculum, NOW)
    opened = first.expires_at - timedelta(days=10)
    one, two = curriculum.values()

    # The second module stays open although the first is not renewed yet.
    assert services.standing(engineer, two, opened).status == "renewal_due"
    renewal = take_quiz(engineer, one, opened)
    assert (renewal.round, renewal.number) == (2, 1), "a fresh round of attempts"
    assert queries.latest_certificate(engineer.id).id == first.id
    take_quiz(engineer, two, opened + timedelta(hours=1))

    second = queries.latest_certificate(engineer.id)
    assert second.sequence == 2 and second.id != first.id
    assert second.expires_at == add_months(opened + timedelta(hours=1), 12)
    assert services.standing(engineer, one, opened + timedelta(days=1)).status == (
        "passed"
    )
    assert first.status(opened) == "valid", "the old one runs out on its own date"
    assert len(certificates_of(db, engineer)) == 2


def test_renewal_needs_the_current_version(db, engineer, curriculum, content_root):
    first = certify(engineer, curriculum, NOW)
    opened = first.expires_at - timedelta(days=10)
    # core-one changes after the person passed it.
    write_module(
        content_root, "core-one", title="Core one, revised", order=1, version=2
    )
    write_module(
        content_root, "core-two", title="Core two", order=2, prerequisites=["core-one"]
    )
    write_module(content_root, "extra", title="Extra", order=3, required=False)
    sync(content_root)
    one = services.active_module("core-one")
    two = services.active_module("core-two")

    take_quiz(engineer, two, opened)
    assert queries.latest_certificate(engineer.id).id == first.id
    attempt = take_quiz(engineer, one, opened)

    assert attempt.module_version.version == 2
    renewed = queries.latest_certificate(engineer.id)
    assert renewed.sequence == 2
    assert [m["title"] for m in renewed.modules] == ["Core one, revised", "Core two"]


def test_a_pass_before_renewal_opens_does_not_renew(db, engineer, curriculum):
    first = certify(engineer, curriculum, NOW)
    one = curriculum["core-one"]

    with pytest.raises(DomainError, match="already passed"):
        services.start_attempt(engineer, one, first.expires_at - timedelta(days=40))
    db.session.rollback()


def test_revoking_needs_a_program_manager_and_a_reason(
    db, engineer, intruder, curriculum, program_manager
):
    certificate = certify(engineer, curriculum, NOW)

    with pytest.raises(DomainError, match="Only a program manager"):
        revoke_certificate(intruder, certificate, "I do not like it", NOW)
    with pytest.raises(DomainError, match="Give the reason"):
        revoke_certificate(program_manager, certificate, "   ", NOW)
    db.session.rollback()

    revoke_certificate(program_manager, certificate, "Shared quiz answers.", NOW)
    db.session.commit()

    assert certificate.status(NOW) == "revoked"
    assert certificate.revoked_by_id == program_manager.id
    with pytest.raises(DomainError, match="already revoked"):
        revoke_certificate(program_manager, certificate, "Again.", NOW)
    db.session.rollback()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.revoke")
    ).all()
    assert [(e.actor_id, e.target_id, e.details["reason"]) for e in events] == [
        (program_manager.id, str(certificate.id), "Shared quiz answers.")
    ]
    assert (
        "Your Guardian certificate was revoked: Shared quiz answers."
        in notifications_of(db, engineer)
    )


def test_a_revoked_certificate_is_renewed_only_by_passing_again(
    db, engineer, curriculum, program_manager
):
    certificate = certify(engineer, curriculum, NOW)
    revoke_certificate(program_manager, certificate, "Shared answers.", NOW)
    db.session.commit()
    later = NOW + timedelta(days=1)

    assert queries.valid_certificate(engineer.id, later) is None
    statuses = [
        services.standing(engineer, m, later).status for m in curriculum.values()
    ]
    assert statuses == ["renewal_due", "renewal_due"]
    for module in curriculum.values():
        take_quiz(engineer, module, later)
    assert queries.valid_certificate(engineer.id, later).sequence == 2


def _verification_page(client, certificate):
    page = client.get(f"/certificates/{certificate.verification_code}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_verification_page_in_each_state(
    app, db, client, engineer, curriculum, program_manager
):
    now = utcnow()
    certificate = certify(engineer, curriculum, now - timedelta(days=1))

    valid = _verification_page(client, certificate)
    assert "Valid" in valid and f"until {certificate.expires_at:%d %B %Y}" in valid
    assert "Revoke" not in valid, "nothing to revoke for anonymous visitors"

    certificate.expires_at = now - timedelta(hours=1)
    db.session.commit()
    expired = _verification_page(client, certificate)
    assert f"This certificate expired on {certificate.expires_at:%d %B %Y}" in expired

    certificate.expires_at = now + timedelta(days=200)
    revoke_certificate(program_manager, certificate, "Private reason.", now)
    db.session.commit()
    revoked = _verification_page(client, certificate)
    assert f"This certificate was revoked on {now:%d %B %Y}" in revoked
    assert "Private reason" not in revoked, "the reason is for the holder"


def test_a_program_manager_revokes_from_the_page(
    app, db, client, engineer, intruder, curriculum, program_manager
):
    certificate = certify(engineer, curriculum, utcnow() - timedelta(days=1))
    url = f"/certificates/{certificate.verification_code}/revoke"

    assert client.post(url, data={"reason": "x"}).status_code == 302  # sign in
    login_as(client, intruder)
    assert client.post(url, data={"reason": "Mine now."}).status_code == 403
    assert "Revoke this certificate" not in _verification_page(client, certificate)

    manager = app.test_client()
    login_as(manager, program_manager)
    assert "Revoke this certificate" in _verification_page(manager, certificate)
    empty = manager.post(url, data={"reason": "  "}, follow_redirects=True)
    assert "Give the reason." in empty.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None

    done = manager.post(
        url, data={"reason": "Left the program."}, follow_redirects=True
    )

    html = done.get_data(as_text=True)
    assert "The certificate is revoked and its holder has been told." in html
    assert "Revoked by Pat Manager: Left the program." in html
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status(utcnow()) == "revoked"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "certificate.revoke")
        )
        == 1
    )


def test_the_progress_page_follows_the_certificate(
    app, db, client, engineer, curriculum, program_manager
):
    now = utcnow()
    certificate = certify(engineer, curriculum, now - timedelta(days=1))
    login_as(client, engineer)

    page = client.get("/training/progress").get_data(as_text=True)
    assert "Certified Guardian since" in page and "valid until" in page

    revoke_certificate(program_manager, certificate, "Shared answers.", now)
    db.session.commit()
    page = client.get("/training/progress").get_data(as_text=True)
    assert "Your certificate was revoked on" in page
    assert "To renew, pass the current version of each required module again" in page
    assert "Renewal due" in page
