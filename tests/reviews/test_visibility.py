"""Who sees a review and what of it: strangers get 404 on every review address
and change nothing; the team and its Guardians read but do not edit; the list
shows each person what they may see; private notes, feedback, the readiness
self-rating and reviewers' names only for those meant to read them."""

import html
import re

import pytest

from portal.enrollment.models import EnrollmentStatus
from portal.reviews import surveys
from portal.reviews.models import Finding, ReadinessCheck, Severity
from portal.reviews.models import ReviewStage as S
from tests.helpers import login_as
from tests.reviews.conftest import ANSWERS, NOW, TODAY, first_guide_edition, row_counts

FEEDBACK = "Great **threat model**, thin resource list."
FEEDBACK_HTML = "<strong>threat model</strong>"
PRIVATE = "The team answered our questions late."
READINESS_NOTES = "We rushed the architecture diagram."
SURVEY_ANSWERS = {"q1": "4", "q2": "5", "q3": "1", "q4": "3"}

GET_PATHS = ("", "/edit", "/survey", "/readiness")
POST_PATHS = {
    "/edit": lambda w: {
        "title": "Renamed",
        "team_id": w["team_id"],
        "opened_on": TODAY.isoformat(),
        "guardians": "",
        "reviewers": "",
    },
    "/stage": lambda w: {"stage": "cancelled"},
    "/findings": lambda w: {"title": "SSRF", "severity": "high", "status": "open"},
    "/findings/{finding_id}": lambda w: {"status": "accepted_risk"},
    "/findings/{finding_id}/remove": lambda w: {},
    "/findings/counts": lambda w: {f"{s.value}_count": "7" for s in Severity},
    "/survey": lambda w: {**SURVEY_ANSWERS, "feedback": "Mine now"},
    "/readiness": lambda w: {**SURVEY_ANSWERS, "notes": "Mine now"},
}
OUTSIDERS = ("outside_guardian", "outside_engineer", "intruder")
READERS = ("member", "team_guardian")


def _add_finding(db, review):
    finding = Finding(review_id=review.id, title="Open redirect", severity=Severity.LOW)
    db.session.add(finding)
    db.session.commit()
    return finding


@pytest.fixture
def reviews(db, cast, make_review):
    """The team's reviews at three moments, each with a listed finding: one
    before submission (readiness check), one in review, one approved with its
    survey filed and the Guardian's readiness check beside it."""
    made = {}
    for stage in (S.GUIDANCE, S.IN_REVIEW, S.APPROVED):
        review = cast.review(make_review, stage=stage, title=f"Service {stage.value}")
        made[stage] = {
            "review_id": review.id,
            "finding_id": _add_finding(db, review).id,
            "team_id": cast.team.id,
        }
    return made


@pytest.fixture
def approved(db, cast, make_review, make_user):
    """An approved review: its reviewer filed the survey with feedback and a
    private note; a second reviewer has not yet; the supporting Guardian's
    readiness check from before submission."""
    co_reviewer = make_user(name="Cy Coreviewer", roles=["security_reviewer"])
    review = make_review(
        team=cast.team,
        stage=S.APPROVED,
        title="Ledger API",
        guardians=[cast.supporter],
        reviewers=[cast.reviewer, co_reviewer],
    )
    db.session.add(
        ReadinessCheck(
            review_id=review.id,
            user_id=cast.supporter.id,
            notes=READINESS_NOTES,
            guide_edition_id=first_guide_edition().id,
            created_at=NOW,
            updated_at=NOW,
            **{**ANSWERS, "q1": 5},
        )
    )
    surveys.submit_survey(cast.reviewer, review, ANSWERS, FEEDBACK, PRIVATE, NOW)
    db.session.commit()
    return review, co_reviewer


def _surveys_section(page):
    return page.split('id="surveys"')[1].split('id="findings"')[0]


@pytest.mark.parametrize("stage", [S.GUIDANCE, S.IN_REVIEW, S.APPROVED])
@pytest.mark.parametrize("person", OUTSIDERS)
def test_strangers_get_404_on_every_review_address_and_change_nothing(
    db, cast, reviews, signed_in, person, stage
):
    ids = reviews[stage]
    base = f"/reviews/{ids['review_id']}"
    client = signed_in(getattr(cast, person))
    before = row_counts()

    for path in GET_PATHS:
        assert client.get(base + path).status_code == 404, path
    for path, data in POST_PATHS.items():
        url = base + path.format(**ids)
        assert client.post(url, data=data(ids)).status_code == 404, path

    assert row_counts() == before


