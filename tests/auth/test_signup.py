"""Sign-up: allowed domains, unique addresses, optional team and the password policy."""

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.auth.passwords import COMMON_PASSWORDS_FILE, verify_password
from portal.mail.models import OutboxMessage

GOOD_PASSWORD = "violet tugboat humming quietly"


def sign_up(client, **fields):
    data = {
        "email": "new.person@example.com",
        "display_name": "New Person",
        "team_id": "0",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data.update(fields)
    if "password" in fields and "confirm" not in fields:
        data["confirm"] = fields["password"]
    return client.post("/auth/signup", data=data)


def user_count(db):
    return db.session.scalar(select(func.count()).select_from(User))


def a_common_password_of_twelve_or_more():
    words = COMMON_PASSWORDS_FILE.read_text().split()
    return next(w for w in words if len(w) >= 12 and w.isascii() and len(set(w)) >= 4)


def confirm_from_email(client, db, email):
    """Follow the confirmation link emailed to ``email``: open it, press the button."""
    body = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    path = re.search(r"http://127\.0\.0\.1:5000(/auth/confirm/[\w-]+)", body).group(1)
    assert client.get(path).status_code == 200
    return client.post(path)


def test_signup_creates_a_pending_account_that_the_emailed_link_confirms(
    client, db, make_team
):
    team = make_team(name="Checkout")

    response = sign_up(
        client,
        email="Grace.Hopper@Example.COM",
        display_name="Grace Hopper",
        team_id=str(team.id),
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "Check your inbox" in unescape(client.get("/auth/login").text)
    user = db.session.scalar(
        select(User).where(User.email == "grace.hopper@example.com")
    )
    assert user is not None, "the address is stored lower-cased"
    assert user.display_name == "Grace Hopper"
    assert user.team_id == team.id
    assert user.active and user.roles == set()
    assert user.email_verified_at is None
    assert "Welcome, Grace Hopper" not in client.get("/").text

    confirmed = confirm_from_email(client, db, "grace.hopper@example.com")

    assert confirmed.headers["Location"] == "/"
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert "Welcome, Grace Hopper" in client.get("/").text


def test_signup_follows_configured_domains(app_factory, db):
    other = app_factory(PORTAL_ALLOWED_EMAIL_DOMAINS=["corp.example.org"])
    with other.app_context():
        client = other.test_client()
        refused = sign_up(client, email="someone@example.com")
        accepted = sign_up(client, email="someone@corp.example.org")

        assert "open to company addresses only: @corp.example.org." in refused.text
        assert accepted.status_code == 302
        assert db.session.scalars(select(User.email)).all() == [
            "someone@corp.example.org"
        ]


def test_signup_without_team_is_allowed(client, db):
    response = sign_up(client, team_id="0")

    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.team_id is None
    confirm_from_email(client, db, user.email)
    assert "No team yet" in client.get("/").text


@pytest.mark.parametrize(
    "email",
    ["someone@gmail.com", "someone@example.com.evil.org", "someone@sub.example.com"],
)
def test_signup_on_other_domain_is_refused_and_creates_nothing(client, db, email):
    response = sign_up(client, email=email)

    assert response.status_code == 200
    text = unescape(response.text)
    assert (
        "Sign-up is open to company addresses only: @example.com, @guardians.test."
        in text
    )
    assert user_count(db) == 0


def test_a_used_address_answers_like_a_new_one_and_tells_its_owner(
    client, db, engineer
):
    response = sign_up(client, email="ENGINEER@Example.com", display_name="Copycat")

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "Check your inbox" in unescape(client.get("/auth/login").text)
    assert user_count(db) == 1
    assert db.session.scalar(select(User.display_name)) == "Eli Engineer"
    notice = db.session.scalar(select(OutboxMessage))
    assert notice.to_address == engineer.email
    assert "Someone tried to create a Guardians Portal account" in notice.body_text


def test_unknown_team_is_refused(client, db):
    response = sign_up(client, team_id="987654")

    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    assert user_count(db) == 0


def test_password_is_stored_as_argon2_hash(client, db):
    sign_up(client)

    user = db.session.scalar(select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    assert not verify_password(user.password_hash, GOOD_PASSWORD.upper())


def test_uncommon_twelve_character_passphrase_is_accepted(client, db):
    response = sign_up(client, password="kiwi lamp ox")  # exactly 12 characters
    assert response.status_code == 302
    assert user_count(db) == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("elevenchars", "Use at least 12 characters."),
        (("plum orchard ribbon " * 7)[:129], "cannot be longer than 128"),
        ("long.person.name@example.com", "Do not use your email address or name"),
        ("long.person.name", "Do not use your email address or name"),
        ("Long Person Name", "Do not use your email address or name"),
        ("aaaaaaaaaaaaaaaa", "too common or too easy to guess"),
    ],
    ids=["too-short", "too-long", "email", "email-local-part", "name", "one-letter"],
)
def test_password_policy_refuses_weak_passwords(client, db, password, message):
    response = sign_up(
        client,
        email="long.person.name@example.com",
        display_name="Long Person Name",
        password=password,
    )

    assert response.status_code == 200
    assert message in unescape(response.text)
    assert user_count(db) == 0


@pytest.mark.parametrize("transform", [str, str.upper], ids=["as-listed", "upper-case"])
def test_common_password_of_twelve_characters_is_refused(client, db, transform):
    common = a_common_password_of_twelve_or_more()
    assert len(common) >= 12

    response = sign_up(client, password=transform(common))

    assert response.status_code == 200
    assert "This password is too common or too easy to guess" in unescape(response.text)
    assert user_count(db) == 0


def test_password_of_exactly_128_characters_is_accepted(client, db):
    password = ("plum orchard ribbon " * 7)[:128]
    assert len(password) == 128
    assert sign_up(client, password=password).status_code == 302
    assert user_count(db) == 1


def test_mismatched_confirmation_is_refused(client, db):
    response = sign_up(client, password=GOOD_PASSWORD, confirm=GOOD_PASSWORD + "!")
    assert "The passwords do not match." in response.text
    assert user_count(db) == 0
