"""Throttling of sign-in, sign-up, reset and account email.

Every counter is taken atomically before the work it limits (a Redis INCR,
or a locked counter in memory), so N requests at once check at most the
limit's worth of passwords. Counters live in memory by default and in Redis
when PORTAL_RATELIMIT_STORAGE_URI is set, so several app processes share them.

Sign-in has four counters:
- per client address: past it, that address is refused for a while (a
  right password gives its attempt back, so colleagues behind one address
  are held up by failures only);
- per account, and per account and address: past either, a password is
  checked only from an address the owner signed in from before; anyone else
  is offered a one-time sign-in link by email, so strangers cannot lock the
  owner out and cannot keep guessing;
- failures across all accounts (password spraying): past it, every account
  asks for the emailed link from addresses it does not know.
"""

import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse

from portal.extensions import limiter


def _enabled():
    return current_app.config.get("RATELIMIT_ENABLED", True)


def _item(setting):
    return parse(current_app.config[setting])


def _ids(setting, key):
    """The counter's identifiers, under RATELIMIT_KEY_PREFIX like Flask-Limiter's
    own, so portals sharing one Redis keep apart."""
    return (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), setting, *key)


def count(setting, *key):
    """Count one attempt against the limit named by ``setting``; False when
    the attempt is over the limit (and must not go ahead)."""
    if not _enabled():
        return True
    return limiter.limiter.hit(_item(setting), *_ids(setting, key))


def over(setting, *key):
    """Whether the limit named by ``setting`` is used up, counting nothing."""
    if not _enabled():
        return False
    return not limiter.limiter.test(_item(setting), *_ids(setting, key))


def refund(setting, *key):
    """Give back one counted attempt (a sign-in that turned out right), so a
    limit counts failures yet was taken before the password was checked.
    Fixed windows (RATELIMIT_STRATEGY) keep one counter a negative step undoes."""
    if not _enabled():
        return
    item = _item(setting)
    key_name = item.key_for(*_ids(setting, key))
    limiter.limiter.storage.incr(key_name, item.get_expiry(), amount=-1)


def forget(setting, *key):
    """Clear a counter (a successful sign-in clears its account's)."""
    if not _enabled():
        return
    limiter.limiter.clear(_item(setting), *_ids(setting, key))


def seconds_until_reset(setting, *key):
    if not _enabled():
        return 1
    reset_at = limiter.limiter.get_window_stats(_item(setting), *_ids(setting, key))[0]
    return max(1, int(reset_at - time.time()))


def _config(name):
    return lambda: current_app.config[name]


def per_address(setting, scope):
    """A route decorator: every POST from one client address counts, before the
    view runs (sign-up, reset)."""

    def decorate(view):
        return limiter.limit(
            _config(setting),
            key_func=get_remote_address,
            methods=["POST"],
            scope=scope,
        )(view)

    return decorate
