"""The health check, production configuration checks, demo data and error pages."""

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.accounts.models import Org, Role, Team, User
from portal.audit.models import AuditEvent
from portal.config import ConfigError, normalise_database_url
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.extensions import db
from tests.helpers import login_as
from tests.helpers import test_config as portal_test_config

LONG_SECRET = "a-production-secret-key-of-forty-characters"
CONFIG_ENV = [
    "SECRET_KEY",
    "PORTAL_SECRET_KEY",
    "DATABASE_URL",
    "PORTAL_DATABASE_URL",
    "PORTAL_ENV",
    "PORTAL_ALLOW_SQLITE_IN_PRODUCTION",
    "PORTAL_LOAD_DEMO_DATA",
]


@pytest.fixture
def clean_env(monkeypatch):
    """Configuration comes only from what each test sets."""
    for name in CONFIG_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# Health check


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.json["status"] == "ok"


@pytest.mark.parametrize(
    "unreachable_url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/none",
        "sqlite:////nonexistent-portal-directory/portal.db",
    ],
    ids=["postgresql-closed-port", "sqlite-missing-directory"],
)
def test_healthz_is_503_json_when_the_database_does_not_answer(unreachable_url):
    app = create_app(portal_test_config(unreachable_url))
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.is_json
        assert response.json == {"status": "unavailable", "database": "unreachable"}
    finally:
        with app.app_context():
            db.engine.dispose()


# Production configuration


def test_production_without_a_secret_key_refuses_to_start(clean_env):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app({"PORTAL_ENV": "production"})


def test_production_with_a_short_secret_key_refuses_to_start(clean_env):
    clean_env.setenv("DATABASE_URL", "postgresql://portal@db.internal/portal")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        create_app({"PORTAL_ENV": "production", "SECRET_KEY": "short-secret"})


