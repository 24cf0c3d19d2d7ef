"""Helpers for job tests: callables started together in threads, SMTP settings."""


def smtp_settings(port):
    """App config for plain SMTP to a local test server."""
    return {
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": port,
        "PORTAL_SMTP_STARTTLS": False,
        "PORTAL_SMTP_USERNAME": None,
        "PORTAL_SMTP_TIMEOUT": 5,
    }
