"""Every move of the security review's stages, legal and illegal, for everyone
who might try it; what a move records and whom it tells; and two people
moving the same review at once."""

import itertools
import re
from datetime import timedelta

import pytest

from portal.accounts.models import User
from portal.enrollment.models import EnrollmentStatus
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.reviews import lifecycle, services
from portal.reviews.models import Review
from portal.reviews.models import ReviewStage as S
from portal.reviews.permissions import acting_role
from tests.concurrency import run_together
from tests.reviews.conftest import (
    NOW,
    TODAY,
    audit_rows,
    fresh,
    history,
    meeting_before,
    notifications,
    recipients,
    review_state,
)

# Who acts, as the cast names them, and the part the lifecycle table gives each.
ACTORS = {
    "reviewer": "reviewer",
    "other_reviewer": "recorder",
    "manager": "recorder",
    "admin": "recorder",
    "supporter": "guardian",
}
STRANGERS = ("member", "team_guardian", "outside_guardian", "outside_engineer")
EVERYONE = (*ACTORS, *STRANGERS, "intruder")
LEGAL = [
    (frm, to, actor)
    for (frm, to), roles in lifecycle.TRANSITIONS.items()
    for actor, role in ACTORS.items()
    if role in roles
]
ALL_PAIRS = list(itertools.product(S, S))


def test_each_person_acts_in_the_part_the_table_expects(cast, make_review):
    review = cast.review(make_review)

    for name in EVERYONE:
        expected = ACTORS.get(name)
        assert acting_role(getattr(cast, name), review) == expected, name


def test_the_documented_path_is_legal_and_closed_stages_are_final():
    path = [S.ENGAGED, S.GUIDANCE, S.IMPLEMENTED, S.SUBMITTED, S.IN_REVIEW]
    path.append(S.APPROVED)
    for frm, to in itertools.pairwise(path):
        assert lifecycle.TRANSITIONS.get((frm, to)), f"{frm} -> {to}"
    # Without a Guardian: straight from guidance to submitted.
    assert lifecycle.allowed(S.GUIDANCE, S.SUBMITTED, "reviewer")
    assert not lifecycle.allowed(S.GUIDANCE, S.SUBMITTED, "guardian")
    for stage in (S.APPROVED, S.CANCELLED):
        for role in (*set(ACTORS.values()), None):
            assert lifecycle.moves_from(stage, role) == [], stage
    assert lifecycle.moves_from(S.IN_REVIEW, "reviewer") == [
        S.GUIDANCE,
        S.APPROVED,
        S.CANCELLED,
    ]
    assert lifecycle.moves_from(S.IN_REVIEW, "recorder") == [S.CANCELLED]
    assert lifecycle.moves_from(S.IN_REVIEW, "guardian") == []


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "actor"),
    LEGAL,
    ids=[f"{frm.value}->{to.value}-by-{actor}" for frm, to, actor in LEGAL],
)
def test_legal_move_succeeds_and_is_recorded(
    db, cast, make_review, from_stage, to_stage, actor
):
    review = cast.review(make_review, stage=from_stage, entered_at=NOW - timedelta(9))
    person = getattr(cast, actor)
    later = NOW + timedelta(hours=2)

    services.move_review(person, review, to_stage, note="  Why so.  ", now=later)
    db.session.commit()

    moved = fresh(Review, review.id)
    assert (moved.stage, moved.stage_entered_at) == (to_stage, later)
    assert moved.closed_on == (later.date() if to_stage.is_closed else None)
    assert history(review.id) == [(from_stage, to_stage, person.id)]
    assert moved.events[0].note == "Why so."
    assert audit_rows(review.id) == [
        (
            "review.stage",
            person.id,
            {"stage": [from_stage.value, to_stage.value], "note": "Why so."},
        )
    ]
    told = {cast.supporter.id, cast.team_guardian.id} - {person.id}
    assert recipients("reviews") == sorted(told)
    assert recipients("review_surveys") == (
        [cast.reviewer.id] if to_stage == S.APPROVED else []
    )


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    ALL_PAIRS,
    ids=[f"{frm.value}->{to.value}" for frm, to in ALL_PAIRS],
)
def test_illegal_move_is_refused_and_changes_nothing(
    db, cast, make_review, from_stage, to_stage
):
    review = cast.review(make_review, stage=from_stage)
    refused = [
        name
        for name in EVERYONE
        if not lifecycle.allowed(from_stage, to_stage, ACTORS.get(name))
    ]
    assert set(STRANGERS) | {"intruder"} <= set(refused)
    before = review_state(review.id)

    for name in refused:
        with pytest.raises(DomainError) as raised:
            services.move_review(getattr(cast, name), review, to_stage, now=NOW)
        message = raised.value.message
        assert raised.value.field == "stage"
        assert message.startswith(
            f"A review at “{from_stage.label}” cannot move to “{to_stage.label}”"
        ), message
        assert ("not yours to change" in message) == (name not in ACTORS), message

    db.session.commit()
    assert review_state(review.id) == before
    assert before["events"] == before["audit"] == before["notifications"] == []


