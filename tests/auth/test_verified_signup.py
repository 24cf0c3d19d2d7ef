"""Sign-up makes a pending account; only the emailed link confirms and signs in.

A pending account cannot sign in or see the directory. Sign-up answers the
same whether or not the address has an account, and is throttled per client
address. Accounts made by the people import or `create_admin` confirm their
address too; a password reset confirms it.
"""

import hashlib
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select, text, update

from portal.accounts.importer import import_accounts
from portal.accounts.models import User
from portal.accounts.services import create_admin
from portal.auth.links import find_live_link
from portal.auth.models import AccountLink, LinkPurpose, UserSession
from portal.auth.views import CHECK_INBOX, LOGIN_FAILED
from portal.database import utcnow
from portal.mail.models import OutboxMessage
from tests.helpers import PASSWORD, ask_for_reset, login_as

GOOD_PASSWORD = "violet tugboat humming quietly"
NEW_PASSWORD = "copper kettle morning rain"
CONFIRM_LINK = re.compile(r"http://127\.0\.0\.1:5000(/auth/confirm/([A-Za-z0-9_-]+))")
RESET_LINK = re.compile(r"http://127\.0\.0\.1:5000(/auth/reset/[A-Za-z0-9_-]+)")


def sign_up(client, email, display_name="New Person", password=GOOD_PASSWORD):
    return client.post(
        "/auth/signup",
        data={
            "email": email,
            "display_name": display_name,
            "team_id": "0",
            "password": password,
            "confirm": password,
        },
    )


def sign_in(client, email, password=GOOD_PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def flashes(client):
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def is_signed_in(client):
    return "Welcome, " in client.get("/").text


def user_by_email(db, email):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def emails_to(db, address):
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id)
    ).all()


def confirm_links(db, address):
    """(path, token) of every confirmation link emailed to ``address``, oldest first."""
    return [
        match
        for message in emails_to(db, address)
        for match in CONFIRM_LINK.findall(message.body_text)
    ]


def session_count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(UserSession))


def answers_like_a_wrong_password(response):
    """What a pending account's right password gets: the wrong-password answer
    (so signing up and then in tells nothing about an address), while the
    confirmation link is emailed again."""
    return response.status_code == 200 and LOGIN_FAILED in unescape(response.text)


def check_inbox_message(app, email):
    return CHECK_INBOX.format(
        email=email, hours=app.config["PORTAL_VERIFY_EMAIL_HOURS"]
    )


def test_a_pending_account_cannot_sign_in_and_is_sent_a_new_link(app, client, db):
    sign_up(client, "pending@example.com")
    user = user_by_email(db, "pending@example.com")
    assert user is not None and user.email_verified_at is None
    assert len(confirm_links(db, user.email)) == 1

    sign_in(app.test_client(), user.email)
    browser = app.test_client()
    response = sign_in(browser, user.email)

    assert answers_like_a_wrong_password(response)
    assert not is_signed_in(browser)
    assert session_count(db) == 0
    assert len(confirm_links(db, user.email)) == 3, "each sign-in sends a link"
    assert user_by_email(db, user.email).email_verified_at is None


def test_a_wrong_password_on_a_pending_account_sends_nothing(app, client, db):
    sign_up(client, "pending@example.com")
    browser = app.test_client()

    response = sign_in(browser, "pending@example.com", password="not the password!")

    assert response.status_code == 200
    assert LOGIN_FAILED in unescape(response.text)
    assert len(confirm_links(db, "pending@example.com")) == 1


def directory_paths(person, org, team):
    return [
        f"/people/{person.id}",
        "/orgs",
        f"/orgs/{org.id}",
        f"/teams/{team.id}",
        f"/program/people/{person.id}/training",
        "/profile",
        "/profile/devices",
        "/notifications",
    ]


def assert_sent_to_sign_in(client, paths):
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/auth/login"), path


def test_a_pending_account_sees_nothing_of_the_directory(
    app, client, db, engineer, make_team
):
    team = make_team(name="Checkout")
    sign_up(client, "pending@example.com")
    sign_in(client, "pending@example.com")
    paths = directory_paths(engineer, team.org, team)

    assert_sent_to_sign_in(client, paths)
    page = client.get("/").text
    assert "Eli Engineer" not in page and "Checkout" not in page


