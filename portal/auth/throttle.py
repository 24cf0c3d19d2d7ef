"""Sign-in and reset throttling, per account and per client address.

Only failed sign-ins count, so a person who types the right password is never
held up by the attempts of others beyond the per-address limit. Counters live
in memory by default and in Redis when PORTAL_RATELIMIT_STORAGE_URI is set,
so several app processes share them.
"""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from portal.extensions import limiter


def _account_key():
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def _failed(response):
    # A successful sign-in redirects; a failed one shows the form again.
    return response.status_code != 302


def _config(name):
    return lambda: current_app.config[name]


def login_limits(view):
    view = limiter.limit(
        _config("PORTAL_LOGIN_LIMIT_PER_ACCOUNT"),
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-account",
    )(view)
    return limiter.limit(
        _config("PORTAL_LOGIN_LIMIT_PER_IP"),
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-ip",
    )(view)


def reset_limits(view):
    return limiter.limit(
        _config("PORTAL_RESET_LIMIT_PER_IP"),
        key_func=get_remote_address,
        methods=["POST"],
        scope="reset-ip",
    )(view)
