"""Every move of the enrollment state machine, legal and illegal, for every role."""

import itertools
import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.enrollment import lifecycle, services
from portal.enrollment.models import Cohort, Enrollment, EnrollmentEvent
from portal.enrollment.models import EnrollmentStatus as S
from portal.errors import DomainError
from portal.notifications.models import Notification
from tests.enrollment.conftest import NOW, fresh, history, row_counts

ROLES = ("owner", "manager", "system", "stranger")
LEGAL = [
    (frm, to, role)
    for (frm, to), roles in lifecycle.TRANSITIONS.items()
    for role in sorted(roles)
]
ALL_PAIRS = list(itertools.product(S, S))


def _legal_ids():
    return [f"{frm.value}->{to.value}-as-{role}" for frm, to, role in LEGAL]


@pytest.fixture
def actors(make_user, make_team, program_manager, intruder):
    applicant = make_user(name="Ann Applicant", team=make_team())
    return {
        "owner": applicant,
        "manager": program_manager,
        "system": None,
        "stranger": intruder,
    }


def _audit_actions(db, enrollment_id):
    return db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.target_type == "enrollment",
            AuditEvent.target_id == str(enrollment_id),
        )
    ).all()


def test_the_documented_path_is_legal_and_closed_states_are_final():
    path = [S.NOMINATED, S.APPLIED, S.APPROVED, S.IN_TRAINING, S.CERTIFIED]
    path += [S.ACTIVE, S.ALUMNI]
    for frm, to in itertools.pairwise(path):
        assert lifecycle.TRANSITIONS.get((frm, to)), f"{frm} -> {to}"
    for state in lifecycle.CLOSED:
        for role in ROLES:
            assert lifecycle.moves_from(state, role) == [], state


@pytest.mark.parametrize(("from_status", "to_status", "role"), LEGAL, ids=_legal_ids())
def test_legal_move_succeeds_and_is_recorded(
    db, actors, enrollment_in, from_status, to_status, role
):
    applicant, actor = actors["owner"], actors[role]
    enrollment = enrollment_in(applicant, from_status)

    services.transition(enrollment, to_status, actor=actor, now=NOW, reason="why")
    db.session.commit()

    assert fresh(Enrollment, enrollment.id).status == to_status
    event = db.session.scalars(
        select(EnrollmentEvent).where(EnrollmentEvent.enrollment_id == enrollment.id)
    ).one()
    assert (event.from_status, event.to_status) == (from_status, to_status)
    assert event.actor_id == (actor.id if actor else None)
    assert event.reason == "why"
    assert _audit_actions(db, enrollment.id) == [
        (f"enrollment.{to_status.value}", actor.id if actor else None)
    ]
    told = db.session.scalars(
        select(Notification.title).where(
            Notification.recipient_id == applicant.id,
            Notification.kind == "enrollment",
        )
    ).all()
    assert len(told) == (1 if to_status in services.DECISION_MESSAGES else 0)
    assert (Role.GUARDIAN in fresh(User, applicant.id).roles) == (to_status == S.ACTIVE)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    ALL_PAIRS,
    ids=[f"{frm.value}->{to.value}" for frm, to in ALL_PAIRS],
)
def test_illegal_move_is_refused_and_changes_nothing(
    db, actors, enrollment_in, from_status, to_status
):
    enrollment = enrollment_in(actors["owner"], from_status)
    refused = [
        role for role in ROLES if not lifecycle.allowed(from_status, to_status, role)
    ]
    assert refused, "every pair is refused to someone (at least to a stranger)"
    before = row_counts()

    for role in refused:
        with pytest.raises(DomainError) as raised:
            services.transition(enrollment, to_status, actor=actors[role], now=NOW)
        message = raised.value.message
        assert raised.value.field == "status"
        assert message.startswith(
            f"An application that is {from_status.label.lower()} cannot become "
            f"{to_status.label.lower()}"
        ), message
        assert ("not yours to change" in message) == (role == "stranger"), message

    assert row_counts() == before
    assert fresh(Enrollment, enrollment.id).status == from_status
    assert history(enrollment.id) == []


def test_an_admin_decides_like_a_program_manager(db, actors, admin, enrollment_in):
    enrollment = enrollment_in(actors["owner"], S.APPLIED)

    services.transition(enrollment, S.APPROVED, actor=admin, now=NOW)
    db.session.commit()

    assert fresh(Enrollment, enrollment.id).status == S.APPROVED


def test_a_program_manager_cannot_approve_their_own_application(
    db, make_user, make_team, apply_for, make_cohort
):
    manager = make_user(team=make_team(), roles=["program_manager"])
    cohort = make_cohort(capacity=2)
    enrollment = apply_for(manager)

    with pytest.raises(DomainError, match="applied cannot become approved"):
        services.transition(enrollment, S.APPROVED, actor=manager, now=NOW)
    with pytest.raises(DomainError, match="applied cannot become approved"):
        services.place_in_cohort(manager, enrollment, cohort, NOW)
    db.session.rollback()

    assert fresh(Enrollment, enrollment.id).status == S.APPLIED
    assert fresh(Cohort, cohort.id).seats_taken == 0
    assert history(enrollment.id) == [(None, S.APPLIED)]


