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
    "can_see_boards": EVERYONE_SIGNED_IN,
    "can_grant_awards": PROGRAM,
    # Of a receiver: an active Guardian.
    "can_receive_kudos": {"guardian"},
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
    "can_give_kudos",
    "can_see_record",
    "can_see_points_history",
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


@pytest.mark.parametrize(
    ("whose", "expected"),
    [
        # A Guardian who shows their name: everyone reads the record, anyone
        # but themselves thanks them; the ledger is theirs and the program's.
        (
            "shown",
            {
                "can_see_record": EVERYONE_SIGNED_IN | {"self"},
                "can_give_kudos": EVERYONE_SIGNED_IN,
                "can_see_points_history": PROGRAM | {"self"},
            },
        ),
        # Hiding the name hides the record from colleagues, not the kudos
        # predicate (the page that offers it is what they cannot open).
        (
            "hidden",
            {
                "can_see_record": PROGRAM | {"self"},
                "can_give_kudos": EVERYONE_SIGNED_IN,
                "can_see_points_history": PROGRAM | {"self"},
            },
        ),
        # A deactivated Guardian: only the program sees the record (the
        # account itself may do nothing); no kudos.
        (
            "deactivated",
            {
                "can_see_record": PROGRAM,
                "can_give_kudos": set(),
                "can_see_points_history": PROGRAM,
            },
        ),
    ],
)
def test_recognition_predicates_by_role(people, make_user, whose, expected):
    """A Guardian's record, against every role of the matrix and the Guardian
    themselves."""
    person = make_user(roles=["guardian"], active=whose != "deactivated")
    hidden = whose == "hidden"
    others = {**people, "self": person}
    predicates = permission_predicates()
    checks = {
        "can_see_record": lambda who: predicates.can_see_record(who, person, hidden),
        "can_give_kudos": lambda who: predicates.can_give_kudos(who, person),
        "can_see_points_history": lambda who: predicates.can_see_points_history(
            who, person
        ),
    }
    for name, check in checks.items():
        allowed = {who for who, user in others.items() if check(user)}
        assert allowed == expected[name], name
