import pytest
from flask import g, request_started


@pytest.fixture(autouse=True)
def _fresh_globals_per_request(app):
    """Give every request an empty ``g``, as a real request would have.

    The shared ``app`` fixture keeps one app context open for the whole test and
    Flask reuses it for each request, so ``g`` (the signed-in person, the cached
    unread count) would otherwise carry over from one request to the next.
    """

    def clear(sender, **extra):
        for name in list(g):
            g.pop(name)

    with request_started.connected_to(clear, app):
        yield