@pytest.mark.parametrize("stage", [S.GUIDANCE, S.IN_REVIEW, S.APPROVED])
@pytest.mark.parametrize("person", READERS)
def test_the_team_and_its_guardians_read_the_review_but_do_not_change_it(
    db, cast, reviews, signed_in, person, stage
):
    ids = reviews[stage]
    base = f"/reviews/{ids['review_id']}"
    client = signed_in(getattr(cast, person))
    before = row_counts()

    page = client.get(base)
    assert page.status_code == 200
    assert f"Service {stage.value}" in page.text and "Open redirect" in page.text
    assert "Next step" not in page.text and ">Edit</a>" not in page.text
    for path in ("/edit", "/survey", "/readiness"):
        assert client.get(base + path).status_code == 403, path
    for path, data in POST_PATHS.items():
        url = base + path.format(**ids)
        expected = 302 if path == "/stage" else 403  # the move is refused
        assert client.post(url, data=data(ids)).status_code == expected, path

    assert row_counts() == before


def test_the_team_guardian_sees_the_review_only_while_active(
    db, cast, make_review, make_user, make_team, guard, signed_in
):
    review = cast.review(make_review)
    former = make_user(name="Fred Former", roles=["guardian"], team=make_team())
    guard(former, cast.team, status=EnrollmentStatus.ALUMNI)

    assert signed_in(former).get(f"/reviews/{review.id}").status_code == 404
    assert signed_in(cast.team_guardian).get(f"/reviews/{review.id}").status_code == 200


def _listed(client, query=""):
    page = client.get(f"/reviews/{query}").text
    titles = re.findall(r'<td><a href="/reviews/\d+">(.*?)</a>', page)
    return sorted(html.unescape(title) for title in titles)


def test_the_list_shows_each_person_only_the_reviews_they_may_see(
    db, cast, make_review, make_team, signed_in
):
    cast.review(make_review, title="Checkout")
    make_review(team=make_team(), guardians=[cast.supporter], title="Supported")
    make_review(team=cast.outside_guardian.team, title="Guarded elsewhere")
    make_review(team=cast.outside_engineer.team, title="Engineer's team")
    make_review(team=make_team(), title="Nobody's")
    everything = sorted(
        ["Checkout", "Supported", "Guarded elsewhere", "Engineer's team", "Nobody's"]
    )
    expected = {
        "reviewer": everything,
        "other_reviewer": everything,
        "manager": everything,
        "admin": everything,
        "member": ["Checkout"],
        "team_guardian": ["Checkout"],
        "supporter": ["Checkout", "Supported"],
        "outside_guardian": ["Guarded elsewhere"],
        "outside_engineer": ["Engineer's team"],
        "intruder": [],
    }

    seen = {person: _listed(signed_in(getattr(cast, person))) for person in expected}

    assert seen == expected
    intruder = signed_in(cast.intruder)
    assert _listed(intruder, f"?team_id={cast.team.id}") == []
    assert _listed(intruder, "?q=Checkout") == []


@pytest.mark.parametrize(
    ("person", "sees_it"),
    [
        ("manager", True),
        ("admin", True),
        ("reviewer", True),  # its author
        ("co_reviewer", False),
        ("other_reviewer", False),
        ("supporter", False),
        ("team_guardian", False),
        ("member", False),
    ],
)
def test_private_notes_are_for_program_managers_and_their_author(
    db, cast, approved, signed_in, person, sees_it
):
    review, co_reviewer = approved
    viewer = co_reviewer if person == "co_reviewer" else getattr(cast, person)

    page = signed_in(viewer).get(f"/reviews/{review.id}").text

    assert (PRIVATE in page) == sees_it
    assert ("Private note to program managers" in page) == sees_it


