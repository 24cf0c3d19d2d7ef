"""Signed links that let a person change their email preferences from any email."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

PREFERENCES_SALT = "email-preferences"
PREFERENCES_LINK_DAYS = 90


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=PREFERENCES_SALT)


def preferences_url(user):
    token = _serializer().dumps({"user": user.id})
    return absolute_url(f"/notifications/email/{token}")


def user_id_from_preferences_token(token):
    """The user id a preferences link was made for, or None when it is forged or old."""
    try:
        data = _serializer().loads(token, max_age=PREFERENCES_LINK_DAYS * 86400)
    except BadSignature:
        return None
    return data.get("user") if isinstance(data, dict) else None


def absolute_url(path):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path
