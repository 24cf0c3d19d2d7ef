"""Sign-in throttling shared through Redis, as several app processes would share it.

Two separate app instances stand in for two worker processes: failures counted
by one are seen by the other because both keep their counters in Redis.
"""

import uuid

import pytest
import redis

from tests.helpers import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def key_prefix():
    """A fresh key prefix per test keeps runs apart without flushing anything."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # Redis runs beside PostgreSQL on every machine this suite targets.
    prefix = f"portal-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_failed_sign_ins_counted_by_one_worker_block_the_other(
    make_app, key_prefix, make_user
):
    limits = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": key_prefix,
        "PORTAL_LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        "PORTAL_LOGIN_LIMIT_PER_IP": "50 per 15 minutes",
    }
    worker_a, worker_b = make_app(**limits), make_app(**limits)
    email = make_user(email="shared@example.com").email
    wrong = {"email": email, "password": "not the password at all"}
    for _ in range(2):
        assert worker_a.test_client().post("/auth/login", data=wrong).status_code == 200
    assert worker_b.test_client().post("/auth/login", data=wrong).status_code == 200

    blocked = worker_a.test_client().post(
        "/auth/login", data={"email": email, "password": PASSWORD}
    )
    assert blocked.status_code == 302, "no password checked: the emailed link"
    assert worker_b.test_client().post("/auth/login", data=wrong).status_code == 302
    # The counters really live in Redis, where another process would see them.
    stored = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{key_prefix}*"))
    assert any(b"PORTAL_LOGIN_LIMIT_PER_ACCOUNT" in key for key in stored), stored
