"""The balanced-cohort suggestion, and approving a chosen set all or none."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Seniority
from portal.enrollment import diversity, queries, services
from portal.enrollment.diversity import Profile
from portal.enrollment.models import Cohort, Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from tests.enrollment.conftest import NOW, fresh, history

TAIL = [
    ("Beta", "Lisbon", "Junior"),
    ("Gamma", "Austin", "Staff"),
    ("Delta", "Pune", "Mid"),
    ("Beta", "Austin", "Principal"),
    ("Gamma", "Lisbon", "Junior"),
    ("Delta", "Dublin", "Staff"),
]


def person(order, org="Alpha", location="Dublin", seniority="Senior"):
    return Profile(
        enrollment_id=100 + order,
        name=f"Person {order}",
        org=org,
        team=f"{org} team",
        location=location,
        seniority=seniority,
        applied_order=order,
    )


def skewed_queue():
    """Ten alike applicants first (org Alpha, Dublin, senior), then a varied tail."""
    alike = [person(order) for order in range(10)]
    return alike + [person(10 + i, *values) for i, values in enumerate(TAIL)]


@pytest.mark.parametrize("seats", [-1, 0, 1, 3, 16, 40])
def test_the_suggestion_never_exceeds_the_free_seats(seats):
    queue = skewed_queue()

    picked = diversity.suggest_balanced(queue, [], seats)

    assert len(picked) == min(max(seats, 0), len(queue))
    assert len({p.enrollment_id for p in picked}) == len(picked)
    assert set(picked) <= set(queue)


@pytest.mark.parametrize("seats", [3, 5, 7])
def test_on_a_skewed_queue_the_suggestion_spreads_wider_than_the_queue_order(seats):
    queue = skewed_queue()

    picked = diversity.suggest_balanced(queue, [], seats)

    balanced = diversity.spread(picked)
    in_order = diversity.spread(queue[:seats])
    assert balanced > in_order, (
        f"{seats} seats: balanced spread {balanced:.3f} bits, "
        f"queue order {in_order:.3f} bits"
    )
    assert in_order == 0.0, "the first applicants are all alike"


def test_members_already_in_the_cohort_make_their_profile_less_wanted():
    members = [person(90), person(91, location="Cork")]
    alike_but_first = person(0, seniority="Senior")
    different_but_later = person(1, org="Beta", location="Lisbon", seniority="Junior")

    [picked] = diversity.suggest_balanced(
        [alike_but_first, different_but_later], members, 1
    )

    assert picked == different_but_later
    assert diversity.spread([*members, picked]) > diversity.spread(
        [*members, alike_but_first]
    )


def test_the_under_represented_value_wins_on_each_attribute():
    members = [person(90, org="Beta", location="Lisbon", seniority="Junior")]
    same_org = person(0, org="Beta", location="Austin", seniority="Staff")
    new_everything = person(1, org="Gamma", location="Pune", seniority="Mid")

    picked = diversity.suggest_balanced([same_org, new_everything], members, 2)

    assert picked == [new_everything, same_org]


def test_ties_go_to_the_earliest_applicant():
    later = person(7, org="Beta", location="Lisbon", seniority="Junior")
    earlier = person(3, org="Gamma", location="Austin", seniority="Staff")
    same_as_earlier = person(5, org="Gamma", location="Austin", seniority="Staff")

    # Listed out of order on purpose: the applied order decides, not the list.
    picked = diversity.suggest_balanced([later, same_as_earlier, earlier], [], 3)

    assert picked == [earlier, later, same_as_earlier]


@pytest.fixture
def skewed_applications(db, make_org, make_team, make_applicant, apply_for):
    """Applications in the database, in the order of ``skewed_queue``."""
    teams = {}

    def team_of(org_name):
        if org_name not in teams:
            teams[org_name] = make_team(name=f"{org_name} team", org=make_org(org_name))
        return teams[org_name]

    rows = [("Alpha", "Dublin", "Senior")] * 10 + TAIL
    enrollments = []
    for minutes, (org, location, seniority) in enumerate(rows):
        applicant = make_applicant(
            team=team_of(org), location=location, seniority=Seniority(seniority.lower())
        )
        enrollments.append(apply_for(applicant, now=NOW.replace(minute=minutes)))
    return enrollments


def test_the_suggestion_page_shows_both_spreads(
    db, skewed_applications, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(capacity=5)
    queue = queries.queue_profiles()
    assert [p.enrollment_id for p in queue] == [e.id for e in skewed_applications]
    expected = diversity.suggest_balanced(queue, [], 5)

    page = signed_in(program_manager).get(f"/program/cohorts/{cohort.id}/suggest").text

    balanced, in_order = (
        float(x)
        for x in re.search(
            r"<strong>([\d.]+) bits</strong> with this suggestion, "
            r"against ([\d.]+) bits",
            page,
        ).groups()
    )
    assert balanced > in_order, f"balanced {balanced} bits, in order {in_order} bits"
    assert balanced == round(diversity.spread(expected), 2)
    ticked = re.findall(
        r'<input checked [^>]*name="enrollment_ids"[^>]*value="(\d+)"', page
    )
    assert sorted(map(int, ticked)) == sorted(p.enrollment_id for p in expected)


def test_the_suggestion_counts_who_is_already_in_the_cohort(
    db, skewed_applications, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(capacity=3)
    tail_first = skewed_applications[10]  # Beta, Lisbon, junior
    services.place_in_cohort(program_manager, tail_first, cohort, NOW)
    db.session.commit()
    members = [queries.profile(m) for m in queries.cohort_members(cohort.id)]

    picked = diversity.suggest_balanced(queries.queue_profiles(), members, 2)

    assert len(picked) == 2, "only the two free seats"
    assert all(p.org != "Beta" for p in picked), picked
    page = signed_in(program_manager).get(f"/program/cohorts/{cohort.id}/suggest")
    assert "at most the 2 free seat(s)" in page.text


def _place(client, cohort, enrollments):
    return client.post(
        f"/program/cohorts/{cohort.id}/place",
        data={"enrollment_ids": [e.id for e in enrollments]},
    )


def test_approving_the_chosen_applicants(
    db, skewed_applications, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(capacity=4)
    chosen = skewed_applications[9:12]

    response = _place(signed_in(program_manager), cohort, chosen)

    assert response.headers["Location"].endswith(f"/program/cohorts/{cohort.id}")
    for enrollment in chosen:
        placed = fresh(Enrollment, enrollment.id)
        assert (placed.status, placed.cohort_id) == (S.APPROVED, cohort.id)
    assert fresh(Cohort, cohort.id).seats_taken == 3
    waiting = db.session.scalars(
        select(Enrollment.id).where(Enrollment.status == S.APPLIED)
    ).all()
    assert len(waiting) == len(skewed_applications) - 3


def test_all_or_none_when_one_cannot_be_placed(
    db, skewed_applications, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(capacity=2)
    chosen = skewed_applications[:3]

    response = _place(signed_in(program_manager), cohort, chosen)

    assert response.headers["Location"].endswith(
        f"/program/cohorts/{cohort.id}/suggest"
    )
    assert fresh(Cohort, cohort.id).seats_taken == 0
    for enrollment in chosen:
        assert fresh(Enrollment, enrollment.id).status == S.APPLIED
        assert history(enrollment.id) == [(None, S.APPLIED)]


def test_nobody_is_placed_when_one_chosen_is_no_longer_waiting(
    db, skewed_applications, make_cohort, program_manager, signed_in
):
    cohort = make_cohort(capacity=5)
    gone = skewed_applications[1]
    services.transition(gone, S.WITHDRAWN, actor=gone.user, now=NOW)
    db.session.commit()

    response = _place(signed_in(program_manager), cohort, skewed_applications[:3])

    assert response.headers["Location"].endswith(
        f"/program/cohorts/{cohort.id}/suggest"
    )
    assert fresh(Cohort, cohort.id).seats_taken == 0
    statuses = [fresh(Enrollment, e.id).status for e in skewed_applications[:3]]
    assert statuses == [S.APPLIED, S.WITHDRAWN, S.APPLIED]
