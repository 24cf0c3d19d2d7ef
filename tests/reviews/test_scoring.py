"""How survey answers become scores, worked by hand: the fractions, n/a, a
review with several reviewers, the page's examples, a Guardian's average and
the scoring page showing what the code computes."""

import html
import re

import pytest

from portal.reviews import queries, scoring
from portal.reviews.models import Review
from portal.reviews.models import ReviewStage as S
from portal.reviews.surveys import submit_survey
from tests.helpers import login_as
from tests.reviews.conftest import NOW, fresh

NA = None


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("q1", 1, 0.0),  # (1 - 1) / 4
        ("q1", 2, 0.25),  # (2 - 1) / 4
        ("q2", 3, 0.5),  # (3 - 1) / 4
        ("q4", 4, 0.75),  # (4 - 1) / 4
        ("q4", 5, 1.0),  # (5 - 1) / 4
        ("q3", 1, 1.0),  # Yes
        ("q3", 0, 0.0),  # No
        ("q1", NA, None),
        ("q3", NA, None),
    ],
)
def test_each_answer_becomes_a_fraction(app, key, value, expected):
    assert scoring.fraction(key, value) == expected


def test_na_drops_out_of_both_the_sum_and_the_count(app):
    # Only Q1 applies: 100 x (5 - 1) / 4 over one answer, not over four.
    assert scoring.survey_score({"q1": 5, "q2": NA, "q3": NA, "q4": NA}) == 100.0
    # Q1 Poor (0) and Q3 Yes (1) over two answers: 100 x (0 + 1) / 2.
    assert scoring.survey_score({"q1": 1, "q2": NA, "q3": 1, "q4": NA}) == 50.0
    # A No counts (as 0); it is not dropped like n/a: 100 x (1 + 0) / 2.
    assert scoring.survey_score({"q1": 5, "q2": NA, "q3": 0, "q4": NA}) == 50.0


def test_a_survey_or_review_answered_na_throughout_has_no_score(app):
    all_na = {"q1": NA, "q2": NA, "q3": NA, "q4": NA}

    assert scoring.survey_score(all_na) is None
    assert scoring.question_fractions([all_na, all_na]) == {}
    assert scoring.review_score([all_na, all_na]) is None
    assert scoring.review_score([]) is None


def test_a_review_score_averages_each_question_over_reviewers_then_the_questions(app):
    first = {"q1": 5, "q2": 1, "q3": 1, "q4": NA}
    second = {"q1": 2, "q2": NA, "q3": 0, "q4": NA}
    third = {"q1": 3, "q2": 4, "q3": 0, "q4": NA}

    # Q1: (1 + 0.25 + 0.5) / 3 = 0.58333; Q2: (0 + 0.75) / 2 = 0.375;
    # Q3: one Yes in three = 0.33333; Q4: nobody answered, so left out.
    fractions = scoring.question_fractions([first, second, third])
    assert fractions.keys() == {"q1", "q2", "q3"}
    assert fractions["q1"] == pytest.approx(1.75 / 3)
    assert fractions["q2"] == pytest.approx(0.375)
    assert fractions["q3"] == pytest.approx(1 / 3)
    # 100 x (0.58333 + 0.375 + 0.33333) / 3 = 43.0556
    expected = 100 * (1.75 / 3 + 0.375 + 1 / 3) / 3
    assert scoring.review_score([first, second, third]) == pytest.approx(expected)
    assert round(expected, 4) == 43.0556
    # Not the mean of the survey scores: 100 x (1 + 0 + 1) / 3 = 66.67,
    # 100 x (0.25 + 0) / 2 = 12.5 and 100 x (0.5 + 0.75 + 0) / 3 = 41.67 make 40.28:
    # a question answered by fewer reviewers weighs as much as any other.
    survey_mean = sum(scoring.survey_score(s) for s in (first, second, third)) / 3
    assert survey_mean == pytest.approx(40.2778, abs=1e-4)


