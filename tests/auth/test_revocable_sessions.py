"""Sessions live on the server: a copied cookie dies with its session.

A session cookie or "keep me signed in" cookie copied to another browser
signs that browser in only while the server-side session lives. Sign-out,
a password change or reset, "sign out everywhere", revoking the device and
deactivation end it; so do its absolute lifetime and its idle timeout.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, text, update

from portal.auth.models import UserSession
from portal.database import utcnow
from portal.mail.models import OutboxMessage
from tests.helpers import (
    PASSWORD,
    ask_for_reset,
    change_password,
    csrf_token_from,
    login_as,
)

NEW_PASSWORD = "harbour lights over slate"
HOST = "portal.test"
SESSION_COOKIE = "session"
REMEMBER_COOKIE = "remember_token"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# The badge on the current row (the buttons say "Sign out this device").
THIS_DEVICE = ">this device</span>"
RESET_LINK = re.compile(r"http://127\.0\.0\.1:5000/auth/reset/([A-Za-z0-9_-]+)")


def is_signed_in(client):
    page = client.get("/")
    assert page.status_code == 200
    return "Welcome, " in page.text


def is_refused(client):
    """Anonymous: the start page greets nobody and /profile sends to sign-in."""
    profile = client.get("/profile")
    return (
        not is_signed_in(client)
        and profile.status_code == 302
        and profile.headers["Location"].startswith("/auth/login")
    )


def browser(app, address="127.0.0.1", user_agent=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if user_agent:
        client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def copy_cookie(app, source, remember):
    """A fresh browser holding a copy of ``source``'s session cookie, or of its
    remember cookie alone (so the remember path is the one that signs in)."""
    name = REMEMBER_COOKIE if remember else SESSION_COOKIE
    cookie = source.get_cookie(name, domain=HOST)
    assert cookie is not None, f"no {name} cookie to copy"
    copy = app.test_client()
    copy.set_cookie(name, cookie.value, domain=HOST)
    other = SESSION_COOKIE if remember else REMEMBER_COOKIE
    assert copy.get_cookie(other, domain=HOST) is None
    return copy


def signed_in_with_copy(app, user, remember):
    """The person's own browser and a stolen copy of its cookie; the copy is
    proven to work (then its own session cookie is dropped again)."""
    own = browser(app)
    login_as(own, user, remember=remember)
    copy = copy_cookie(app, own, remember)
    assert is_signed_in(copy), "the copied cookie should work while the session lives"
    if remember:
        # The remember cookie signed the copy in and left a session cookie:
        # drop it so every later check goes through the remember cookie again.
        copy.delete_cookie(SESSION_COOKIE, domain=HOST)
    return own, copy


def session_row(db, user):
    db.session.expire_all()
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.id.desc())
    ).first()


def newest_reset_token(db, email):
    body = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    return RESET_LINK.search(body).group(1)


def sign_out(app, own, user, db, admin):
    assert own.post("/auth/logout").status_code == 302


def owner_changes_password(app, own, user, db, admin):
    response = change_password(own, NEW_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(own), "the browser that changed it gets a new session"


def reset_password(app, own, user, db, admin):
    other = app.test_client()
    ask_for_reset(other, user.email)
    token = newest_reset_token(db, user.email)
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert other.post(f"/auth/reset/{token}", data=form).status_code == 302


def sign_out_everywhere(app, own, user, db, admin):
    response = own.post("/profile/devices/revoke-all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not is_signed_in(own)


def revoke_from_another_device(app, own, user, db, admin):
    target = session_row(db, user)
    phone = browser(app, address="10.0.0.9")
    login_as(phone, user)

    response = phone.post(f"/profile/devices/{target.id}/revoke")

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/devices"
    assert is_signed_in(phone), "revoking another device keeps this one"
    assert not is_signed_in(own)


def deactivate_by_admin(app, own, user, db, admin):
    desk = browser(app, address="10.0.0.1")
    login_as(desk, admin)
    response = desk.post(
        f"/admin/users/{user.id}/deactivate", data={"reason": "left the company"}
    )
    assert response.status_code == 302
    # Reopening the account must not bring the old sessions back.
    assert desk.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    db.session.refresh(user)
    assert user.active


ENDINGS = [
    sign_out,
    owner_changes_password,
    reset_password,
    sign_out_everywhere,
    revoke_from_another_device,
    deactivate_by_admin,
]


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember"])
@pytest.mark.parametrize("ending", ENDINGS, ids=[e.__name__ for e in ENDINGS])
def test_a_copied_cookie_is_refused_once_its_session_ends(
    app, db, engineer, admin, ending, remember
):
    own, copy = signed_in_with_copy(app, engineer, remember)
    row = session_row(db, engineer)

    ending(app, own, engineer, db, admin)

    assert is_refused(copy)
    db.session.refresh(row)
    assert row.revoked_at is not None
    # Still refused when the copy tries again, through whichever cookie is left.
    assert is_refused(copy)


def age_session(db, row, *, created, expires, last_seen):
    """Move the session's clock into the past, as time passing would."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id)
        .values(created_at=created, expires_at=expires, last_seen_at=last_seen)
    )
    db.session.commit()