def test_production_on_sqlite_refuses_to_start_unless_allowed(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    config = {"PORTAL_ENV": "production", "SECRET_KEY": LONG_SECRET}
    with pytest.raises(ConfigError, match="PostgreSQL"):
        create_app(config)

    clean_env.setenv("PORTAL_ALLOW_SQLITE_IN_PRODUCTION", "1")
    app = create_app(config)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def test_production_on_postgresql_starts_with_hardened_settings(clean_env):
    clean_env.setenv("PORTAL_ENV", "production")
    clean_env.setenv("SECRET_KEY", LONG_SECRET)
    clean_env.setenv("DATABASE_URL", "postgres://portal:pw@db.internal:5432/portal")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://portal:pw@db.internal:5432/portal"
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PORTAL_LOAD_DEMO_DATA"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/portal.db", "sqlite:////tmp/portal.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg(given, expected):
    assert normalise_database_url(given) == expected


# Demo data


@pytest.fixture
def demo_app(app_factory):
    app = app_factory(PORTAL_LOAD_DEMO_DATA=True)
    with app.app_context():
        yield app


def _seed(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_seed_creates_every_role_and_prints_the_logins(demo_app):
    output = _seed(demo_app)

    assert "Demo data loaded." in output
    assert DEMO_PASSWORD in output
    for email, name, *_ in DEMO_ACCOUNTS:
        assert email in output and name in output
    users = {u.email: u for u in db.session.scalars(select(User))}
    for email, _, _, _, _, roles, _ in DEMO_ACCOUNTS:
        assert users[email].roles == set(roles)
    assert set().union(*(u.roles for u in users.values())) == {
        role for role in Role if role.in_use
    }
    assert any(not u.roles for u in users.values()), "no plain engineer"
    assert all(u.team is not None for u in users.values())
    assert _count(Org) == 3 and _count(Team) == 9
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("demo.seed") == 1


def test_demo_seed_a_second_time_creates_nothing_more(demo_app):
    _seed(demo_app)
    counts = [_count(model) for model in (User, Org, Team, AuditEvent)]

    output = _seed(demo_app)

    db.session.expire_all()
    assert [_count(model) for model in (User, Org, Team, AuditEvent)] == counts
    assert "Demo data loaded." not in output
    assert DEMO_ACCOUNTS[0][0] in output


def test_demo_seed_does_nothing_in_production(app_factory, monkeypatch):
    monkeypatch.setenv("PORTAL_ALLOW_SQLITE_IN_PRODUCTION", "1")
    app = app_factory(
        PORTAL_ENV="production", SECRET_KEY=LONG_SECRET, PORTAL_LOAD_DEMO_DATA=True
    )
    with app.app_context():
        output = _seed(app)
        assert "Demo data is off" in output
        assert DEMO_PASSWORD not in output
        assert _count(User) == 0 and _count(Org) == 0


def test_every_demo_account_can_sign_in_with_the_demo_password(app_factory):
    # No app context stays pushed during the requests: it would carry the
    # previous sign-in over in `g` and turn every later POST into a redirect.
    app = app_factory(PORTAL_LOAD_DEMO_DATA=True)
    with app.app_context():
        _seed(app)
        accounts = db.session.execute(select(User.email, User.display_name)).all()
    assert len(accounts) > len(DEMO_ACCOUNTS)
    for email, name in accounts:
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"email": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, email
        assert f"Welcome, {name}" in client.get("/").text


# Error pages


def test_unknown_page_is_the_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.text
    assert "Go to the start page" in response.text


def test_forbidden_page_is_the_friendly_403(client, engineer):
    login_as(client, engineer)
    response = client.get("/admin/audit")
    assert response.status_code == 403
    assert "Not allowed" in response.text
    assert "You do not have permission to see this page." in response.text


def test_too_many_failed_sign_ins_from_one_address_is_a_429_that_says_why(
    app_factory,
):
    app = app_factory(PORTAL_LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    client = app.test_client()
    statuses = [
        client.post(
            "/auth/login",
            data={"email": f"guess{n}@example.com", "password": "not the password"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200] * 3 + [429]
    response = client.post(
        "/auth/login", data={"email": "guess9@example.com", "password": "x"}
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts from your network" in response.text


def test_too_many_sign_ins_to_one_account_asks_for_the_emailed_link(client, engineer):
    attempt = {"email": engineer.email, "password": "not the password"}
    statuses = [client.post("/auth/login", data=attempt).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [302]
    assert "needs a link from its inbox" in client.get("/auth/login").text


def test_unexpected_error_rolls_back_and_shows_the_friendly_500(app_factory):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)
    seen_after_error = {}

    @app.route("/boom")
    def boom():
        db.session.add(Org(name="Half-done", description=""))
        db.session.flush()
        raise RuntimeError("unexpected failure in a view")

    @app.after_request
    def record_session_state(response):
        # Runs after the 500 handler, in the same session: a flushed row that
        # was not rolled back would still be visible here.
        seen_after_error["orgs"] = _count(Org)
        return response

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "RuntimeError" not in response.text
    assert seen_after_error["orgs"] == 0
    with app.app_context():
        assert _count(Org) == 0


@pytest.mark.parametrize(
    ("months", "days", "message"),
    [
        ("0", "30", "VALID_MONTHS must be from 1 to 120"),
        ("12", "-1", "RENEWAL_DAYS must be 0 or more"),
        ("1", "40", "shorter than the certificate's lifetime"),
    ],
)
def test_a_certificate_lifetime_that_makes_no_sense_refuses_to_start(
    clean_env, months, days, message
):
    clean_env.setenv("PORTAL_CERTIFICATE_VALID_MONTHS", months)
    clean_env.setenv("PORTAL_CERTIFICATE_RENEWAL_DAYS", days)

    with pytest.raises(ConfigError, match=message):
        create_app({"SECRET_KEY": LONG_SECRET})


def test_the_certificate_lifetime_is_read_from_the_environment(clean_env):
    clean_env.setenv("PORTAL_CERTIFICATE_VALID_MONTHS", "24")
    clean_env.setenv("PORTAL_CERTIFICATE_RENEWAL_DAYS", "60")

    app = create_app({"SECRET_KEY": LONG_SECRET})

    assert app.config["PORTAL_CERTIFICATE_VALID_MONTHS"] == 24
    assert app.config["PORTAL_CERTIFICATE_RENEWAL_DAYS"] == 60


@pytest.mark.parametrize(
    ("contact", "href"),
    [
        ("security@corp.example", "mailto:security@corp.example"),
        ("https://corp.example/security", "https://corp.example/security"),
    ],
)
def test_the_footer_links_the_security_contact(app_factory, clean_env, contact, href):
    clean_env.setenv("PORTAL_SECURITY_CONTACT", contact)
    app = app_factory()

    html = app.test_client().get("/").get_data(as_text=True)

    assert f'href="{href}">Report a security problem</a>' in html


@pytest.mark.parametrize(
    "contact", ["javascript:alert(1)", "not an address", 'x@y.z" onclick="a']
)
def test_a_security_contact_that_is_no_address_refuses_to_start(clean_env, contact):
    clean_env.setenv("PORTAL_SECURITY_CONTACT", contact)

    with pytest.raises(ConfigError, match="PORTAL_SECURITY_CONTACT"):
        create_app({"SECRET_KEY": LONG_SECRET})