def test_a_program_manager_cannot_approve_their_own_application_in_the_browser(
    db, make_user, make_team, apply_for, make_cohort, signed_in
):
    manager = make_user(team=make_team(), roles=["program_manager"])
    cohort = make_cohort(capacity=2)
    enrollment = apply_for(manager)
    client = signed_in(manager)

    response = client.post(
        f"/program/applications/{enrollment.id}/approve",
        data={"cohort_id": cohort.id},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "applied cannot become approved" in response.text
    assert fresh(Enrollment, enrollment.id).status == S.APPLIED
    assert fresh(Cohort, cohort.id).seats_taken == 0


def _roles_of(user_id):
    return fresh(User, user_id).roles


def test_active_grants_the_guardian_role_and_alumni_revokes_it(
    db, make_applicant, apply_for, make_cohort, program_manager
):
    person = make_applicant()
    cohort = make_cohort(start_date=NOW.date())
    enrollment = apply_for(person)
    services.place_in_cohort(program_manager, enrollment, cohort, NOW)
    services.transition(enrollment, S.CERTIFIED, actor=None, now=NOW)
    db.session.commit()
    assert Role.GUARDIAN not in _roles_of(person.id)

    services.transition(enrollment, S.ACTIVE, actor=None, now=NOW)
    db.session.commit()
    assert Role.GUARDIAN in _roles_of(person.id)

    services.transition(enrollment, S.ALUMNI, actor=person, now=NOW, reason="moving on")
    db.session.commit()
    assert Role.GUARDIAN not in _roles_of(person.id)
    assert [to for _, to in history(enrollment.id)] == [
        S.APPLIED,
        S.APPROVED,
        S.IN_TRAINING,
        S.CERTIFIED,
        S.ACTIVE,
        S.ALUMNI,
    ]
    role_audit = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "user", AuditEvent.target_id == str(person.id))
        .order_by(AuditEvent.id)
    ).all()
    assert role_audit == ["role.grant", "role.revoke"]


@pytest.mark.parametrize(
    ("closing", "started"),
    [
        (S.DECLINED, False),
        (S.DECLINED, True),
        (S.WITHDRAWN, False),
        (S.WITHDRAWN, True),
    ],
)
def test_leaving_after_approval_frees_the_cohort_seat(
    db, make_applicant, apply_for, make_cohort, program_manager, closing, started
):
    cohort = make_cohort(capacity=2, start_date=NOW.date() if started else None)
    leaving, staying = make_applicant(), make_applicant()
    enrollment = apply_for(leaving)
    services.place_in_cohort(program_manager, enrollment, cohort, NOW)
    services.place_in_cohort(program_manager, apply_for(staying), cohort, NOW)
    db.session.commit()
    assert fresh(Cohort, cohort.id).seats_taken == 2
    placed = S.IN_TRAINING if started else S.APPROVED
    assert fresh(Enrollment, enrollment.id).status == placed

    actor = program_manager if closing == S.DECLINED else leaving
    services.transition(enrollment, closing, actor=actor, now=NOW, reason="no time")
    db.session.commit()

    assert fresh(Cohort, cohort.id).seats_taken == 1
    assert fresh(Enrollment, enrollment.id).status == closing


def test_declining_an_unplaced_application_touches_no_cohort(
    db, make_applicant, apply_for, make_cohort, program_manager
):
    cohort = make_cohort(capacity=2)
    services.place_in_cohort(program_manager, apply_for(make_applicant()), cohort, NOW)
    enrollment = apply_for(make_applicant())

    services.decline(program_manager, enrollment, "Not this quarter.", NOW)
    db.session.commit()

    assert fresh(Cohort, cohort.id).seats_taken == 1


def _close_by_alumni(make, person, manager):
    enrollment = make["enrollment_in"](person, S.ACTIVE)
    services.transition(enrollment, S.ALUMNI, actor=person, now=NOW)
    return enrollment


def _close_by_decline(make, person, manager):
    enrollment = make["apply_for"](person)
    services.decline(manager, enrollment, "Not this quarter.", NOW)
    return enrollment


def _close_by_withdrawal(make, person, manager):
    enrollment = make["apply_for"](person)
    services.transition(enrollment, S.WITHDRAWN, actor=person, now=NOW)
    return enrollment


@pytest.mark.parametrize(
    ("close", "closed_status"),
    [
        (_close_by_alumni, S.ALUMNI),
        (_close_by_decline, S.DECLINED),
        (_close_by_withdrawal, S.WITHDRAWN),
    ],
    ids=["alumni", "declined", "withdrawn"],
)
def test_reapplying_after_a_closed_enrollment_keeps_the_old_one(
    db,
    make_applicant,
    apply_for,
    enrollment_in,
    program_manager,
    signed_in,
    close,
    closed_status,
):
    person = make_applicant()
    make = {"enrollment_in": enrollment_in, "apply_for": apply_for}
    old = close(make, person, program_manager)
    db.session.commit()
    client = signed_in(person)

    response = client.post(
        "/guardians/apply",
        data={
            "guarded_team_id": person.team_id,
            "motivation": "Once more: I want to guard my team's services.",
            "manager_email": "boss@example.com",
            "hours_per_week": 3,
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/guardians/application")
    rows = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == person.id)
        .order_by(Enrollment.id)
    ).all()
    assert [(e.id, e.status) for e in rows] == [
        (old.id, closed_status),
        (rows[1].id, S.APPLIED),
    ]
    assert history(old.id)[-1][1] == closed_status, "the old history is kept"
    page = client.get("/guardians/application").text
    shown = re.findall(r'id="enrollment-(\d+)"', page)
    assert shown == [str(rows[1].id), str(old.id)], "newest first, both listed"
    assert closed_status.label in page and "Applied" in page
