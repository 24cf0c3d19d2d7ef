"""Configuration: defaults, environment overrides and production checks.

Every setting can be overridden by an environment variable of the same name
prefixed with ``PORTAL_`` (``DATABASE_URL`` and ``SECRET_KEY`` are also read
without the prefix, as hosting platforms usually set them).
"""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


class ConfigError(RuntimeError):
    """The configuration cannot be used to start the portal."""


def _env(name, default=None):
    return os.environ.get(f"PORTAL_{name}", default)


def _env_bool(name, default):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = _env(name)
    return default if value is None else int(value)


def _optional_minutes(name, default):
    """Minutes as a number (fractions allowed), or "module" for no override."""
    value = _env(name)
    if value is None or value.strip() == "":
        return default
    return None if value.strip().lower() == "module" else float(value)


def normalise_database_url(url):
    """Use the psycopg 3 driver for PostgreSQL URLs given without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _dev_secret_key():
    """A random key kept in instance/ so sessions survive a restart in development."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config():
    """Build the configuration mapping from defaults and the environment."""
    env = _env("ENV", "development")
    database_url = os.environ.get("DATABASE_URL") or _env("DATABASE_URL")
    if not database_url:
        database_url = f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    secret_key = os.environ.get("SECRET_KEY") or _env("SECRET_KEY")
    domains = _env("ALLOWED_EMAIL_DOMAINS", "example.com")
    ratelimit_storage = _env("RATELIMIT_STORAGE_URI", "memory://")
    production = env == "production"
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PORTAL_ALLOWED_EMAIL_DOMAINS": sorted(
            {d.strip().lower() for d in domains.split(",") if d.strip()}
        ),
        "PORTAL_BASE_URL": _env("BASE_URL", "http://127.0.0.1:5000"),
        # Where the footer's "Report a security problem" leads: an email
        # address or an https:// page.
        "PORTAL_SECURITY_CONTACT": _env("SECURITY_CONTACT", "security@example.com"),
        "PORTAL_MAIL_SENDER": _env(
            "MAIL_SENDER", "Guardians Portal <guardians@example.com>"
        ),
        "PORTAL_SMTP_HOST": _env("SMTP_HOST"),
        "PORTAL_SMTP_PORT": _env_int("SMTP_PORT", 587),
        "PORTAL_SMTP_USERNAME": _env("SMTP_USERNAME"),
        "PORTAL_SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "PORTAL_SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", True),
        "PORTAL_SMTP_TIMEOUT": _env_int("SMTP_TIMEOUT", 10),
        "PORTAL_PASSWORD_RESET_MINUTES": _env_int("PASSWORD_RESET_MINUTES", 60),
        "PORTAL_SIGN_IN_LINK_MINUTES": _env_int("SIGN_IN_LINK_MINUTES", 15),
        "PORTAL_VERIFY_EMAIL_HOURS": _env_int("VERIFY_EMAIL_HOURS", 48),
        "PORTAL_PREFERENCES_LINK_DAYS": _env_int("PREFERENCES_LINK_DAYS", 7),
        # Attempts are counted before the password is checked (portal.auth.throttle).
        "PORTAL_LOGIN_LIMIT_PER_ACCOUNT": _env(
            "LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"
        ),
        "PORTAL_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": _env(
            "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", "5 per 15 minutes"
        ),
        "PORTAL_LOGIN_LIMIT_PER_IP": _env("LOGIN_LIMIT_PER_IP", "30 per 15 minutes"),
        "PORTAL_LOGIN_FAILURE_LIMIT": _env("LOGIN_FAILURE_LIMIT", "300 per 15 minutes"),
        "PORTAL_RESET_LIMIT_PER_IP": _env("RESET_LIMIT_PER_IP", "10 per hour"),
        "PORTAL_SIGNUP_LIMIT_PER_IP": _env("SIGNUP_LIMIT_PER_IP", "10 per hour"),
        # Account emails (reset, confirm, sign-in links) one address receives.
        "PORTAL_ACCOUNT_EMAIL_LIMIT": _env("ACCOUNT_EMAIL_LIMIT", "5 per hour"),
        "PORTAL_PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        # portal.auth.throttle gives attempts back, which needs fixed windows.
        "RATELIMIT_STRATEGY": "fixed-window",
        # Retry-After (and the limit's figures) on throttled pages.
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        # A session's absolute lifetime and idle timeout; "keep me signed in"
        # has its own pair (portal.auth.sessions enforces all four).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("SESSION_HOURS", 12)),
        "PORTAL_SESSION_IDLE": timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 60)),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_env_int("REMEMBER_DAYS", 14)),
        "PORTAL_REMEMBER_IDLE": timedelta(days=_env_int("REMEMBER_IDLE_DAYS", 7)),
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PORTAL_HSTS_PRELOAD": _env_bool("HSTS_PRELOAD", False),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "PORTAL_LOAD_DEMO_DATA": _env_bool("LOAD_DEMO_DATA", not production),
        "PORTAL_GUARDIAN_RATIO_TARGET": _env_int("GUARDIAN_RATIO_TARGET", 25),
        # Overrides every module's cool-down (minutes); short on a laptop for demos.
        "PORTAL_TRAINING_COOLDOWN_MINUTES": _optional_minutes(
            "TRAINING_COOLDOWN_MINUTES", None if production else 1
        ),
        # A Guardian certificate's lifetime; renewal opens (and the holder is
        # reminded) this many days before it ends.
        "PORTAL_CERTIFICATE_VALID_MONTHS": _env_int("CERTIFICATE_VALID_MONTHS", 12),
        "PORTAL_CERTIFICATE_RENEWAL_DAYS": _env_int("CERTIFICATE_RENEWAL_DAYS", 30),
        # Security reviews (portal.reviews): no average is shown over fewer
        # rated reviews than this; a survey stays editable this many days; a
        # missing survey is reminded after this many days of approval; a review
        # this many days in one stage is flagged to program managers.
        "PORTAL_REVIEW_MIN_RATED": _env_int("REVIEW_MIN_RATED", 3),
        "PORTAL_SURVEY_EDIT_DAYS": _env_int("SURVEY_EDIT_DAYS", 14),
        "PORTAL_SURVEY_REMINDER_DAYS": _env_int("SURVEY_REMINDER_DAYS", 3),
        "PORTAL_REVIEW_STUCK_DAYS": _env_int("REVIEW_STUCK_DAYS", 30),
        # Whether Guardians see which reviewer wrote the feedback they read.
        "PORTAL_SURVEY_SHOWS_REVIEWER": _env_bool("SURVEY_SHOWS_REVIEWER", True),
        # Recognition (portal.recognition): how many kudos each person may give
        # in a calendar month.
        "PORTAL_KUDOS_PER_MONTH": _env_int("KUDOS_PER_MONTH", 3),
    }


