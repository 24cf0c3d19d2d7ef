"""The preferences link in every email: it only turns email down.

Without signing in, the link can move a kind from "immediately" to the
digest or to never, but never up, and never touches account security. It
lasts PORTAL_PREFERENCES_LINK_DAYS days, dies when the password changes, and
its page names nobody.
"""

from html import unescape

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from portal.mail.links import PREFERENCES_SALT, password_fingerprint, preferences_url
from portal.notifications.kinds import KINDS, Delivery
from portal.notifications.models import NotificationPreference
from portal.notifications.services import preferences_for, set_preferences
from tests.helpers import change_password, login_as

NEW_PASSWORD = "juniper lantern over water"
BASE = "http://127.0.0.1:5000"
TURN_DOWN_ONLY = "Not a valid choice"


@pytest.fixture
def person(db, make_user):
    person = make_user(email="rosa.reader@example.com", name="Rosa Reader")
    set_preferences(person, {"roles": Delivery.IMMEDIATELY, "training": Delivery.NEVER})
    db.session.commit()
    return person


def link_path(app, person):
    """The path of the link an email to ``person`` carries, made as emails make it."""
    with app.test_request_context():
        url = preferences_url(person)
    assert url.startswith(BASE + "/notifications/email/")
    return url[len(BASE) :]


def shown_kinds(**chosen):
    """The form as the page sends it: every kind it shows, changed as given."""
    current = {"roles": "immediately", "training": "never"}
    return {
        name: chosen.get(name, current.get(name, kind.default.value))
        for name, kind in KINDS.items()
        if not kind.fixed
    }


def saved(db, person):
    db.session.expire_all()
    return preferences_for(person.id)


@pytest.mark.parametrize("choice", [Delivery.DIGEST, Delivery.NEVER])
def test_the_link_turns_an_immediate_kind_down(app, client, db, person, choice):
    path = link_path(app, person)

    response = client.post(path, data=shown_kinds(roles=choice.value))

    assert response.status_code == 302
    assert response.headers["Location"] == path
    assert saved(db, person)["roles"] is choice
    assert saved(db, person)["training"] is Delivery.NEVER
    assert "Your email preferences are saved." in client.get(path).text


@pytest.mark.parametrize(
    ("kind", "raised"),
    [
        ("training", Delivery.IMMEDIATELY),
        ("training", Delivery.DIGEST),
        ("welcome", Delivery.IMMEDIATELY),
    ],
)
def test_the_link_cannot_ask_for_more_email(app, client, db, person, kind, raised):
    path = link_path(app, person)
    before = saved(db, person)
    page = client.get(path).text
    assert (
        f'value="{raised.value}"'
        not in page.split(f'name="{kind}"', 1)[1].split("</select>", 1)[0]
    ), "the page does not offer more"

    # Raising one kind and lowering another: nothing at all is saved.
    response = client.post(
        path, data=shown_kinds(roles="never", **{kind: raised.value})
    )

    assert response.status_code == 200
    assert TURN_DOWN_ONLY in unescape(response.text)
    assert saved(db, person) == before


@pytest.mark.parametrize("forged", ["never", "digest", "immediately", "pizza"])
def test_a_forged_account_security_field_changes_nothing(
    app, client, db, person, forged
):
    path = link_path(app, person)

    response = client.post(
        path, data={**shown_kinds(roles="digest"), "account_security": forged}
    )

    assert response.status_code == 302
    assert saved(db, person)["account_security"] is Delivery.IMMEDIATELY
    assert saved(db, person)["roles"] is Delivery.DIGEST
    stored = db.session.scalars(
        select(NotificationPreference.kind).where(
            NotificationPreference.user_id == person.id
        )
    ).all()
    assert "account_security" not in stored


def token_signed_days_ago(app, person, days):
    class SignedThen(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - int(days * 86400)

    serializer = URLSafeTimedSerializer(
        app.secret_key, salt=PREFERENCES_SALT, signer=SignedThen
    )
    return serializer.dumps({"user": person.id, "pw": password_fingerprint(person)})


@pytest.mark.parametrize("days", [2, 7])
def test_the_link_expires_after_the_configured_days(app_factory, db, person, days):
    linked = app_factory(PORTAL_PREFERENCES_LINK_DAYS=days)
    client = linked.test_client()
    before = saved(db, person)
    fresh = token_signed_days_ago(linked, person, days - 0.5)
    stale = token_signed_days_ago(linked, person, days + 0.5)

    assert client.get(f"/notifications/email/{fresh}").status_code == 200
    assert client.get(f"/notifications/email/{stale}").status_code == 404
    response = client.post(
        f"/notifications/email/{stale}", data=shown_kinds(roles="never")
    )
    assert response.status_code == 404
    assert saved(db, person) == before


def test_the_link_dies_when_the_password_is_changed(app, db, person):
    path = link_path(app, person)
    browser = app.test_client()
    assert browser.get(path).status_code == 200
    before = saved(db, person)
    desk = app.test_client()
    login_as(desk, person)

    changed = change_password(desk, NEW_PASSWORD)

    assert changed.status_code == 302
    assert browser.get(path).status_code == 404
    assert browser.post(path, data=shown_kinds(roles="never")).status_code == 404
    assert saved(db, person) == before
    # Emails sent from now on carry a link that works.
    db.session.refresh(person)
    assert app.test_client().get(link_path(app, person)).status_code == 200


def test_the_page_names_nobody(app, client, db, person):
    path = link_path(app, person)
    private = [person.email, "rosa.reader", person.display_name, "Rosa", "Reader"]

    pages = {
        "form": client.get(path),
        "refused": client.post(path, data=shown_kinds(training="immediately")),
        "saved": client.get(client.post(path, data=shown_kinds()).headers["Location"]),
    }

    for name, page in pages.items():
        assert page.status_code == 200, name
        for text in private:
            assert text not in page.text, f"{name} page shows {text!r}"
