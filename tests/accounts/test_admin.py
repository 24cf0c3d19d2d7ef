"""Admin pages: orgs and teams, roles, deactivation, each written to the audit log."""

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Org, Role, RoleGrant, Team
from portal.audit.models import AuditEvent
from tests.helpers import PASSWORD, login_as


def audit_events(db, action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def flashed(client, path):
    return unescape(client.get(path).text)


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


# Orgs and teams


def test_admin_creates_an_org_and_it_is_audited(admin_client, db, admin):
    response = admin_client.post(
        "/admin/orgs/new", data={"name": " Payments ", "description": "Money moves"}
    )

    org = db.session.scalar(select(Org))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/orgs/{org.id}"
    assert (org.name, org.description) == ("Payments", "Money moves")
    [event] = audit_events(db, "org.create")
    assert event.actor_id == admin.id
    assert (event.target_type, event.target_id) == ("org", str(org.id))
    assert (event.target_name, event.details) == ("Payments", {})


def test_duplicate_org_name_is_refused_case_insensitively(admin_client, db, make_org):
    make_org(name="Payments")

    response = admin_client.post("/admin/orgs/new", data={"name": "PAYMENTS"})

    assert response.status_code == 200
    assert "Another org already has this name." in response.text
    assert db.session.scalar(select(func.count()).select_from(Org)) == 1
    assert audit_events(db, "org.create") == []


def test_admin_edits_an_org_and_it_is_audited(admin_client, db, admin, make_org):
    org = make_org(name="Paymnts")

    response = admin_client.post(
        f"/admin/orgs/{org.id}/edit", data={"name": "Payments", "description": "Fixed"}
    )

    assert response.status_code == 302
    db.session.refresh(org)
    assert (org.name, org.description) == ("Payments", "Fixed")
    [event] = audit_events(db, "org.update")
    assert event.actor_id == admin.id
    assert event.details == {"name": ["Paymnts", "Payments"]}


def test_renaming_an_org_onto_another_is_refused(admin_client, db, make_org):
    make_org(name="Payments")
    other = make_org(name="Platform")

    response = admin_client.post(
        f"/admin/orgs/{other.id}/edit", data={"name": "payments"}
    )

    assert "Another org already has this name." in response.text
    db.session.refresh(other)
    assert other.name == "Platform"


def test_an_org_may_change_the_case_of_its_own_name(admin_client, db, make_org):
    org = make_org(name="payments")

    response = admin_client.post(
        f"/admin/orgs/{org.id}/edit", data={"name": "Payments"}
    )

    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "Payments"


def test_admin_creates_a_team_and_it_is_audited(admin_client, db, admin, make_org):
    org = make_org(name="Payments")

    response = admin_client.post(
        "/admin/teams/new", data={"org_id": str(org.id), "name": "Checkout"}
    )

    team = db.session.scalar(select(Team))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/teams/{team.id}"
    assert (team.org_id, team.name) == (org.id, "Checkout")
    [event] = audit_events(db, "team.create")
    assert event.actor_id == admin.id
    assert (event.target_type, event.target_id) == ("team", str(team.id))
    assert (event.target_name, event.details) == ("Checkout", {"org": org.name})


def test_duplicate_team_name_in_one_org_is_refused_case_insensitively(
    admin_client, db, make_org, make_team
):
    payments, platform = make_org(name="Payments"), make_org(name="Platform")
    make_team(name="Checkout", org=payments)

    same_org = admin_client.post(
        "/admin/teams/new", data={"org_id": str(payments.id), "name": "checkOUT"}
    )
    other_org = admin_client.post(
        "/admin/teams/new", data={"org_id": str(platform.id), "name": "Checkout"}
    )

    assert "This org already has a team with this name." in same_org.text
    assert other_org.status_code == 302, "the same name in another org is fine"
    names = db.session.execute(select(Team.org_id, Team.name).order_by(Team.id)).all()
    assert names == [(payments.id, "Checkout"), (platform.id, "Checkout")]


def test_admin_edits_a_team_and_it_is_audited(
    admin_client, db, admin, make_org, make_team
):
    payments, platform = make_org(name="Payments"), make_org(name="Platform")
    team = make_team(name="Infra", org=payments)

    response = admin_client.post(
        f"/admin/teams/{team.id}/edit",
        data={
            "org_id": str(platform.id),
            "name": "Infrastructure",
            "description": "Boxes",
        },
    )

    assert response.status_code == 302
    db.session.refresh(team)
    assert (team.org_id, team.name, team.description) == (
        platform.id,
        "Infrastructure",
        "Boxes",
    )
    [event] = audit_events(db, "team.update")
    assert event.actor_id == admin.id
    assert event.details == {
        "name": ["Infra", "Infrastructure"],
        "org": [payments.name, platform.name],
    }


def test_team_for_unknown_org_is_refused(admin_client, db):
    response = admin_client.post(
        "/admin/teams/new", data={"org_id": "999", "name": "X"}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(Team)) is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/users"),
        ("get", "/admin/orgs/new"),
        ("post", "/admin/orgs/new"),
        ("get", "/admin/teams/new"),
        ("post", "/admin/teams/new"),
        ("get", "/admin/audit"),
    ],
)
def test_admin_pages_are_refused_to_others(client, db, intruder, method, path):
    login_as(client, intruder)
    response = getattr(client, method)(path, data={"name": "Sneaky", "org_id": "1"})
    assert response.status_code == 403
    assert db.session.scalar(select(Org).where(Org.name == "Sneaky")) is None


