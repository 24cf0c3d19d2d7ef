"""Security headers and cookie flags on public, signed-in and error pages."""

import pytest

from tests.helpers import login_as

PRODUCTION_SECRET = "a-production-secret-key-of-at-least-32-characters"


def _directives(csp):
    parsed = {}
    for directive in csp.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def assert_security_headers(response):
    csp = response.headers.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    directives = _directives(csp)
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no CDN, no inline scripts
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


def _no_store(response):
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.fixture
def signed_in_client(client, engineer):
    login_as(client, engineer)
    return client


def _session_cookie(response, name="session"):
    cookies = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")
    ]
    assert len(cookies) == 1, f"expected one {name} cookie, got {cookies}"
    return [part.strip().lower() for part in cookies[0].split(";")]


def test_public_page_headers(client):
    response = client.get("/auth/login")

    assert response.status_code == 200
    assert_security_headers(response)
    assert not _no_store(response)
    assert "Strict-Transport-Security" not in response.headers


def test_signed_in_page_headers(signed_in_client):
    response = signed_in_client.get("/")

    assert response.status_code == 200
    assert "Welcome, " in response.text
    assert_security_headers(response)
    assert _no_store(response)
    assert "Strict-Transport-Security" not in response.headers


def test_error_page_headers_signed_out(client):
    response = client.get("/there-is-no-such-page")

    assert response.status_code == 404
    assert_security_headers(response)
    assert not _no_store(response)


def test_error_page_headers_signed_in(signed_in_client):
    response = signed_in_client.get("/there-is-no-such-page")

    assert response.status_code == 404
    assert_security_headers(response)
    assert _no_store(response)


def test_pages_have_no_inline_script_for_csp_to_block(signed_in_client):
    page = signed_in_client.get("/").text

    scripts = page.count("<script")
    assert scripts > 0
    assert page.count("<script src=") == scripts
    assert " onclick=" not in page and " onload=" not in page


def test_development_session_cookie_flags(client, engineer):
    response = login_as(client, engineer, remember=True)

    for name in ("session", "remember_token"):
        flags = _session_cookie(response, name)
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "secure" not in flags


@pytest.fixture
def production_app(make_app, db_url, monkeypatch):
    if db_url.startswith("sqlite"):
        monkeypatch.setenv("PORTAL_ALLOW_SQLITE_IN_PRODUCTION", "1")
    return make_app(PORTAL_ENV="production", SECRET_KEY=PRODUCTION_SECRET)


def test_production_sends_hsts(production_app, engineer):
    client = production_app.test_client()
    public = client.get("/auth/login")
    login_as(client, engineer)
    private = client.get("/")
    missing = client.get("/there-is-no-such-page")

    for response in (public, private, missing):
        assert_security_headers(response)
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert "max-age=31536000" in hsts
    assert not _no_store(public)
    assert _no_store(private) and _no_store(missing)


def test_production_cookies_are_secure(production_app, engineer):
    response = login_as(production_app.test_client(), engineer, remember=True)

    for name in ("__Host-session", "__Host-remember"):
        flags = _session_cookie(response, name)
        assert "path=/" in flags
        assert not any(flag.startswith("domain=") for flag in flags)
        assert "secure" in flags
        assert "httponly" in flags
        assert "samesite=lax" in flags


def test_too_large_request_gets_the_friendly_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]

    response = client.post(
        "/auth/login", data={"email": "someone@example.com", "password": "x" * limit}
    )

    assert response.status_code == 413
    assert "Too large" in response.text
    assert "larger than the portal accepts" in response.text
    assert_security_headers(response)


def test_unknown_url_gets_the_friendly_404(client):
    response = client.get("/nothing/here/at/all")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "There is nothing here" in response.text
    assert 'href="/"' in response.text  # a way back to the start page