def test_a_session_stops_working_when_its_account_is_not_confirmed(
    app, db, engineer, make_team
):
    team = make_team()
    browser = app.test_client()
    login_as(browser, engineer)
    assert browser.get(f"/teams/{team.id}").status_code == 200

    engineer.email_verified_at = None
    db.session.commit()

    assert_sent_to_sign_in(browser, directory_paths(engineer, team.org, team))


def test_following_the_link_confirms_the_address_and_signs_in(app, client, db):
    sign_up(client, "grace@example.com", display_name="Grace Hopper")
    [(path, _)] = confirm_links(db, "grace@example.com")
    browser = app.test_client()

    page = browser.get(path)
    assert page.status_code == 200
    assert "Confirm and sign in" in page.text
    assert user_by_email(db, "grace@example.com").email_verified_at is None, (
        "opening the page (as a mail scanner would) confirms nothing"
    )
    response = browser.post(path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Welcome, Grace Hopper" in browser.get("/").text
    assert user_by_email(db, "grace@example.com").email_verified_at is not None
    # Confirmed, the password signs in from now on.
    other = app.test_client()
    assert sign_in(other, "grace@example.com").headers["Location"] == "/"
    assert is_signed_in(other)


def test_the_confirmation_link_works_once(app, client, db):
    sign_up(client, "grace@example.com")
    [(path, _)] = confirm_links(db, "grace@example.com")
    assert app.test_client().post(path).status_code == 302

    for method in ("get", "post"):
        late = app.test_client()
        response = getattr(late, method)(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/auth/login"
        assert not is_signed_in(late)
    assert session_count(db) == 1


def test_the_confirmation_link_is_stored_as_a_sha256(client, db):
    sign_up(client, "grace@example.com")
    [(_, token)] = confirm_links(db, "grace@example.com")

    [row] = db.session.scalars(select(AccountLink)).all()
    assert row.purpose is LinkPurpose.VERIFY_EMAIL
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    raw = db.session.execute(text("SELECT * FROM account_links")).mappings().all()
    for column, value in raw[0].items():
        assert token not in str(value), f"column {column} holds the raw token"


def test_the_confirmation_link_expires(app, client, db):
    sign_up(client, "grace@example.com")
    [(path, token)] = confirm_links(db, "grace@example.com")
    row = db.session.scalar(select(AccountLink))
    hours = app.config["PORTAL_VERIFY_EMAIL_HOURS"]
    assert row.expires_at - row.created_at == timedelta(hours=hours)
    lived = row.created_at + timedelta(hours=hours) - timedelta(seconds=1)
    assert find_live_link(token, LinkPurpose.VERIFY_EMAIL, lived) is not None

    db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == row.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    browser = app.test_client()

    assert browser.get(path).headers["Location"] == "/auth/login"
    assert browser.post(path).headers["Location"] == "/auth/login"
    assert not is_signed_in(browser)
    assert user_by_email(db, "grace@example.com").email_verified_at is None


def test_a_second_confirmation_link_spends_the_first(app, client, db):
    sign_up(client, "grace@example.com")
    sign_in(app.test_client(), "grace@example.com")
    (first, _), (second, _) = confirm_links(db, "grace@example.com")

    stale = app.test_client()
    assert stale.get(first).headers["Location"] == "/auth/login"
    assert stale.post(first).headers["Location"] == "/auth/login"
    assert not is_signed_in(stale)
    fresh = app.test_client()
    assert fresh.post(second).headers["Location"] == "/"
    assert is_signed_in(fresh)


def answer(client, response):
    return (response.status_code, response.headers.get("Location"), flashes(client))


def test_sign_up_answers_alike_for_a_new_and_an_existing_address(app, db, engineer):
    first, second = app.test_client(), app.test_client()

    new = sign_up(first, "grace@example.com")
    again = sign_up(second, "grace@example.com", display_name="Someone Else")

    assert answer(first, new) == answer(second, again)
    assert answer(first, new) == (
        302,
        "/auth/login",
        [check_inbox_message(app, "grace@example.com")],
    )
    # An address that has long had an account answers in the same words too.
    third = app.test_client()
    known = sign_up(third, engineer.email, display_name="Copycat")
    assert answer(third, known) == (
        302,
        "/auth/login",
        [check_inbox_message(app, engineer.email)],
    )
    assert user_by_email(db, "grace@example.com").display_name == "New Person"


def test_the_owner_of_an_existing_address_hears_that_someone_tried(app, db, engineer):
    before = (engineer.display_name, engineer.password_hash, engineer.email_verified_at)
    users_before = db.session.scalar(select(func.count()).select_from(User))

    sign_up(app.test_client(), engineer.email.upper(), display_name="Copycat")

    [notice] = emails_to(db, engineer.email)
    assert notice.subject == "Someone tried to sign up with your address"
    assert "Someone tried to create a Guardians Portal account" in notice.body_text
    assert not CONFIRM_LINK.search(notice.body_text)
    owner = user_by_email(db, engineer.email)
    assert (owner.display_name, owner.password_hash, owner.email_verified_at) == before
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    assert db.session.scalar(select(func.count()).select_from(AccountLink)) == 0
    # The owner's password still works; the one typed at sign-up does not.
    assert sign_in(app.test_client(), engineer.email, PASSWORD).status_code == 302
    assert sign_in(app.test_client(), engineer.email).status_code == 200


def test_sign_up_is_throttled_per_address(app_factory, db):
    limited = app_factory(PORTAL_SIGNUP_LIMIT_PER_IP="3 per hour")

    def from_address(address, n):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return sign_up(client, f"person{n}@example.com")

    for n in range(3):
        assert from_address("10.6.0.1", n).status_code == 302
    refused = from_address("10.6.0.1", 3)

    assert refused.status_code == 429
    assert user_by_email(db, "person3@example.com") is None
    assert from_address("10.6.0.2", 4).status_code == 302
    assert user_by_email(db, "person4@example.com") is not None


def test_an_admin_made_on_the_command_line_confirms_on_first_sign_in(app, db):
    create_admin(
        email="root@example.com",
        display_name="Ria Root",
        password=GOOD_PASSWORD,
        now=utcnow(),
    )
    db.session.commit()
    browser = app.test_client()

    response = sign_in(browser, "root@example.com")

    assert answers_like_a_wrong_password(response)
    assert browser.get("/admin/users").status_code == 302
    [(path, _)] = confirm_links(db, "root@example.com")
    assert browser.post(path).headers["Location"] == "/"
    assert browser.get("/admin/users").status_code == 200


def test_importing_a_confirmed_person_again_keeps_them_confirmed(app, db, engineer):
    people = io.StringIO(f"email,display_name\n{engineer.email},Eli Renamed\n")
    import_accounts(None, people, app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"], utcnow())
    db.session.commit()

    assert user_by_email(db, engineer.email).email_verified_at is not None
    login_as(app.test_client(), engineer)


@pytest.mark.parametrize("how", ["signed up", "imported"])
def test_a_password_reset_confirms_the_address(app, client, db, how):
    email = "pending@example.com"
    if how == "signed up":
        sign_up(client, email)
    else:
        people = io.StringIO(f"email,display_name\n{email},Pat Pending\n")
        import_accounts(
            None, people, app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"], utcnow()
        )
        db.session.commit()
        # No password yet: only the reset link lets an imported person in.
        assert LOGIN_FAILED in unescape(sign_in(client, email).text)
    assert user_by_email(db, email).email_verified_at is None

    ask_for_reset(client, email)
    [path] = [
        match
        for message in emails_to(db, email)
        for match in RESET_LINK.findall(message.body_text)
    ]
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(path, data=form).status_code == 302

    assert user_by_email(db, email).email_verified_at is not None
    browser = app.test_client()
    assert sign_in(browser, email, NEW_PASSWORD).headers["Location"] == "/"
    assert is_signed_in(browser)


def test_a_password_reset_spends_the_confirmation_links_emailed_before(app, db):
    # reset_password: "every session ends and the person's other links die".
    email = "pending@example.com"
    sign_up(app.test_client(), email)
    [(confirm_path, _)] = confirm_links(db, email)
    ask_for_reset(app.test_client(), email)
    [reset_path] = [
        match
        for message in emails_to(db, email)
        for match in RESET_LINK.findall(message.body_text)
    ]
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert app.test_client().post(reset_path, data=form).status_code == 302

    late = app.test_client()
    response = late.post(confirm_path)

    assert response.headers["Location"] == "/auth/login"
    assert not is_signed_in(late)
    assert session_count(db) == 0
