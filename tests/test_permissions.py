"""Every permission predicate against every role, as a matrix: a new predicate
fails here until someone decides who it lets through."""

from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin

from portal import permission_predicates
from portal.auth.models import UserSession
from portal.enrollment import permissions as enrollment_permissions

ROLES = {
    "anonymous": None,
    "engineer": [],
    "guardian": ["guardian"],
    "mentor": ["mentor"],
    "reviewer": ["security_reviewer"],
    "program_manager": ["program_manager"],
    "admin": ["admin"],
    "closed_admin": ["admin"],  # a deactivated account may do nothing
}
EVERYONE_SIGNED_IN = set(ROLES) - {"anonymous", "closed_admin"}
PROGRAM = {"program_manager", "admin"}
ADMIN = {"admin"}

# Predicates of the person alone: who they let through.
ALLOWED = {
    "can_manage_accounts": ADMIN,
    "can_manage_orgs": ADMIN,
    "can_view_audit_log": ADMIN,
    "can_view_jobs": ADMIN,
    "can_run_program": PROGRAM,
    "can_view_directory": EVERYONE_SIGNED_IN,
    "can_decide": PROGRAM,
    "can_view_training_statistics": PROGRAM,
    "can_unblock_training": PROGRAM,
    "can_revoke_certificate": PROGRAM,
}


@pytest.fixture
def people(make_user):
    made = {"anonymous": AnonymousUserMixin()}
    for name, roles in ROLES.items():
        if roles is not None:
            made[name] = make_user(roles=roles, active=name != "closed_admin")
    return made


# Predicates about one object: tested here and by the object-access sweep.
OBJECT_PREDICATES = {"can_manage_session"}


def test_every_predicate_is_in_the_matrix():
    names = set(vars(permission_predicates()))
    assert names == set(ALLOWED) | OBJECT_PREDICATES, "add each predicate to ALLOWED"


def test_only_the_owner_manages_a_signed_in_session(people, make_user):
    owner = make_user()
    row = UserSession(user_id=owner.id)
    check = permission_predicates().can_manage_session

    assert check(owner, row)
    assert not any(check(person, row) for person in people.values())


@pytest.mark.parametrize("predicate", sorted(ALLOWED))
def test_predicate_by_role(people, predicate):
    check = getattr(permission_predicates(), predicate)

    allowed = {name for name, person in people.items() if check(person)}

    assert allowed == ALLOWED[predicate]


def test_nobody_decides_their_own_application(people):
    for name in PROGRAM:
        person = people[name]
        own = SimpleNamespace(user_id=person.id)
        other = SimpleNamespace(user_id=people["engineer"].id)
        assert enrollment_permissions.can_decide(person, other)
        assert not enrollment_permissions.can_decide(person, own)
        assert enrollment_permissions.acting_role(person, own) == "owner"
