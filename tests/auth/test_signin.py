"""Sign-in, remember-me, refused accounts, sign-out and password change."""

import io
from html import unescape

from sqlalchemy import select

from portal.accounts.importer import import_accounts
from portal.accounts.models import User
from portal.auth.passwords import verify_password
from portal.auth.views import LOGIN_FAILED
from portal.database import utcnow
from tests.helpers import PASSWORD, login_as

NEW_PASSWORD = "marble kettle over the hill"


def sign_in(client, email, password=PASSWORD, remember=False):
    return client.post(
        "/auth/login",
        data={
            "email": email,
            "password": password,
            "remember": "y" if remember else "",
        },
    )


def is_signed_in(client):
    return "Welcome, " in client.get("/").text


def set_cookie_headers(response):
    return response.headers.getlist("Set-Cookie")


def test_sign_in_with_correct_password_records_last_login(client, db, engineer):
    assert engineer.last_login_at is None

    response = sign_in(client, "Engineer@EXAMPLE.com")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    db.session.refresh(engineer)
    assert engineer.last_login_at is not None


def test_wrong_password_is_refused_with_generic_message(client, engineer):
    response = sign_in(client, engineer.email, password="not the right password")

    assert response.status_code == 200
    assert LOGIN_FAILED in unescape(response.text)
    assert not is_signed_in(client)


def test_unknown_email_gets_the_same_message(client, engineer):
    response = sign_in(client, "nobody@example.com")
    assert LOGIN_FAILED in unescape(response.text)


def test_remember_me_sets_a_lasting_remember_cookie(client, engineer):
    response = sign_in(client, engineer.email, remember=True)

    assert response.status_code == 302
    remember = [
        c for c in set_cookie_headers(response) if c.startswith("remember_token=")
    ]
    assert len(remember) == 1
    assert "Expires=" in remember[0]
    assert "HttpOnly" in remember[0]


def test_remember_cookie_alone_signs_the_person_back_in(app, engineer):
    first = app.test_client()
    sign_in(first, engineer.email, remember=True)
    token = first.get_cookie("remember_token", domain="portal.test")
    assert token is not None

    fresh = app.test_client()
    fresh.set_cookie("remember_token", token.value, domain="portal.test")

    assert is_signed_in(fresh)


def test_without_remember_me_there_is_no_remember_cookie(client, engineer):
    response = sign_in(client, engineer.email, remember=False)

    assert response.status_code == 302
    assert not any(
        c.startswith("remember_token=") for c in set_cookie_headers(response)
    )


def test_deactivated_person_cannot_sign_in(client, make_user):
    user = make_user(email="gone@example.com", active=False)

    response = sign_in(client, user.email)

    assert response.status_code == 200
    assert LOGIN_FAILED in unescape(response.text)
    assert not is_signed_in(client)


def test_imported_person_without_password_cannot_sign_in(client, db, app):
    csv_file = io.StringIO("email,display_name\nimported@example.com,Imported Person\n")
    import_accounts(
        None, csv_file, app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"], utcnow()
    )
    db.session.commit()
    user = db.session.scalar(select(User).where(User.email == "imported@example.com"))
    assert user.password_hash is None

    # Neither an empty-looking guess nor the dummy password used to equalise
    # timing may open an account that has no password.
    for guess in (PASSWORD, "an unused password that equalises login timing"):
        response = sign_in(client, user.email, password=guess)
        assert response.status_code == 200
        assert LOGIN_FAILED in unescape(response.text)
    assert not is_signed_in(client)


def test_logout_is_post_only(client, engineer):
    login_as(client, engineer)

    assert client.get("/auth/logout").status_code == 405
    assert is_signed_in(client), "a GET must not sign the person out"

    response = client.post("/auth/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not is_signed_in(client)
    assert client.get("/profile").status_code == 302


def change_password(client, current, new, confirm=None):
    return client.post(
        "/auth/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
    )


def test_change_password_needs_the_current_password(client, db, engineer):
    login_as(client, engineer)
    old_hash = engineer.password_hash

    response = change_password(client, "a wrong current password", NEW_PASSWORD)

    assert response.status_code == 200
    assert "Your current password is not correct." in response.text
    db.session.refresh(engineer)
    assert engineer.password_hash == old_hash


def test_change_password_applies_the_policy(client, db, engineer):
    login_as(client, engineer)

    short = change_password(client, PASSWORD, "tooshort")
    own_email = change_password(client, PASSWORD, engineer.email)

    assert "Use at least 12 characters." in short.text
    assert "Do not use your email address or name" in unescape(own_email.text)
    db.session.refresh(engineer)
    assert verify_password(engineer.password_hash, PASSWORD)


def test_change_password_sets_new_one_and_ends_other_sessions(app, db, engineer):
    here, elsewhere = app.test_client(), app.test_client()
    login_as(here, engineer)
    login_as(elsewhere, engineer)

    response = change_password(here, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    assert is_signed_in(here), "the device that changed it stays signed in"
    assert not is_signed_in(elsewhere), "other devices are signed out"
    db.session.refresh(engineer)
    assert verify_password(engineer.password_hash, NEW_PASSWORD)
    assert sign_in(app.test_client(), engineer.email, PASSWORD).status_code == 200
    assert sign_in(app.test_client(), engineer.email, NEW_PASSWORD).status_code == 302
