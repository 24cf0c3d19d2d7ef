"""Email follows each person's choice per kind: immediately, in the digest, or never."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.mail.models import OutboxMessage
from portal.notifications.jobs import send_weekly_digest
from portal.notifications.kinds import KINDS, Delivery
from portal.notifications.models import Notification
from portal.notifications.services import notify, preferences_for, set_preferences

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DURING_THE_WEEK = MONDAY - timedelta(days=3)


def emails_to(db, person):
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == person.email)
        .order_by(OutboxMessage.id)
    ).all()


def notifications_of(db, person):
    return db.session.scalars(
        select(Notification).where(Notification.recipient_id == person.id)
    ).all()


def test_account_security_is_immediate_and_everything_else_goes_to_the_digest(
    db, make_user
):
    person = make_user()

    chosen = preferences_for(person.id)

    assert chosen["account_security"] == Delivery.IMMEDIATELY
    assert {
        name: delivery
        for name, delivery in chosen.items()
        if name != "account_security"
    } == dict.fromkeys(set(KINDS) - {"account_security"}, Delivery.DIGEST)


def test_by_default_a_security_notice_is_emailed_at_once_and_not_repeated(
    db, make_user
):
    person = make_user()

    notify(
        person,
        "account_security",
        "Your password was changed.",
        now=DURING_THE_WEEK,
        link="/auth/reset",
    )
    db.session.commit()

    [email] = emails_to(db, person)
    assert email.subject == "Your password was changed."
    assert "Your password was changed." in email.body_text
    assert "http://127.0.0.1:5000/auth/reset" in email.body_text
    assert notifications_of(db, person)[0].emailed_at == DURING_THE_WEEK
    send_weekly_digest(MONDAY)
    assert len(emails_to(db, person)) == 1


def test_by_default_a_forum_reply_waits_for_the_digest(db, make_user):
    person = make_user()

    notify(person, "enrollment", "Sam replied to your question", now=DURING_THE_WEEK)
    db.session.commit()

    assert emails_to(db, person) == []
    send_weekly_digest(MONDAY)
    [digest] = emails_to(db, person)
    assert digest.subject == "Your Guardians Portal week: 1 update"
    assert "Sam replied to your question" in digest.body_text


def test_never_sends_no_email_but_keeps_the_notification(db, make_user):
    person = make_user()
    set_preferences(person, {"enrollment": Delivery.NEVER})

    notify(person, "enrollment", "Sam replied to your question", now=DURING_THE_WEEK)
    db.session.commit()
    send_weekly_digest(MONDAY)
    db.session.commit()

    assert [n.title for n in notifications_of(db, person)] == [
        "Sam replied to your question"
    ]
    assert emails_to(db, person) == []


def test_never_for_one_kind_leaves_the_others_in_the_digest(db, make_user):
    person = make_user()
    set_preferences(person, {"enrollment": Delivery.NEVER, "roles": Delivery.DIGEST})

    notify(person, "enrollment", "Sam replied to your question", now=DURING_THE_WEEK)
    notify(person, "roles", "You now hold the Mentor role.", now=DURING_THE_WEEK)
    send_weekly_digest(MONDAY)
    db.session.commit()

    [digest] = emails_to(db, person)
    assert "You now hold the Mentor role." in digest.body_text
    assert "Sam replied" not in digest.body_text
    assert "Sam replied" not in digest.body_html


def test_immediately_queues_the_email_at_once_and_leaves_it_out_of_the_digest(
    db, make_user
):
    person = make_user()
    set_preferences(person, {"enrollment": Delivery.IMMEDIATELY})

    notify(
        person,
        "enrollment",
        "Sam replied to your question",
        now=DURING_THE_WEEK,
        link="/forum/threads/3",
    )
    notify(person, "roles", "You now hold the Mentor role.", now=DURING_THE_WEEK)
    db.session.commit()

    [immediate] = emails_to(db, person)
    assert immediate.subject == "Sam replied to your question"
    assert "http://127.0.0.1:5000/forum/threads/3" in immediate.body_text
    send_weekly_digest(MONDAY)
    db.session.commit()
    immediate_again, digest = emails_to(db, person)
    assert immediate_again.id == immediate.id
    assert digest.subject == "Your Guardians Portal week: 1 update"
    assert "You now hold the Mentor role." in digest.body_text
    assert "Sam replied" not in digest.body_text


def test_an_email_already_sent_is_not_repeated_after_switching_to_the_digest(
    db, make_user
):
    person = make_user()
    set_preferences(person, {"enrollment": Delivery.IMMEDIATELY})
    notify(person, "enrollment", "Sam replied to your question", now=DURING_THE_WEEK)
    db.session.commit()

    set_preferences(person, {"enrollment": Delivery.DIGEST})
    send_weekly_digest(MONDAY)
    db.session.commit()

    assert [email.subject for email in emails_to(db, person)] == [
        "Sam replied to your question"
    ]


def test_only_known_kinds_can_be_chosen(db, make_user):
    person = make_user()

    with pytest.raises(KeyError):
        set_preferences(person, {"pizza_party": Delivery.IMMEDIATELY})
    with pytest.raises(KeyError):
        notify(person, "pizza_party", "Pizza!", now=MONDAY)
