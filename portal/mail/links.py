"""Signed links that let a person stop emails from any email, without signing in.

The link only turns email down (never up, never "Account security"), lasts
PORTAL_PREFERENCES_LINK_DAYS, and dies when the password changes: it carries
a fingerprint of the password hash.
"""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

PREFERENCES_SALT = "email-preferences"


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=PREFERENCES_SALT)


def password_fingerprint(user):
    """A short digest of the password hash: changes whenever the password does."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def preferences_url(user):
    token = _serializer().dumps({"user": user.id, "pw": password_fingerprint(user)})
    return absolute_url(f"/notifications/email/{token}")


def read_preferences_token(token):
    """(user id, password fingerprint) a live preferences link was made for, or
    None when it is forged, expired or malformed."""
    days = current_app.config["PORTAL_PREFERENCES_LINK_DAYS"]
    try:
        data = _serializer().loads(token, max_age=days * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, fingerprint = data.get("user"), data.get("pw")
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    return user_id, fingerprint


def absolute_url(path):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path