@pytest.mark.parametrize(
    "other_role", ["program_manager", "admin", "security_reviewer"]
)
def test_a_supporting_guardian_who_could_record_reviews_still_acts_as_the_guardian(
    db, cast, make_review, make_user, make_team, other_role
):
    both = make_user(roles=["guardian", other_role], team=make_team())
    review = make_review(
        team=cast.team, stage=S.IN_REVIEW, guardians=[both], reviewers=[cast.reviewer]
    )
    assert acting_role(both, review) == "guardian"
    before = review_state(review.id)

    for stage in (S.APPROVED, S.CANCELLED, S.GUIDANCE):
        with pytest.raises(DomainError):
            services.move_review(both, review, stage, now=NOW)
    db.session.commit()
    assert review_state(review.id) == before

    guided = make_review(team=cast.team, stage=S.GUIDANCE, guardians=[both])
    services.move_review(both, guided, S.IMPLEMENTED, now=NOW)
    db.session.commit()
    assert fresh(Review, guided.id).stage == S.IMPLEMENTED


def test_approving_closes_the_review_and_asks_every_reviewer_for_the_survey(
    db, cast, make_review, make_user, make_team, guard
):
    second = make_user(name="Ray Second", roles=["security_reviewer"])
    retired = make_user(name="Al Alumnus", team=cast.team)
    guard(retired, cast.team, status=EnrollmentStatus.ALUMNI)
    review = make_review(
        team=cast.team,
        stage=S.IN_REVIEW,
        guardians=[cast.supporter],
        reviewers=[cast.reviewer, second],
    )

    services.move_review(cast.reviewer, review, S.APPROVED, now=NOW)
    db.session.commit()

    approved = fresh(Review, review.id)
    assert (approved.stage, approved.closed_on) == (S.APPROVED, TODAY)
    title = f"“{review.title}” is approved: please fill its end-of-review survey."
    link = f"/reviews/{review.id}/survey"
    assert sorted(notifications("review_surveys")) == sorted(
        [
            (cast.reviewer.id, "review_surveys", title, link),
            (second.id, "review_surveys", title, link),
        ]
    )
    stage_title = f"“{review.title}” is now at “Approved (signed off)”."
    assert sorted(notifications("reviews")) == sorted(
        [
            (cast.supporter.id, "reviews", stage_title, f"/reviews/{review.id}"),
            (cast.team_guardian.id, "reviews", stage_title, f"/reviews/{review.id}"),
        ]
    )


def test_a_review_closed_on_the_day_it_opened_never_closes_before_it(
    db, cast, make_review
):
    # Recorded with an opening date ahead of the move (the ticket's date).
    review = cast.review(make_review, stage=S.SUBMITTED, opened_on=TODAY + timedelta(3))

    services.move_review(cast.manager, review, S.CANCELLED, now=NOW)
    db.session.commit()

    assert fresh(Review, review.id).closed_on == TODAY + timedelta(3)


def test_a_guardians_own_move_does_not_notify_them(db, cast, make_review):
    review = cast.review(make_review, stage=S.GUIDANCE)

    services.move_review(cast.supporter, review, S.IMPLEMENTED, now=NOW)
    db.session.commit()

    assert recipients("reviews") == [cast.team_guardian.id]


def test_a_long_note_is_refused_and_changes_nothing(db, cast, make_review):
    review = cast.review(make_review)
    before = review_state(review.id)

    with pytest.raises(DomainError) as raised:
        services.move_review(
            cast.reviewer, review, S.GUIDANCE, note="x" * 2001, now=NOW
        )

    assert raised.value.field == "note"
    db.session.rollback()
    assert review_state(review.id) == before


