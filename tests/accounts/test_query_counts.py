"""Each listing page runs a fixed number of SQL statements, whatever the data size."""

from itertools import count

import pytest

from portal.accounts.models import Org, Role, RoleGrant, Team, User
from portal.audit.services import record_audit
from portal.database import utcnow
from tests.helpers import counting_statements, login_as

PAGES = ["/orgs", "/orgs/{org}", "/teams/{team}", "/admin/users", "/admin/audit"]
ROLES = list(Role)


class Directory:
    """Grows the data every page lists: orgs, teams in one org, members of one
    team (each with a role and a team of their own elsewhere), audit events by
    different actors."""

    def __init__(self, db):
        self.db = db
        self.numbers = count(1)
        self.big_org = Org(name="Big org", description="")
        self.big_team = Team(org=self.big_org, name="Big team", description="")
        db.session.add_all([self.big_org, self.big_team])
        db.session.commit()

    def grow(self, by):
        session = self.db.session
        for _ in range(by):
            n = next(self.numbers)
            org = Org(name=f"Org {n:03}", description="")
            own_team = Team(org=org, name=f"Team {n:03}", description="")
            sub_team = Team(org=self.big_org, name=f"Sub-team {n:03}", description="")
            member = self._person(n, "member", self.big_team)
            loner = self._person(n, "loner", own_team)
            session.add_all([org, own_team, sub_team, member, loner])
            session.flush()
            record_audit(member, "role.grant", "user", loner.id, role="guardian")
            record_audit(loner, "org.create", "org", org.id, name=org.name)
        session.commit()

    def _person(self, n, kind, team):
        person = User(
            email=f"{kind}{n}@example.com",
            display_name=f"{kind.title()} {n:03}",
            password_hash=None,
            team=team,
            created_at=utcnow(),
        )
        person.role_grants = [
            RoleGrant(role=ROLES[n % len(ROLES)], granted_at=utcnow())
        ]
        return person


def statements_per_page(app, db, admin, urls):
    client = app.test_client()
    login_as(client, admin)
    counts = {}
    for url in urls:
        # Start each page with an empty identity map, as a real request would.
        db.session.remove()
        with counting_statements(db.engine) as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


@pytest.fixture
def directory(db):
    return Directory(db)


def test_page_query_counts_do_not_grow_with_the_data(app, db, admin, directory):
    urls = [
        p.format(org=directory.big_org.id, team=directory.big_team.id) for p in PAGES
    ]
    admin_id = admin.id
    directory.grow(3)
    small = statements_per_page(app, db, db.session.get(User, admin_id), urls)

    directory.grow(12)  # five times the data
    large = statements_per_page(app, db, db.session.get(User, admin_id), urls)

    assert large == small, "a page runs more statements as its data grows (N+1)"
    for url, statements in small.items():
        assert statements <= 12, f"{url} runs {statements} statements"


def test_pages_list_the_grown_data(app, db, admin, directory):
    directory.grow(15)
    client = app.test_client()
    login_as(client, admin)

    team_page = client.get(f"/teams/{directory.big_team.id}").text
    users_page = client.get("/admin/users").text
    audit_page = client.get("/admin/audit").text

    assert team_page.count('<a href="/people/') == 15
    assert "Page 1 of 1" not in users_page and users_page.count("<td><a href=") == 31
    assert audit_page.split("<tbody>")[1].count("<tr>") == 30