# Each example as worked by hand: per question the fraction(s), then the scores.
HAND_WORKED = [
    {
        # 4 -> 0.75, 5 -> 1, Yes -> 1, 3 -> 0.5; 100 x 3.25 / 4
        "fractions": {"q1": 0.75, "q2": 1.0, "q3": 1.0, "q4": 0.5},
        "survey_scores": [100 * (0.75 + 1 + 1 + 0.5) / 4],
        "score": 81.25,
    },
    {
        # Q2 n/a drops out: 100 x (0.75 + 1 + 0.5) / 3
        "fractions": {"q1": 0.75, "q3": 1.0, "q4": 0.5},
        "survey_scores": [100 * (0.75 + 1 + 0.5) / 3],
        "score": 75.0,
    },
    {
        # Reviewer 1: 5 -> 1, 3 -> 0.5, Yes -> 1, 4 -> 0.75: 100 x 3.25 / 4
        # Reviewer 2: 3 -> 0.5, n/a, No -> 0, 4 -> 0.75: 100 x 1.25 / 3
        # Per question: Q1 (1 + 0.5) / 2, Q2 0.5 (one answer), Q3 one Yes of
        # two, Q4 (0.75 + 0.75) / 2; then 100 x (0.75 + 0.5 + 0.5 + 0.75) / 4
        "fractions": {"q1": 0.75, "q2": 0.5, "q3": 0.5, "q4": 0.75},
        "survey_scores": [81.25, 41.6667],
        "score": 62.5,
    },
]


@pytest.mark.parametrize(
    ("example", "worked"), list(zip(scoring.EXAMPLES, HAND_WORKED, strict=True))
)
def test_the_examples_give_the_numbers_worked_by_hand(app, example, worked):
    surveys = example["surveys"]

    assert scoring.question_fractions(surveys) == pytest.approx(worked["fractions"])
    assert [scoring.survey_score(s) for s in surveys] == pytest.approx(
        worked["survey_scores"], abs=1e-4
    )
    assert scoring.review_score(surveys) == pytest.approx(worked["score"])


def test_saving_surveys_keeps_the_scores_the_rules_give(
    db, make_review, make_user, reviewer
):
    second = make_user(roles=["security_reviewer"])
    review = make_review(stage=S.APPROVED, reviewers=[reviewer, second])
    first_answers, second_answers = scoring.EXAMPLES[2]["surveys"]

    one = submit_survey(reviewer, review, first_answers, "", "", NOW)
    two = submit_survey(second, review, second_answers, "", "", NOW)
    db.session.commit()

    assert (one.score, two.score) == pytest.approx((81.25, 125 / 3))
    assert fresh(Review, review.id).score == pytest.approx(62.5)


@pytest.fixture
def supported(db, make_review, make_user, reviewer):
    """A Guardian who supported three reviews: two rated (81.25 and 75), one
    approved but without a survey yet, all approved in 2025 Q2."""
    guardian = make_user(name="Gus Guardian", roles=["guardian"])
    for answers in (
        scoring.EXAMPLES[0]["surveys"][0],
        scoring.EXAMPLES[1]["surveys"][0],
    ):
        review = make_review(
            stage=S.APPROVED, guardians=[guardian], reviewers=[reviewer]
        )
        submit_survey(reviewer, review, answers, "", "", NOW)
    make_review(stage=S.APPROVED, guardians=[guardian], reviewers=[reviewer])
    db.session.commit()
    return guardian


def test_a_guardian_average_is_hidden_below_the_minimum_number_of_rated_reviews(
    app, supported, signed_in
):
    assert app.config["PORTAL_REVIEW_MIN_RATED"] == 3

    overall = queries.guardian_average(supported.id)

    assert (overall.value, overall.count, overall.minimum) == (None, 2, 3)
    assert not overall.shown and overall.missing == 1
    page = signed_in(supported).get("/reviews/mine").text
    assert "not shown: 2 of the 3 rated reviews needed" in page
    assert "78</strong>/100" not in page
    [trend] = queries.guardian_trend(supported.id)
    assert (trend["quarter"], trend["count"]) == ("2025 Q2", 2)
    assert not any(trend[key].shown for key in ("q1", "q2", "q3", "q4", "score"))


def test_a_guardian_average_is_shown_once_the_minimum_is_reached(
    db, app_factory, supported
):
    lower = app_factory(PORTAL_REVIEW_MIN_RATED=2)
    guardian_id = supported.id
    db.session.commit()  # the test's session lets go of SQLite's write lock
    with lower.app_context():
        overall = queries.guardian_average(guardian_id)
        [trend] = queries.guardian_trend(guardian_id)
    client = lower.test_client()
    login_as(client, supported)
    page = client.get("/reviews/mine").text

    # (81.25 + 75) / 2; the unrated review counts for nothing.
    assert (overall.value, overall.count) == (pytest.approx(78.125), 2)
    assert overall.shown and overall.missing == 0
    assert re.search(r"<strong>78</strong>/100\s*<span[^>]*>\(2 reviews\)", page)
    # Q1: (4 + 4) / 2, Q2: only the first answered (5), Q3: two Yes of two.
    assert trend["q1"].value == pytest.approx(4.0)
    assert trend["q2"].value == pytest.approx(5.0)
    assert trend["q3"].value == pytest.approx(1.0)
    assert trend["score"].value == pytest.approx(78.125)
    assert "<strong>100%</strong> Yes" in page
    assert "<strong>4.0</strong> of 5" in page