def finalise_config(config):
    """Apply production checks and development defaults; raise ConfigError."""
    production = config["PORTAL_ENV"] == "production"
    if production:
        if not config.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set when PORTAL_ENV=production.")
        if len(config["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long.")
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not _env_bool(
            "ALLOW_SQLITE_IN_PRODUCTION", False
        ):
            raise ConfigError(
                "Set DATABASE_URL to PostgreSQL when PORTAL_ENV=production."
            )
        config["PORTAL_LOAD_DEMO_DATA"] = False
        # Decided here, not in load_config, so production given to create_app
        # (not only through the environment) also keeps cookies off plain HTTP.
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = True
        # __Host- cookies are refused by browsers unless Secure, on path / and
        # without a Domain: no subdomain can plant or read them.
        config.setdefault("SESSION_COOKIE_NAME", "__Host-session")
        config.setdefault("REMEMBER_COOKIE_NAME", "__Host-remember")
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _dev_secret_key()
    if not config["PORTAL_ALLOWED_EMAIL_DOMAINS"]:
        raise ConfigError("PORTAL_ALLOWED_EMAIL_DOMAINS must name at least one domain.")
    _check_certificate_lifetime(config)
    _check_review_settings(config)
    # A form's CSRF token lives no longer than the session it belongs to.
    config["WTF_CSRF_TIME_LIMIT"] = int(
        config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    )
    config["PORTAL_SECURITY_CONTACT_HREF"] = security_contact_href(
        config["PORTAL_SECURITY_CONTACT"]
    )
    return config


def security_contact_href(contact):
    """The link for a security contact given as an email address or a URL."""
    contact = (contact or "").strip()
    if re.fullmatch(r"https?://[^\s\"'<>]+", contact):
        return contact
    if re.fullmatch(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[^@\s\"'<>]+", contact):
        return "mailto:" + contact
    raise ConfigError(
        "PORTAL_SECURITY_CONTACT must be an email address or an http(s):// address."
    )


def _check_certificate_lifetime(config):
    months = config["PORTAL_CERTIFICATE_VALID_MONTHS"]
    days = config["PORTAL_CERTIFICATE_RENEWAL_DAYS"]
    if not 1 <= months <= 120:
        raise ConfigError("PORTAL_CERTIFICATE_VALID_MONTHS must be from 1 to 120.")
    if not 0 <= days < 28 * months:
        raise ConfigError(
            "PORTAL_CERTIFICATE_RENEWAL_DAYS must be 0 or more and shorter than "
            "the certificate's lifetime."
        )


def _check_review_settings(config):
    for name, low in (
        ("PORTAL_REVIEW_MIN_RATED", 1),
        ("PORTAL_SURVEY_EDIT_DAYS", 0),
        ("PORTAL_SURVEY_REMINDER_DAYS", 1),
        ("PORTAL_REVIEW_STUCK_DAYS", 1),
        ("PORTAL_KUDOS_PER_MONTH", 1),
    ):
        if not low <= config[name] <= 3650:
            raise ConfigError(f"{name} must be a whole number from {low} to 3650.")
