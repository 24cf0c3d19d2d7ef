"""Sign-ins are throttled per account and per client address.

Past the account's limit, an address the owner never signed in from gets the
emailed one-time link instead of a password check (so strangers cannot lock
the owner out); past the address's limit, that address gets a 429.
"""

import pytest

from tests.helpers import PASSWORD

WRONG = "not the right password at all"
ATTACKER_IP = "203.0.113.7"
OTHER_IP = "198.51.100.20"


@pytest.fixture
def throttled_app(make_app):
    return make_app(
        PORTAL_LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes",
        PORTAL_LOGIN_LIMIT_PER_IP="10 per 15 minutes",
    )


def attempt(app, email, password, ip="127.0.0.1"):
    """One sign-in from a fresh browser at ``ip``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client.post("/auth/login", data={"email": email, "password": password})


def signs_in(app, user, ip="127.0.0.1"):
    return attempt(app, user.email, PASSWORD, ip).status_code == 302


def assert_throttled(response):
    assert response.status_code == 429
    assert "Too many sign-in attempts from your network" in response.text
    assert int(response.headers["Retry-After"]) > 0


def assert_needs_link(response):
    """No password was checked: the answer is the emailed link, for anyone."""
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


def assert_failed(response):
    assert response.status_code == 200
    assert "do not match an active account" in response.text


def test_fourth_attempt_on_one_account_needs_the_link_even_with_the_right_password(
    throttled_app, engineer
):
    for _ in range(3):
        assert_failed(attempt(throttled_app, engineer.email, WRONG, ATTACKER_IP))

    assert_needs_link(attempt(throttled_app, engineer.email, PASSWORD, ATTACKER_IP))


def test_the_owner_still_signs_in_from_an_address_they_used_before(
    throttled_app, engineer
):
    assert signs_in(throttled_app, engineer, OTHER_IP)
    for _ in range(3):
        assert_failed(attempt(throttled_app, engineer.email, WRONG, ATTACKER_IP))

    assert_needs_link(attempt(throttled_app, engineer.email, PASSWORD, ATTACKER_IP))
    assert signs_in(throttled_app, engineer, OTHER_IP)


def test_account_limit_ignores_case_and_spaces_in_the_email(throttled_app, engineer):
    for variant in (
        "ENGINEER@example.com",
        " engineer@example.com ",
        "Engineer@Example.com",
    ):
        assert_failed(attempt(throttled_app, variant, WRONG))

    assert_needs_link(attempt(throttled_app, engineer.email, PASSWORD))


def test_other_account_from_the_same_address_still_signs_in(
    throttled_app, engineer, make_user
):
    colleague = make_user(email="colleague@example.com")
    for _ in range(3):
        assert_failed(attempt(throttled_app, engineer.email, WRONG, ATTACKER_IP))

    assert signs_in(throttled_app, colleague, ATTACKER_IP)


def test_other_accounts_work_until_the_address_limit(throttled_app, make_user):
    people = [make_user() for _ in range(6)]
    # 3 + 3 + 3 failures, one more reaches the address limit of 10.
    for person in people[:3]:
        for _ in range(3):
            assert_failed(attempt(throttled_app, person.email, WRONG, ATTACKER_IP))
    assert signs_in(throttled_app, people[3], ATTACKER_IP)
    assert_failed(attempt(throttled_app, people[4].email, WRONG, ATTACKER_IP))

    assert_throttled(attempt(throttled_app, people[5].email, PASSWORD, ATTACKER_IP))
    assert signs_in(throttled_app, people[5], OTHER_IP)


def test_address_limit_across_many_accounts(throttled_app, make_user):
    people = [make_user() for _ in range(11)]
    for person in people[:10]:
        assert_failed(attempt(throttled_app, person.email, WRONG, ATTACKER_IP))

    assert_throttled(attempt(throttled_app, people[10].email, PASSWORD, ATTACKER_IP))
    assert_throttled(attempt(throttled_app, "nobody@example.com", WRONG, ATTACKER_IP))
    # The same accounts from another address are not held up.
    assert signs_in(throttled_app, people[10], OTHER_IP)
    assert signs_in(throttled_app, people[0], OTHER_IP)


def test_unknown_accounts_are_throttled_like_known_ones(throttled_app):
    for _ in range(3):
        assert_failed(attempt(throttled_app, "nobody@example.com", WRONG))

    assert_needs_link(attempt(throttled_app, "nobody@example.com", WRONG))


def test_successful_sign_ins_do_not_count(throttled_app, engineer, make_user):
    for _ in range(12):
        assert signs_in(throttled_app, engineer, ATTACKER_IP)
    for _ in range(3):
        assert_failed(attempt(throttled_app, engineer.email, WRONG, OTHER_IP))

    assert_needs_link(attempt(throttled_app, engineer.email, PASSWORD, OTHER_IP))


def test_viewing_the_sign_in_page_is_not_throttled(throttled_app, engineer):
    for _ in range(3):
        assert_failed(attempt(throttled_app, engineer.email, WRONG))
    client = throttled_app.test_client()

    for _ in range(12):
        assert client.get("/auth/login").status_code == 200
