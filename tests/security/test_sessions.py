"""Password changes, resets and deactivation end every other session at once."""

import hashlib

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.auth.models import UserSession
from tests.helpers import PASSWORD, ask_for_reset, change_password, login_as
from tests.security.conftest import is_signed_in, newest_reset_token, shows_landing_page

NEW_PASSWORD = "purple elephant tango morning"


def _is_signed_out(client):
    """Anonymous again: the landing page, and a protected page sends to sign-in."""
    protected = client.get("/profile")
    return (
        shows_landing_page(client)
        and protected.status_code == 302
        and protected.headers["Location"].startswith("/auth/login")
    )


def _drop_session_cookie(app, client):
    client.delete_cookie("session", domain=app.config["SERVER_NAME"])
    assert client.get_cookie("session", domain=app.config["SERVER_NAME"]) is None


@pytest.fixture
def other_devices(app, signed_in, engineer):
    """The engineer on a laptop (a session) and a phone (only a remember cookie)."""
    laptop = signed_in(engineer)
    phone = signed_in(engineer, remember=True)
    _drop_session_cookie(app, phone)
    assert is_signed_in(laptop)
    assert is_signed_in(phone), "the remember cookie alone should sign the phone in"
    _drop_session_cookie(app, phone)  # rely on the remember cookie for the check too
    return laptop, phone


def test_password_change_signs_out_other_devices(signed_in, engineer, other_devices):
    desk = signed_in(engineer)

    response = change_password(desk, NEW_PASSWORD)

    assert response.status_code == 302
    for device in other_devices:
        assert _is_signed_out(device)
    assert is_signed_in(desk)
    assert desk.get("/profile").status_code == 200


def test_failed_password_change_signs_nobody_out(signed_in, engineer, other_devices):
    desk = signed_in(engineer)

    response = change_password(desk, NEW_PASSWORD, current="wrong current password")

    assert response.status_code == 200
    assert "current password is not correct" in response.text
    for device in (desk, *other_devices):
        assert is_signed_in(device)


def test_deactivation_by_an_admin_signs_the_person_out(
    db, signed_in, engineer, admin, other_devices
):
    admin_client = signed_in(admin)

    response = admin_client.post(
        f"/admin/users/{engineer.id}/deactivate", data={"reason": "left the company"}
    )

    assert response.status_code == 302
    for device in other_devices:
        assert _is_signed_out(device)
    assert is_signed_in(admin_client)
    db.session.expire_all()
    assert not db.session.get(User, engineer.id).active
    failed = other_devices[0].post(
        "/auth/login", data={"email": engineer.email, "password": PASSWORD}
    )
    assert failed.status_code == 200


def test_password_reset_signs_out_every_device(app, db, engineer, other_devices):
    browser = app.test_client()
    ask_for_reset(browser, engineer.email)
    token = newest_reset_token(engineer.email)

    response = browser.post(
        f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    for device in other_devices:
        assert _is_signed_out(device)
    assert not is_signed_in(browser)
    old = browser.post(
        "/auth/login", data={"email": engineer.email, "password": PASSWORD}
    )
    assert old.status_code == 200
    login_as(browser, engineer, password=NEW_PASSWORD)
    assert is_signed_in(browser)


def test_reset_link_works_once(app, engineer):
    browser = app.test_client()
    ask_for_reset(browser, engineer.email)
    token = newest_reset_token(engineer.email)
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert browser.post(f"/auth/reset/{token}", data=form).status_code == 302

    again = browser.post(f"/auth/reset/{token}", data=form)

    assert again.status_code == 302
    assert again.headers["Location"] == "/auth/reset"


def test_session_is_cleared_at_sign_in(client, db, engineer):
    with client.session_transaction() as session:
        session["planted"] = "set before sign-in"
        session["_user_id"] = "planted-session-token"

    login_as(client, engineer)

    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["_user_id"]
    row = db.session.scalar(select(UserSession))
    assert row.user_id == engineer.id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_sign_out_ends_the_remember_cookie_too(app, signed_in, engineer):
    phone = signed_in(engineer, remember=True)

    assert phone.post("/auth/logout").status_code == 302

    assert _is_signed_out(phone)
    _drop_session_cookie(app, phone)
    assert _is_signed_out(phone)