LIFETIMES = {
    # remember: (absolute lifetime, idle timeout), as configured
    False: ("PERMANENT_SESSION_LIFETIME", "PORTAL_SESSION_IDLE"),
    True: ("REMEMBER_COOKIE_DURATION", "PORTAL_REMEMBER_IDLE"),
}


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember"])
def test_a_session_ends_at_its_absolute_lifetime(app, db, engineer, remember):
    own, copy = signed_in_with_copy(app, engineer, remember)
    row = session_row(db, engineer)
    assert row.remember is remember
    lifetime = app.config[LIFETIMES[remember][0]]
    assert row.expires_at - row.created_at == lifetime
    now = utcnow()
    # Busy until the end: seen a moment ago, but started a lifetime ago.
    age_session(
        db,
        row,
        created=now - lifetime - timedelta(minutes=1),
        expires=now - timedelta(minutes=1),
        last_seen=now - timedelta(seconds=5),
    )

    assert is_refused(copy)
    assert is_refused(own)


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember"])
def test_a_session_ends_after_its_idle_timeout(app, db, engineer, remember):
    own, copy = signed_in_with_copy(app, engineer, remember)
    row = session_row(db, engineer)
    idle = app.config[LIFETIMES[remember][1]]
    lifetime = app.config[LIFETIMES[remember][0]]
    assert idle < lifetime
    now = utcnow()
    created = now - idle - timedelta(minutes=5)
    age_session(
        db,
        row,
        created=created,
        expires=created + lifetime,
        last_seen=now - idle - timedelta(minutes=1),
    )

    assert is_refused(copy)
    assert is_refused(own)


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember"])
def test_use_within_the_idle_timeout_keeps_a_session_alive(app, db, engineer, remember):
    own, _ = signed_in_with_copy(app, engineer, remember)
    row = session_row(db, engineer)
    idle = app.config[LIFETIMES[remember][1]]
    lifetime = app.config[LIFETIMES[remember][0]]
    now = utcnow()
    created = now - idle - timedelta(minutes=5)
    stale = now - idle + timedelta(minutes=2)
    age_session(db, row, created=created, expires=created + lifetime, last_seen=stale)

    assert is_signed_in(own)

    db.session.refresh(row)
    assert row.last_seen_at > stale + timedelta(minutes=1), "the visit counts as use"
    assert row.revoked_at is None


