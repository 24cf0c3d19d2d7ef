"""Every permission predicate against every role, as a matrix: a new predicate
fails here until someone decides who it lets through."""

from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin

from portal import permission_predicates
from portal.auth.models import UserSession
from portal.enrollment import permissions as enrollment_permissions
from portal.reviews.models import Part, Review, ReviewPerson, ReviewStage

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
# Who records security reviews: reviewers and program managers (admins too).
RECORDERS = PROGRAM | {"reviewer"}

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
    "can_record_reviews": PROGRAM | {"reviewer"},
    "can_edit_guide": PROGRAM,
    "can_read_private_notes": PROGRAM,
}


@pytest.fixture
def people(make_user):
    made = {"anonymous": AnonymousUserMixin()}
    for name, roles in ROLES.items():
        if roles is not None:
            made[name] = make_user(roles=roles, active=name != "closed_admin")
    return made


# Predicates about one object: tested here and by the object-access sweep.
OBJECT_PREDICATES = {
    "can_manage_session",
    "can_see_review",
    "can_see_team_reviews",
    "can_edit_review",
    "can_fill_survey",
    "can_record_readiness",
    "can_read_feedback",
}


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


def _review(team, guardian, reviewer, stage):
    return Review(
        team_id=team.id,
        stage=stage,
        people=[
            ReviewPerson(user_id=guardian.id, part=Part.GUARDIAN),
            ReviewPerson(user_id=reviewer.id, part=Part.REVIEWER),
        ],
    )


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (
            ReviewStage.IMPLEMENTED,
            {
                "can_see_review": {"member", "supporter", "on_review"} | RECORDERS,
                "can_edit_review": {"on_review"} | RECORDERS,
                "can_fill_survey": set(),
                "can_record_readiness": {"supporter"},
                "can_read_feedback": {"supporter", "on_review"} | RECORDERS,
            },
        ),
        (
            ReviewStage.APPROVED,
            {
                "can_see_review": {"member", "supporter", "on_review"} | RECORDERS,
                "can_edit_review": {"on_review"} | RECORDERS,
                "can_fill_survey": {"on_review"},
                "can_record_readiness": set(),
                "can_read_feedback": {"supporter", "on_review"} | RECORDERS,
            },
        ),
    ],
)
def test_review_predicates_by_role(people, make_user, make_team, stage, expected):
    """A review of a team: its member, its supporting Guardian (who is also a
    program manager, and still may not edit it), its own reviewer, and every
    role of the matrix above (none on the review's team)."""
    team = make_team()
    others = dict(people)
    others["member"] = make_user(team=team)
    others["supporter"] = make_user(roles=["guardian", "program_manager"])
    others["on_review"] = make_user(roles=["security_reviewer"])
    review = _review(team, others["supporter"], others["on_review"], stage)
    predicates = permission_predicates()
    for name, allowed in expected.items():
        check = getattr(predicates, name)
        assert {who for who, person in others.items() if check(person, review)} == (
            allowed
        ), name
    team_check = predicates.can_see_team_reviews
    assert {who for who, p in others.items() if team_check(p, team)} == {
        "member",
        "on_review",
    } | RECORDERS | {"supporter"}
