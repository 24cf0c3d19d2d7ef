"""Password hashing (argon2) and the password policy.

Policy, following NIST SP 800-63B: 12 to 128 characters, no composition
rules, and none of the 10,000 most common passwords (the list in
``data/common_passwords.txt``, ordered by frequency).
"""

import os
import threading
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.errors import DomainError

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"

_hasher = PasswordHasher()
# argon2 is slow on purpose and frees the interpreter while it works: a burst
# of sign-ins would otherwise take every core and leave other pages waiting.
# At most this many hashes or checks run at once in one process; the rest wait
# their turn without using the processor.
_at_once = threading.BoundedSemaphore(
    int(os.environ.get("PORTAL_PASSWORD_CHECKS_AT_ONCE", "2"))
)


def use_fast_hashing_for_tests():
    """Cheap argon2 parameters, so a test suite can create many accounts quickly."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _dummy_hash.cache_clear()


@cache
def common_passwords():
    return frozenset(COMMON_PASSWORDS_FILE.read_text().split())


@cache
def _dummy_hash():
    return _hasher.hash("an unused password that equalises login timing")


def hash_password(password):
    with _at_once:
        return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; spends the same time when there is no hash."""
    reference = password_hash or _dummy_hash()
    try:
        with _at_once:
            matches = _hasher.verify(reference, password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and bool(password_hash)


def check_password_policy(password, *, email="", display_name=""):
    """Raise DomainError("password", ...) when the password is not acceptable."""
    if len(password) < MIN_LENGTH:
        raise DomainError("password", f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise DomainError("password", f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 4:
        raise DomainError(
            "password",
            "This password is too common or too easy to guess. Choose another.",
        )
    personal = {email.lower(), email.split("@")[0].lower(), display_name.lower()}
    if lowered in {p for p in personal if p}:
        raise DomainError(
            "password", "Do not use your email address or name as a password."
        )