def devices_page_rows(html):
    """The table rows of the devices page, as raw HTML."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("</tr>") if "<td" in row]


def test_devices_page_lists_browser_and_address_and_marks_this_device(
    app, db, engineer, intruder
):
    laptop = browser(app, address="10.1.2.3", user_agent=CHROME)
    phone = browser(app, address="10.4.5.6", user_agent=FIREFOX)
    login_as(laptop, engineer)
    login_as(phone, engineer, remember=True)
    login_as(browser(app, address="10.7.7.7"), intruder)

    page = laptop.get("/profile/devices")

    assert page.status_code == 200
    rows = devices_page_rows(page.text)
    assert len(rows) == 2, "only the engineer's own sessions are listed"
    [chrome] = [row for row in rows if "Chrome 126 on Windows" in row]
    [firefox] = [row for row in rows if "Firefox 128 on Linux" in row]
    assert "<code>10.1.2.3</code>" in chrome
    assert "<code>10.4.5.6</code>" in firefox
    assert THIS_DEVICE in chrome
    assert THIS_DEVICE not in firefox
    assert "kept signed in" in firefox and "kept signed in" not in chrome
    assert "10.7.7.7" not in page.text
    # Seen from the phone, the phone is this device.
    from_phone = devices_page_rows(phone.get("/profile/devices").text)
    assert [THIS_DEVICE in row for row in from_phone].count(True) == 1
    assert THIS_DEVICE in next(r for r in from_phone if "Firefox" in r)


def test_revoking_another_persons_session_is_not_found_and_changes_nothing(
    app, db, engineer, intruder
):
    victim_browser = browser(app, address="10.0.0.2")
    login_as(victim_browser, engineer)
    victim_row = session_row(db, engineer)
    attacker = browser(app, address="10.0.0.3")
    login_as(attacker, intruder)

    response = attacker.post(f"/profile/devices/{victim_row.id}/revoke")

    assert response.status_code == 404
    db.session.refresh(victim_row)
    assert victim_row.revoked_at is None
    assert is_signed_in(victim_browser)
    assert is_signed_in(attacker)


@pytest.mark.parametrize("session_id", ["999999", "2147483647", "2147483648"])
def test_revoking_a_session_that_does_not_exist_is_not_found(
    app, db, engineer, session_id
):
    client = browser(app)
    login_as(client, engineer)

    assert client.post(f"/profile/devices/{session_id}/revoke").status_code == 404
    assert is_signed_in(client)
    assert session_row(db, engineer).revoked_at is None


def test_the_session_row_keeps_only_a_sha256_of_the_cookie_secret(app, db, engineer):
    client = browser(app)
    login_as(client, engineer, remember=True)
    with client.session_transaction() as session:
        token = session["_user_id"]
    remember = client.get_cookie(REMEMBER_COOKIE, domain=HOST).value
    assert remember.split("|", 1)[0] == token, "both cookies carry the one secret"

    row = session_row(db, engineer)

    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    raw = db.session.execute(text("SELECT * FROM user_sessions")).mappings().all()
    assert len(raw) == 1
    for column, value in raw[0].items():
        assert token not in str(value), f"column {column} holds the raw secret"


# CSRF on, as in production.


def csrf_sign_in(app, user):
    client = app.test_client()
    token = csrf_token_from(client.get("/auth/login").text)
    response = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return client


def test_a_csrf_token_from_before_sign_out_does_not_work_after(
    app_factory, db, engineer
):
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    client = csrf_sign_in(csrf_app, engineer)
    old_token = csrf_token_from(client.get("/profile/devices").text)

    assert (
        client.post("/auth/logout", data={"csrf_token": old_token}).status_code == 302
    )
    assert not is_signed_in(client)

    # Signed out, the old token does not sign in ...
    replayed = client.post(
        "/auth/login",
        data={"email": engineer.email, "password": PASSWORD, "csrf_token": old_token},
    )
    assert replayed.status_code == 400
    assert not is_signed_in(client)
    # ... and, signed in again, it does not end the new session either.
    fresh = csrf_token_from(client.get("/auth/login").text)
    assert fresh != old_token
    signed_in = client.post(
        "/auth/login",
        data={"email": engineer.email, "password": PASSWORD, "csrf_token": fresh},
    )
    assert signed_in.status_code == 302
    response = client.post(
        "/profile/devices/revoke-all", data={"csrf_token": old_token}
    )
    assert response.status_code == 400
    assert is_signed_in(client)
    assert session_row(db, engineer).revoked_at is None


def csrf_token_signed_ago(app, client, seconds):
    """The browser's own CSRF token, as if the form was rendered ``seconds`` ago."""
    with client.session_transaction() as session:
        raw = session["csrf_token"]

    class SignedThen(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - seconds

    return URLSafeTimedSerializer(
        app.secret_key, salt="wtf-csrf-token", signer=SignedThen
    ).dumps(raw)


def test_the_session_lifetime_bounds_how_long_a_csrf_token_works(
    app_factory, db, engineer
):
    csrf_app = app_factory(
        WTF_CSRF_ENABLED=True, PERMANENT_SESSION_LIFETIME=timedelta(hours=1)
    )
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] == 3600
    assert (
        app_factory(PERMANENT_SESSION_LIFETIME=timedelta(hours=5)).config[
            "WTF_CSRF_TIME_LIMIT"
        ]
        == 5 * 3600
    )
    client = csrf_sign_in(csrf_app, engineer)
    client.get("/profile/devices")

    too_old = csrf_token_signed_ago(csrf_app, client, 3600 + 60)
    refused = client.post("/profile/devices/revoke-all", data={"csrf_token": too_old})
    assert refused.status_code == 400
    assert is_signed_in(client)

    recent = csrf_token_signed_ago(csrf_app, client, 3600 - 60)
    accepted = client.post("/profile/devices/revoke-all", data={"csrf_token": recent})
    assert accepted.status_code == 302
    assert not is_signed_in(client)