# Roles


def grant(client, user, role):
    return client.post(f"/admin/users/{user.id}/roles", data={"role": role})


def revoke(client, user, role):
    return client.post(f"/admin/users/{user.id}/roles/{role}/revoke")


def test_grant_role_is_stored_and_audited(admin_client, db, admin, engineer):
    response = grant(admin_client, engineer, "program_manager")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{engineer.id}"
    db.session.refresh(engineer)
    assert engineer.roles == {Role.PROGRAM_MANAGER}
    assert engineer.role_grants[0].granted_by_id == admin.id
    [event] = audit_events(db, "role.grant")
    assert (event.actor_id, event.target_type, event.target_id) == (
        admin.id,
        "user",
        str(engineer.id),
    )
    assert event.details == {"role": "program_manager"}
    assert "Eli Engineer now holds the Program manager role." in flashed(
        admin_client, f"/admin/users/{engineer.id}"
    )


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("guardian", "Guardians join through the Guardian program"),
        ("mentor", "The Mentor role is not used by the portal yet."),
    ],
)
def test_roles_made_elsewhere_are_refused_with_a_pointer(
    admin_client, db, engineer, role, message
):
    response = grant(admin_client, engineer, role)

    assert response.status_code == 302
    assert message in flashed(admin_client, f"/admin/users/{engineer.id}")
    db.session.refresh(engineer)
    assert engineer.roles == set()
    assert audit_events(db, "role.grant") == []


def test_a_guardian_steps_down_through_the_program_not_here(
    admin_client, db, make_user
):
    person = make_user(name="Gia Guardian", roles=["guardian"])

    revoke(admin_client, person, "guardian")

    assert "Guardians join through the Guardian program" in flashed(
        admin_client, f"/admin/users/{person.id}"
    )
    db.session.refresh(person)
    assert person.roles == {Role.GUARDIAN}


def test_duplicate_grant_is_refused(admin_client, db, make_user):
    person = make_user(name="Pat Manager", roles=["program_manager"])

    grant(admin_client, person, "program_manager")

    assert "Pat Manager already holds the Program manager role." in flashed(
        admin_client, f"/admin/users/{person.id}"
    )
    grants = db.session.scalar(
        select(func.count())
        .select_from(RoleGrant)
        .where(RoleGrant.user_id == person.id)
    )
    assert grants == 1
    assert audit_events(db, "role.grant") == []


def test_unknown_role_is_a_bad_request(admin_client, db, engineer):
    assert grant(admin_client, engineer, "overlord").status_code == 400
    assert revoke(admin_client, engineer, "overlord").status_code == 400


def test_revoke_role_is_stored_and_audited(admin_client, db, admin, make_user):
    # A role the portal does not use yet can still be taken away.
    person = make_user(roles=["guardian", "mentor"])

    response = revoke(admin_client, person, "mentor")

    assert response.status_code == 302
    db.session.refresh(person)
    assert person.roles == {Role.GUARDIAN}
    [event] = audit_events(db, "role.revoke")
    assert (event.actor_id, event.target_id) == (admin.id, str(person.id))
    assert event.details == {"role": "mentor"}


def test_revoking_a_role_not_held_is_refused(admin_client, db, engineer):
    revoke(admin_client, engineer, "mentor")
    assert "does not hold the Mentor role" in flashed(
        admin_client, f"/admin/users/{engineer.id}"
    )
    assert audit_events(db, "role.revoke") == []


