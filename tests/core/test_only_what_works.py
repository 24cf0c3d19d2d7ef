"""The portal advertises only what it has: no forum or mentors in its copy,
and email preferences for the kinds that exist."""

from portal.notifications.kinds import KINDS
from tests.helpers import login_as

NOT_YET = ("forum", "mentor")


def test_the_landing_page_promises_nothing_missing(client):
    text = client.get("/").text.lower()

    assert "become a security guardian" in text
    for word in NOT_YET:
        assert word not in text, word


def test_preferences_list_only_kinds_that_exist(client, engineer):
    login_as(client, engineer)

    page = client.get("/notifications/preferences").text

    assert set(KINDS) == {
        "account_security",
        "roles",
        "welcome",
        "enrollment",
        "training",
        "reviews",
        "review_feedback",
        "review_surveys",
        "review_stalls",
        "recognition",
    }
    for kind in KINDS.values():
        assert kind.label in page
    for word in ("Mentorship", "Forum"):
        assert word not in page