def test_moving_through_the_page(db, cast, make_review, signed_in):
    review = cast.review(make_review)
    client = signed_in(cast.reviewer)

    response = client.post(
        f"/reviews/{review.id}/stage",
        data={"stage": "guidance", "note": "Kick-off call held"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/reviews/{review.id}"
    assert fresh(Review, review.id).stage == S.GUIDANCE
    assert [(f, t) for f, t, _ in history(review.id)] == [(S.ENGAGED, S.GUIDANCE)]
    page = client.get(f"/reviews/{review.id}").text
    assert "The review is now at “Guidance given”." in page
    assert "Guidance given (by Rae Reviewer): “Kick-off call held”" in page


def test_the_page_offers_exactly_the_moves_the_table_allows(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.IN_REVIEW)

    reviewer_page = signed_in(cast.reviewer).get(f"/reviews/{review.id}").text
    manager_page = signed_in(cast.manager).get(f"/reviews/{review.id}").text
    guardian_page = signed_in(cast.supporter).get(f"/reviews/{review.id}").text

    assert _stage_options(reviewer_page) == ["guidance", "approved", "cancelled"]
    assert _stage_options(manager_page) == ["cancelled"]
    assert _stage_options(guardian_page) is None
    assert "Next step" not in guardian_page


def _stage_options(page):
    """The stages the "Move to" list offers, or None without one."""
    match = re.search(
        r'<select class="form-select" id="stage" name="stage">(.*?)</select>',
        page,
        re.S,
    )
    return re.findall(r'<option value="([a-z_]+)">', match.group(1)) if match else None


@pytest.mark.parametrize(
    ("actor", "stage", "flashed"),
    [
        ("supporter", "approved", "cannot move to “Approved (signed off)”."),
        ("member", "cancelled", "(not yours to change)."),
        ("team_guardian", "implemented", "(not yours to change)."),
        ("reviewer", "shipped", "Move to: Not a valid choice."),
    ],
)
def test_a_refused_move_through_the_page_is_explained_and_changes_nothing(
    db, cast, make_review, signed_in, actor, stage, flashed
):
    review = cast.review(make_review, stage=S.IN_REVIEW)
    before = review_state(review.id)
    client = signed_in(getattr(cast, actor))

    response = client.post(f"/reviews/{review.id}/stage", data={"stage": stage})

    assert response.status_code == 302
    assert flashed in client.get(f"/reviews/{review.id}").text
    assert review_state(review.id) == before


def test_a_supporting_guardian_who_is_a_program_manager_cannot_sign_off_their_review(
    db, cast, make_review, make_user, make_team, signed_in
):
    both = make_user(roles=["guardian", "program_manager"], team=make_team())
    review = make_review(
        team=cast.team, stage=S.IN_REVIEW, guardians=[both], reviewers=[cast.reviewer]
    )
    before = review_state(review.id)
    client = signed_in(both)

    assert client.get(f"/reviews/{review.id}/edit").status_code == 403
    client.post(f"/reviews/{review.id}/stage", data={"stage": "approved"})
    client.post(f"/reviews/{review.id}/stage", data={"stage": "cancelled"})

    assert review_state(review.id) == before


def test_two_people_moving_a_review_at_once_one_moves_it_the_other_is_told(
    app, db, cast, make_review
):
    review = cast.review(make_review)
    review_id = review.id
    people = [cast.reviewer.id, cast.manager.id]
    guardians = sorted([cast.supporter.id, cast.team_guardian.id])
    db.session.commit()

    def move_as(user_id):
        def move():
            with app.app_context():
                actor = _db.session.get(User, user_id)
                target = _db.session.get(Review, review_id)
                try:
                    services.move_review(actor, target, S.GUIDANCE, now=NOW)
                    _db.session.commit()
                except DomainError as error:
                    _db.session.rollback()
                    return error.message
                return "moved"

        return move

    with meeting_before(db.engine, "UPDATE reviews SET stage") as both_read_first:
        results = run_together(*(move_as(person) for person in people))

    told = (
        "Someone else moved this review just now."
        if both_read_first
        else "A review at “Guidance given” cannot move to “Guidance given”."
    )
    assert sorted(results) == sorted(["moved", told])
    assert fresh(Review, review_id).stage == S.GUIDANCE
    assert len(history(review_id)) == 1
    assert len(audit_rows(review_id, "review.stage")) == 1
    assert recipients("reviews") == guardians
