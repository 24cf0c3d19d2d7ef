"""The org and team directory: counts, member lists and role badges."""

import re

import pytest

from portal.accounts.queries import orgs_with_counts, teams_with_member_counts
from tests.helpers import login_as


@pytest.fixture
def directory(make_org, make_team, make_user):
    """Payments: 2 teams, 3 active members (+1 deactivated); Platform: 1 empty team;
    Research: no teams at all."""
    payments, platform, research = (
        make_org(name="Payments"),
        make_org(name="Platform"),
        make_org(name="Research"),
    )
    checkout = make_team(name="Checkout", org=payments)
    ledger = make_team(name="Ledger", org=payments)
    infra = make_team(name="Infra", org=platform)
    people = {
        "gia": make_user(name="Gia Guardian", team=checkout, roles=["guardian"]),
        "sam": make_user(
            name="Sam Reviewer", team=checkout, roles=["program_manager", "mentor"]
        ),
        "lou": make_user(name="Lou Ledger", team=ledger),
        "old": make_user(name="Old Leaver", team=checkout, active=False),
    }
    return {
        "orgs": (payments, platform, research),
        "teams": (checkout, ledger, infra),
        "people": people,
    }


def org_rows(html):
    """(name, teams, members) for each row of the orgs table."""
    return re.findall(
        r'<td><a href="/orgs/\d+">([^<]+)</a></td>\s*'
        r'<td class="text-end">(\d+)</td>\s*<td class="text-end">(\d+)</td>',
        html,
    )


def test_orgs_list_counts_teams_and_active_members(client, engineer, directory):
    login_as(client, engineer)  # engineer sits in a team of another org

    page = client.get("/orgs")

    assert page.status_code == 200
    rows = org_rows(page.text)
    assert ("Payments", "2", "3") in rows, "the deactivated member is not counted"
    assert ("Platform", "1", "0") in rows
    assert ("Research", "0", "0") in rows
    names = [name for name, _, _ in rows]
    assert names == sorted(names), "orgs are listed by name"


def test_orgs_with_counts_query_returns_the_numbers(db, directory):
    counts = {org.name: (teams, members) for org, teams, members in orgs_with_counts()}
    assert counts == {"Payments": (2, 3), "Platform": (1, 0), "Research": (0, 0)}


def test_org_page_lists_teams_with_member_counts(client, engineer, directory):
    payments = directory["orgs"][0]
    checkout, ledger, _ = directory["teams"]
    login_as(client, engineer)

    page = client.get(f"/orgs/{payments.id}")

    assert page.status_code == 200
    rows = re.findall(
        r'<td><a href="/teams/(\d+)">([^<]+)</a></td><td class="text-end">(\d+)</td>',
        page.text,
    )
    assert rows == [
        (str(checkout.id), "Checkout", "2"),
        (str(ledger.id), "Ledger", "1"),
    ]
    assert "Edit org" not in page.text, "management links are for admins"
    assert [(t.name, n) for t, n in teams_with_member_counts(payments.id)] == [
        ("Checkout", 2),
        ("Ledger", 1),
    ]


def test_org_page_without_teams_says_so(client, engineer, directory):
    login_as(client, engineer)
    research = directory["orgs"][2]
    assert "This org has no teams yet." in client.get(f"/orgs/{research.id}").text


def test_team_page_lists_active_members_with_role_badges(client, engineer, directory):
    checkout = directory["teams"][0]
    people = directory["people"]
    login_as(client, engineer)

    page = client.get(f"/teams/{checkout.id}")

    assert page.status_code == 200
    text = page.text
    assert f'<a href="/orgs/{checkout.org_id}">Payments</a>' in text
    assert re.search(r"Members <span[^>]*>2</span>", text)
    members = re.findall(r'<a href="/people/(\d+)">([^<]+)</a>', text)
    assert members == [
        (str(people["gia"].id), "Gia Guardian"),
        (str(people["sam"].id), "Sam Reviewer"),
    ]
    assert "Old Leaver" not in text
    rows = text.split("<tbody>", 1)[1].split("</tr>")
    assert '<span class="badge rounded-pill role-guardian">Guardian</span>' in rows[0]
    assert "role-program_manager" not in rows[0]
    manager = "role-program_manager"
    assert (
        f'<span class="badge rounded-pill {manager}">Program manager</span>' in rows[1]
    )
    assert "role-mentor" not in rows[1], "not shown until the portal uses it"


def test_empty_team_page_says_so(client, engineer, directory):
    login_as(client, engineer)
    infra = directory["teams"][2]
    assert "Nobody is on this team yet." in client.get(f"/teams/{infra.id}").text


@pytest.mark.parametrize("path", ["/orgs", "/orgs/{org}", "/teams/{team}"])
def test_directory_needs_sign_in(client, directory, path):
    url = path.format(org=directory["orgs"][0].id, team=directory["teams"][0].id)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_unknown_org_and_team_are_404(client, engineer):
    login_as(client, engineer)
    assert client.get("/orgs/999999").status_code == 404
    assert client.get("/teams/999999").status_code == 404
