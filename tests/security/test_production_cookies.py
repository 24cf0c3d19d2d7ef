"""In production the cookies are __Host- cookies, HSTS can be preloaded, and
the development server names no software version.

A __Host- cookie is kept by browsers only when it is Secure, on Path=/ and
has no Domain, so no subdomain can plant or read it; a Set-Cookie that breaks
those rules (a deletion included) is ignored by the browser.
"""

import http.client
import threading

import pytest
from werkzeug.serving import make_server

from portal.devserver import QuietRequestHandler
from portal.security import HSTS, HSTS_PRELOAD
from tests.helpers import PASSWORD

HTTPS = "https://portal.test"
LONG_SECRET = "a-production-secret-key-of-more-than-thirty-two-characters"


@pytest.fixture
def production(app_factory, db_url, monkeypatch):
    """Make a production app (SQLite allowed only because the suite runs on it)."""
    if db_url.startswith("sqlite"):
        monkeypatch.setenv("PORTAL_ALLOW_SQLITE_IN_PRODUCTION", "1")

    def make(**overrides):
        return app_factory(PORTAL_ENV="production", SECRET_KEY=LONG_SECRET, **overrides)

    return make


def cookies_set(response):
    """{cookie name: {attribute (lower case): value}} from the Set-Cookie headers."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        parsed = {"value": value}
        for attribute in attributes:
            key, _, attribute_value = attribute.partition("=")
            parsed[key.lower()] = attribute_value
        cookies[name] = parsed
    return cookies


def assert_host_cookie(cookie, name):
    assert "secure" in cookie, f"{name} is not Secure"
    assert cookie.get("path") == "/", f"{name} is not on Path=/"
    assert "domain" not in cookie, f"{name} names a Domain"


def sign_in(client, user):
    return client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
        base_url=HTTPS,
    )


def test_production_cookies_are_host_cookies(production, engineer):
    app = production()
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["REMEMBER_COOKIE_NAME"] == "__Host-remember"
    client = app.test_client()

    response = sign_in(client, engineer)

    assert response.status_code == 302
    cookies = cookies_set(response)
    assert set(cookies) == {"__Host-session", "__Host-remember"}
    for name, cookie in cookies.items():
        assert_host_cookie(cookie, name)
        assert "httponly" in cookie, name
        assert cookie.get("samesite") == "Lax", name
    # The cookies sign the browser in over HTTPS.
    page = client.get("/", base_url=HTTPS)
    assert "Welcome, " in page.text


@pytest.mark.parametrize(
    "path", ["/auth/logout", "/profile/devices/revoke-all"], ids=["sign-out", "all"]
)
def test_signing_out_clears_the_host_cookies_in_a_way_browsers_accept(
    production, engineer, path
):
    client = production().test_client()
    sign_in(client, engineer)

    response = client.post(path, base_url=HTTPS)

    assert response.status_code == 302
    cookies = cookies_set(response)
    assert {"__Host-session", "__Host-remember"} <= set(cookies)
    # The session cookie now carries only the "signed out" note; the remember
    # cookie is deleted, and a deletion browsers ignore would leave it behind.
    assert cookies["__Host-remember"]["value"] == ""
    for name in ("__Host-session", "__Host-remember"):
        assert_host_cookie(cookies[name], name)


def test_development_cookies_keep_their_plain_names(app):
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    # Unset, Flask-Login names it remember_token.
    assert app.config.get("REMEMBER_COOKIE_NAME", "remember_token") == "remember_token"
    assert not app.config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("preload", "expected"), [(False, HSTS), (True, HSTS_PRELOAD)], ids=["1y", "2y"]
)
def test_hsts_in_production(production, preload, expected):
    app = production(PORTAL_HSTS_PRELOAD=preload)

    response = app.test_client().get("/", base_url=HTTPS)

    assert response.headers["Strict-Transport-Security"] == expected


def test_the_preload_header_is_the_form_the_preload_list_asks_for():
    assert HSTS_PRELOAD == "max-age=63072000; includeSubDomains; preload"


def test_no_hsts_outside_production(app_factory):
    app = app_factory(PORTAL_HSTS_PRELOAD=True)

    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


def test_the_development_server_names_no_version(app, db):
    db.session.commit()  # the server's requests must not wait for this test's
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler
    )
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/", headers={"Host": "portal.test"})
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        server.shutdown()
        serving.join(timeout=10)
        server.server_close()

    assert response.status == 200
    assert response.getheader("Server") == "Guardians Portal"
    for leak in ("Werkzeug", "Python", "/"):
        assert leak not in response.getheader("Server")
