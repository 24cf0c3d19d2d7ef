"""The link in every notification email turns email down without signing in."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from portal.errors import DomainError
from portal.mail.links import PREFERENCES_SALT, password_fingerprint
from portal.mail.models import OutboxMessage
from portal.notifications.jobs import send_weekly_digest
from portal.notifications.kinds import KINDS, Delivery
from portal.notifications.services import notify, preferences_for, set_preferences

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LINK = re.compile(r"http://127\.0\.0\.1:5000(/notifications/email/[\w.\-]+)")


def preferences_path(db, person):
    """The preferences link from the latest email to ``person``, as a local path."""
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == person.email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    [path] = set(LINK.findall(message.body_text))
    assert path in LINK.findall(message.body_html)[0]
    return path


def token_of(path):
    return path.rsplit("/", 1)[1]


def all_kinds(**chosen):
    return {name: chosen.get(name, k.default.value) for name, k in KINDS.items()}


@pytest.mark.parametrize("email", ["immediate", "digest"])
def test_every_notification_email_has_a_link_that_turns_email_down(
    client, db, make_user, email
):
    person = make_user(email="rosa@example.com", name="Rosa Reader")
    if email == "immediate":
        notify(person, "account_security", "Your password was changed.", now=MONDAY)
    else:
        notify(person, "enrollment", "A reply", now=MONDAY - timedelta(days=1))
        send_weekly_digest(MONDAY)
    db.session.commit()

    response = client.get(preferences_path(db, person))

    assert response.status_code == 200
    assert "Fewer emails" in response.text
    assert "rosa@example.com" not in response.text
    assert "Rosa Reader" not in response.text
    for kind in KINDS.values():
        assert (f'name="{kind.name}"' in response.text) != kind.fixed
    # The link opens the preferences page only: it does not sign anyone in.
    assert client.get("/notifications").status_code == 302


def test_saving_from_the_link_changes_only_that_persons_preferences(
    client, db, make_user
):
    person, other = make_user(), make_user()
    notify(person, "account_security", "Your password was changed.", now=MONDAY)
    db.session.commit()
    path = preferences_path(db, person)

    response = client.post(path, data=all_kinds(enrollment="never", roles="digest"))

    assert response.status_code == 302
    assert response.headers["Location"] == path
    chosen = preferences_for(person.id)
    assert chosen["enrollment"] == Delivery.NEVER
    assert chosen["account_security"] == Delivery.IMMEDIATELY
    assert chosen["roles"] == Delivery.DIGEST
    assert preferences_for(other.id)["enrollment"] == Delivery.DIGEST
    assert "Your email preferences are saved." in client.get(path).text


def forged_tokens(app, victim, link_owner_token):
    victim_token = URLSafeTimedSerializer(app.secret_key, salt=PREFERENCES_SALT).dumps(
        {"user": victim.id}
    )
    payload = victim_token.split(".")[0]
    _, timestamp, signature = link_owner_token.rsplit(".", 2)
    return {
        "wrong secret": URLSafeTimedSerializer(
            "not-the-portal-secret-key", salt=PREFERENCES_SALT
        ).dumps({"user": victim.id}),
        "other salt": URLSafeTimedSerializer(
            app.secret_key, salt="password-reset"
        ).dumps({"user": victim.id}),
        "spliced payload": f"{payload}.{timestamp}.{signature}",
        "truncated signature": link_owner_token[:-4],
        "garbage": "not-a-token",
        "not a user": URLSafeTimedSerializer(
            app.secret_key, salt=PREFERENCES_SALT
        ).dumps({"user": "1"}),
    }


def test_a_forged_or_tampered_link_is_not_found(app, client, db, make_user):
    attacker, victim = make_user(), make_user()
    notify(attacker, "account_security", "Your password was changed.", now=MONDAY)
    db.session.commit()
    own_token = token_of(preferences_path(db, attacker))

    for name, token in forged_tokens(app, victim, own_token).items():
        assert client.get(f"/notifications/email/{token}").status_code == 404, name
        response = client.post(
            f"/notifications/email/{token}", data=all_kinds(forum="never")
        )
        assert response.status_code == 404, name

    assert preferences_for(victim.id)["enrollment"] == Delivery.DIGEST
    assert preferences_for(attacker.id)["enrollment"] == Delivery.DIGEST


def test_a_deactivated_persons_link_stops_working(client, db, make_user):
    person = make_user()
    notify(person, "account_security", "Your password was changed.", now=MONDAY)
    db.session.commit()
    path = preferences_path(db, person)
    assert client.get(path).status_code == 200

    person.active = False
    db.session.commit()

    assert client.get(path).status_code == 404


def token_signed_days_ago(app, person, days):
    class SignedThen(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - days * 86400

    serializer = URLSafeTimedSerializer(
        app.secret_key, salt=PREFERENCES_SALT, signer=SignedThen
    )
    return serializer.dumps({"user": person.id, "pw": password_fingerprint(person)})


def test_a_link_works_for_a_few_days_only(app, client, db, make_user):
    person = make_user()
    days = app.config["PORTAL_PREFERENCES_LINK_DAYS"]
    assert days <= 7
    fresh = token_signed_days_ago(app, person, days - 1)
    stale = token_signed_days_ago(app, person, days + 1)

    assert client.get(f"/notifications/email/{fresh}").status_code == 200
    assert client.get(f"/notifications/email/{stale}").status_code == 404


@pytest.mark.parametrize("choice", ["never", "digest"])
def test_account_security_email_cannot_be_turned_down(client, db, make_user, choice):
    person = make_user()
    notify(person, "account_security", "Your password was changed.", now=MONDAY)
    db.session.commit()
    path = preferences_path(db, person)

    page = client.get(path).text
    client.post(path, data=all_kinds(account_security=choice, roles="never"))

    assert 'name="account_security"' not in page
    chosen = preferences_for(person.id)
    assert chosen["account_security"] == Delivery.IMMEDIATELY
    assert chosen["roles"] == Delivery.NEVER
    with pytest.raises(DomainError, match="cannot be turned off"):
        set_preferences(person, {"account_security": Delivery.NEVER})