def _example_sections(page):
    return re.findall(
        r'<section class="card mb-3" aria-labelledby="example-\d+">(.*?)</section>',
        page,
        re.S,
    )


def _cells(section):
    """{row header: [cell texts]} of an example's table."""
    rows = re.findall(r'<tr><th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', section, re.S)
    return {
        html.unescape(header.strip()): [
            html.unescape(cell.strip())
            for cell in re.findall(r"<td>(.*?)</td>", rest, re.S)
        ]
        for header, rest in rows
    }


def test_the_scoring_page_shows_the_numbers_the_code_computes(db, engineer, signed_in):
    page = signed_in(engineer).get("/reviews/scoring").text
    sections = _example_sections(page)
    assert len(sections) == len(scoring.EXAMPLES) == 3

    for section, example, worked in zip(
        sections, scoring.EXAMPLES, HAND_WORKED, strict=True
    ):
        surveys = example["surveys"]
        cells = _cells(section)
        assert example["title"] in section
        for key in ("q1", "q2", "q3", "q4"):
            fraction = scoring.question_fractions(surveys).get(key)
            shown = "dropped (n/a)" if fraction is None else f"{fraction:.3f}"
            assert cells[key.upper()][-1] == shown, key
            assert shown == (
                f"{worked['fractions'][key]:.3f}"
                if key in worked["fractions"]
                else "dropped (n/a)"
            )
        assert cells["Survey score"][: len(surveys)] == [
            f"{scoring.survey_score(s):.1f}" for s in surveys
        ]
        assert cells["Survey score"][: len(surveys)] == [
            f"{value:.1f}" for value in worked["survey_scores"]
        ]
        review_score = re.search(r"Review score: .*?<strong>(.*?)</strong>", section)
        assert review_score.group(1) == f"{scoring.review_score(surveys):.1f}"
        assert review_score.group(1) == f"{worked['score']:.1f}"

    first = _cells(sections[0])
    assert first["Q1"][0] == "Very Good → 0.75"
    assert first["Q3"][0] == "Yes → 1.00"
    assert _cells(sections[1])["Q2"][0] == "n/a"
    assert "100 × (0.75 + 0.5 + 0.5 + 0.75) ÷ 4 = <strong>62.5</strong>" in sections[2]


def test_the_scoring_page_states_the_rules_in_force(app_factory, engineer):
    stricter = app_factory(PORTAL_REVIEW_MIN_RATED=5, PORTAL_SURVEY_EDIT_DAYS=7)
    client = stricter.test_client()
    login_as(client, engineer)

    page = client.get("/reviews/scoring").text

    assert "No average is shown over fewer than <strong>5</strong> rated" in page
    assert "can change their survey for 7 days" in page
    # The questions as content/survey.toml words them.
    assert "How would you rate the quality of the threat model responses?" in page
    assert "Were the applicable configurations set up?" in page
    assert "Excellent (all resources were identified)" in page


def test_the_trend_scores_each_review_once_as_the_average_does(
    db, app_factory, make_review, make_user, reviewer
):
    guardian = make_user(roles=["guardian"])
    second = make_user(roles=["security_reviewer"])
    review = make_review(
        stage=S.APPROVED, guardians=[guardian], reviewers=[reviewer, second]
    )
    first_answers, second_answers = scoring.EXAMPLES[2]["surveys"]
    submit_survey(reviewer, review, first_answers, "", "", NOW)
    submit_survey(second, review, second_answers, "", "", NOW)
    guardian_id = guardian.id
    db.session.commit()

    with app_factory(PORTAL_REVIEW_MIN_RATED=1).app_context():
        overall = queries.guardian_average(guardian_id)
        [trend] = queries.guardian_trend(guardian_id)

    # The review's score is 62.5 (worked above); the mean of its two survey
    # scores, (81.25 + 41.67) / 2 = 61.46, would weigh each reviewer instead.
    assert overall.value == trend["score"].value == pytest.approx(62.5)
    assert (trend["count"], trend["score"].count) == (1, 1)
    # Q1's mean rating over both surveys: (5 + 3) / 2; Q3: one Yes of two.
    assert trend["q1"].value == pytest.approx(4.0)
    assert trend["q3"].value == pytest.approx(0.5)