def test_a_supporting_guardian_who_is_a_program_manager_does_not_read_the_note(
    db, cast, make_review, make_user, make_team, signed_in
):
    both = make_user(roles=["guardian", "program_manager"], team=make_team())
    review = make_review(
        team=cast.team, stage=S.APPROVED, guardians=[both], reviewers=[cast.reviewer]
    )
    surveys.submit_survey(cast.reviewer, review, ANSWERS, FEEDBACK, PRIVATE, NOW)
    db.session.commit()
    client = signed_in(both)

    assert PRIVATE not in client.get(f"/reviews/{review.id}").text
    assert PRIVATE not in client.get("/reviews/mine").text
    assert FEEDBACK_HTML in client.get("/reviews/mine").text


@pytest.mark.parametrize(
    ("person", "reads_it"),
    [
        ("supporter", True),
        ("team_guardian", True),
        ("reviewer", True),
        ("co_reviewer", True),
        ("other_reviewer", True),
        ("manager", True),
        ("member", False),
    ],
)
def test_feedback_is_not_shown_to_plain_team_members(
    db, cast, approved, signed_in, person, reads_it
):
    review, co_reviewer = approved
    viewer = co_reviewer if person == "co_reviewer" else getattr(cast, person)

    page = signed_in(viewer).get(f"/reviews/{review.id}").text

    assert (FEEDBACK_HTML in page) == reads_it
    # Everyone who sees the review sees its score.
    assert "<strong>81</strong>" in page


def test_the_readiness_self_rating_waits_for_the_reviewers_own_survey(
    db, cast, approved, signed_in
):
    review, co_reviewer = approved
    waiting = signed_in(co_reviewer).get(f"/reviews/{review.id}").text
    filed = signed_in(cast.reviewer).get(f"/reviews/{review.id}").text

    assert "Sam Supporter’s self-rating" not in waiting
    assert READINESS_NOTES not in waiting
    assert "appear here once your survey is in" in waiting
    assert "Sam Supporter’s self-rating" in filed
    assert READINESS_NOTES in filed
    assert "appear here once your survey is in" not in filed


@pytest.mark.parametrize(
    ("person", "sees_it"),
    [
        ("supporter", True),
        ("manager", True),
        ("other_reviewer", False),
        ("team_guardian", False),
        ("member", False),
    ],
)
def test_the_readiness_self_rating_is_for_the_guardian_and_program_managers(
    db, cast, approved, signed_in, person, sees_it
):
    review, _ = approved

    page = signed_in(getattr(cast, person)).get(f"/reviews/{review.id}").text

    assert ("Sam Supporter’s self-rating" in page) == sees_it
    assert (READINESS_NOTES in page) == sees_it


def test_reviewer_names_are_hidden_from_guardians_when_the_setting_says_so(
    db, app_factory, cast, approved
):
    review, _ = approved
    anonymous = app_factory(PORTAL_SURVEY_SHOWS_REVIEWER=False)

    def page(person, path):
        client = anonymous.test_client()
        login_as(client, person)
        return client.get(path).text

    for guardian in (cast.supporter, cast.team_guardian):
        shown = _surveys_section(page(guardian, f"/reviews/{review.id}"))
        assert "Rae Reviewer" not in shown
        assert '<th scope="col">Reviewer 1</th>' in shown
        assert "Feedback, 02 June 2025" in shown
    mine = page(cast.supporter, "/reviews/mine")
    assert "Rae Reviewer" not in mine and "Reviewer 1" in mine
    assert FEEDBACK_HTML in mine
    # Those who record reviews always see who wrote what.
    for recorder in (cast.manager, cast.other_reviewer):
        assert "Feedback from Rae Reviewer" in page(recorder, f"/reviews/{review.id}")
    # The author sees their own name.
    assert "Feedback from Rae Reviewer" in page(cast.reviewer, f"/reviews/{review.id}")


def test_reviewer_names_are_shown_to_guardians_by_default(
    db, app, cast, approved, signed_in
):
    review, _ = approved
    assert app.config["PORTAL_SURVEY_SHOWS_REVIEWER"] is True
    client = signed_in(cast.supporter)

    shown = _surveys_section(client.get(f"/reviews/{review.id}").text)

    assert '<th scope="col">Rae Reviewer</th>' in shown
    assert "Feedback from Rae Reviewer" in shown
    assert "Rae Reviewer" in client.get("/reviews/mine").text