def test_last_active_admin_cannot_lose_the_admin_role(
    admin_client, db, admin, make_user
):
    make_user(name="Former Admin", roles=["admin"], active=False)

    revoke(admin_client, admin, "admin")

    assert "The portal must keep at least one active admin." in flashed(
        admin_client, f"/admin/users/{admin.id}"
    )
    db.session.refresh(admin)
    assert Role.ADMIN in admin.roles
    assert audit_events(db, "role.revoke") == []


def test_admin_role_can_be_revoked_when_another_admin_remains(
    admin_client, db, admin, make_user
):
    second = make_user(name="Second Admin", roles=["admin"])

    revoke(admin_client, second, "admin")

    db.session.refresh(second)
    assert second.roles == set()
    assert len(audit_events(db, "role.revoke")) == 1


def test_granted_role_takes_effect_for_the_person(app, admin_client, engineer):
    theirs = app.test_client()
    login_as(theirs, engineer)
    assert theirs.get("/admin/users").status_code == 403

    grant(admin_client, engineer, "admin")

    assert theirs.get("/admin/users").status_code == 200


# Deactivation


def test_admin_deactivates_and_reactivates_with_audit(
    app, admin_client, db, admin, engineer
):
    theirs = app.test_client()
    login_as(theirs, engineer)

    response = admin_client.post(
        f"/admin/users/{engineer.id}/deactivate", data={"reason": "left the company"}
    )

    assert response.status_code == 302
    db.session.refresh(engineer)
    assert engineer.active is False and engineer.deactivated_at is not None
    assert theirs.get("/profile").status_code == 302, "signed out everywhere at once"
    [event] = audit_events(db, "user.deactivate")
    assert (event.actor_id, event.target_id) == (admin.id, str(engineer.id))
    assert event.details == {"reason": "left the company"}
    assert "Eli Engineer's account is deactivated" in flashed(
        admin_client, f"/admin/users/{engineer.id}"
    )

    admin_client.post(f"/admin/users/{engineer.id}/reactivate")

    db.session.refresh(engineer)
    assert engineer.active is True and engineer.deactivated_at is None
    [event] = audit_events(db, "user.reactivate")
    assert (event.actor_id, event.target_id) == (admin.id, str(engineer.id))
    login_as(app.test_client(), engineer, password=PASSWORD)


def test_deactivating_twice_is_refused(admin_client, db, make_user):
    person = make_user(active=False)
    admin_client.post(f"/admin/users/{person.id}/deactivate", data={"reason": ""})
    assert "already deactivated" in flashed(admin_client, f"/admin/users/{person.id}")
    assert audit_events(db, "user.deactivate") == []


def test_last_active_admin_cannot_be_deactivated(admin_client, db, admin):
    admin_client.post(f"/admin/users/{admin.id}/deactivate", data={"reason": "oops"})

    assert "The portal must keep at least one active admin." in flashed(
        admin_client, f"/admin/users/{admin.id}"
    )
    db.session.refresh(admin)
    assert admin.active
    assert audit_events(db, "user.deactivate") == []


def test_an_admin_can_be_deactivated_when_another_remains(admin_client, db, make_user):
    second = make_user(name="Second Admin", roles=["admin"])

    admin_client.post(f"/admin/users/{second.id}/deactivate", data={"reason": ""})

    db.session.refresh(second)
    assert second.active is False


def listed_people(client, query):
    page = client.get(f"/admin/users?{query}")
    assert page.status_code == 200
    return re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a></td>', page.text)


def test_admin_users_page_filters_by_role_status_and_name(admin_client, make_user):
    make_user(name="Gia Guardian", email="gia@example.com", roles=["guardian"])
    make_user(name="Dee Deactivated", active=False)

    assert listed_people(admin_client, "") == [
        "Ada Admin",
        "Dee Deactivated",
        "Gia Guardian",
    ]
    assert listed_people(admin_client, "role=guardian") == ["Gia Guardian"]
    assert listed_people(admin_client, "status=inactive") == ["Dee Deactivated"]
    assert listed_people(admin_client, "status=active") == ["Ada Admin", "Gia Guardian"]
    assert listed_people(admin_client, "q=DEE") == ["Dee Deactivated"]
    assert listed_people(admin_client, "q=GIA@example") == ["Gia Guardian"]
