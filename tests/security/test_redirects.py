"""`next` after sign-in only ever leads to a path on this site."""

from urllib.parse import urlsplit

import pytest

from portal.security import is_safe_next
from tests.helpers import PASSWORD
from tests.security.conftest import is_signed_in

OFFSITE = [
    "//evil.example",
    "/\\evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "\\\\evil",
]


def _sign_in(client, user, next_value):
    return client.post(
        "/auth/login",
        query_string={"next": next_value},
        data={"email": user.email, "password": PASSWORD},
    )


@pytest.mark.parametrize("target", OFFSITE)
def test_offsite_next_is_refused(client, engineer, target):
    response = _sign_in(client, engineer, target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_local_next_is_honoured(client, engineer):
    response = _sign_in(client, engineer, "/orgs")

    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs"


def test_login_required_round_trip_returns_to_the_page(client, engineer):
    bounced = client.get("/orgs")
    login_url = urlsplit(bounced.headers["Location"])
    assert login_url.path == "/auth/login"

    response = client.post(
        f"{login_url.path}?{login_url.query}",
        data={"email": engineer.email, "password": PASSWORD},
    )

    assert response.headers["Location"] == "/orgs"
    assert client.get("/orgs").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/orgs",
        "/people/3",
        "/orgs?page=2",
        "/people/3#about",
        "/notifications/preferences",
        "/path/with//double-slash",
    ],
)
def test_is_safe_next_accepts_local_paths(target):
    assert is_safe_next(target)


@pytest.mark.parametrize(
    "target",
    OFFSITE
    + [
        None,
        "",
        42,
        "///evil.example",
        "////evil.example",
        "https:evil.example",
        "HTTPS://evil.example",
        "//evil.example/orgs",
        "/\\/evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nLocation: https://evil.example",
        "/\x00/evil.example",
        " //evil.example",
        "evil.example",
        "orgs",
        "mailto:someone@evil.example",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_is_safe_next_refuses_everything_else(target):
    assert not is_safe_next(target)
