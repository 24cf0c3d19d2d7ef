"""Security headers, safe redirects and per-request hardening."""

from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def is_safe_next(target):
    """True when ``target`` is a path on this site (no scheme, host or tricks)."""
    if not target or not isinstance(target, str):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target, default):
    return target if is_safe_next(target) else default


FORM_TYPES = {"", "application/x-www-form-urlencoded", "multipart/form-data"}


def refuse_hostile_input():
    """Refuse, before any view runs, input no page can use.

    Pages take forms: a POST body of another type (JSON, XML) is a 400. No
    form in the portal takes a file, so a file sent where a text field is
    expected is a 400. Text with NUL characters is a 400 too: PostgreSQL
    cannot store them, and no one types them.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        abort(413)
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        abort(400, description="Forms are sent as form data.")
    if request.files:
        abort(400, description="This form takes text, not files.")
    texts = [
        request.path,
        *request.args.keys(),
        *request.args.values(),
        *request.form.keys(),
        *request.form.values(),
    ]
    if any("\x00" in text for text in texts):
        abort(400, description="Text cannot contain NUL characters (\\0).")


HSTS = "max-age=31536000; includeSubDomains"
# The two-year form the browsers' preload list asks for (hstspreload.org).
HSTS_PRELOAD = "max-age=63072000; includeSubDomains; preload"


def set_security_headers(response, production, hsts_preload=False):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if production:
        headers.setdefault(
            "Strict-Transport-Security", HSTS_PRELOAD if hsts_preload else HSTS
        )
    if current_user and current_user.is_authenticated and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
