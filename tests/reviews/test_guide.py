"""The survey's calibration guide: the shipped text of content/survey.toml
beside each question, new numbered editions written by program managers
only, and every survey keeping the edition it was answered against."""

import copy
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db as _db
from portal.reviews import surveys
from portal.reviews.models import GuideEdition, Survey
from portal.reviews.models import ReviewStage as S
from portal.reviews.survey import guide_points, questions, shipped_guide
from tests.reviews.conftest import ANSWERS, NOW, fresh, row_counts

NEW_Q1_3 = "The diagram shows the major components.\nTrust boundaries are marked."


def edited(key="q1", level="3", text=NEW_Q1_3):
    entries = copy.deepcopy(shipped_guide())
    entries[key][level] = text
    return entries


def editions():
    """(number, note) of every edition, as the database has them."""
    _db.session.expire_all()
    return [
        (e.number, e.note)
        for e in _db.session.scalars(select(GuideEdition).order_by(GuideEdition.number))
    ]


def guide_form(entries, note=""):
    data = {"note": note}
    for key, levels in entries.items():
        for level, text in levels.items():
            data[f"{key}_{level}"] = text
    return data


def test_the_shipped_guide_describes_every_level_of_every_question():
    guide = shipped_guide()

    assert set(guide) == {"q1", "q2", "q3", "q4"}
    for question in questions():
        assert set(guide[question.key]) == set(question.guide_keys)
        for text in guide[question.key].values():
            assert guide_points(text), (question.key, text)
    assert guide["q3"]["applicable"].startswith("A configuration is applicable when")


def test_a_program_manager_edit_is_a_new_numbered_edition(db, program_manager, admin):
    first = surveys.edit_guide(program_manager, edited(), "Q1 level 3 reworded", NOW)
    db.session.commit()
    second = surveys.edit_guide(
        admin, edited(text="Only the main parts.\r\nNo boundaries."), "", NOW
    )
    db.session.commit()

    # The shipped guide became edition 1 when the first edit was saved.
    assert (first.number, second.number) == (2, 3)
    assert editions() == [(1, "As shipped"), (2, "Q1 level 3 reworded"), (3, "")]
    assert fresh(GuideEdition, first.id).entries == edited()
    assert fresh(GuideEdition, second.id).entries["q1"]["3"] == (
        "Only the main parts.\nNo boundaries."
    )
    assert surveys.guide_entries() == fresh(GuideEdition, second.id).entries
    assert fresh(GuideEdition, first.id).created_by_id == program_manager.id


@pytest.mark.parametrize(
    "person", ["reviewer", "other_reviewer", "supporter", "team_guardian", "member"]
)
def test_nobody_but_program_managers_edits_it(db, cast, signed_in, person):
    client = signed_in(getattr(cast, person))
    before = row_counts()

    with pytest.raises(DomainError) as raised:
        surveys.edit_guide(getattr(cast, person), edited(), "", NOW)
    db.session.rollback()

    assert raised.value.message == "Only program managers edit the calibration guide."
    assert client.get("/reviews/guide/edit").status_code == 403
    assert client.post(
        "/reviews/guide/edit", data=guide_form(edited())
    ).status_code == (403)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("key", "level", "text", "message"),
    [
        ("q1", "3", "", "Describe this level: the guide needs every one."),
        ("q4", "5", " \n ", "Describe this level: the guide needs every one."),
        ("q3", "applicable", "", "Describe this level: the guide needs every one."),
        ("q2", "1", "x" * 3001, "Keep it under 3000 characters."),
    ],
)
def test_empty_or_overlong_entries_are_refused(
    db, program_manager, key, level, text, message
):
    before = row_counts()

    with pytest.raises(DomainError) as raised:
        surveys.edit_guide(program_manager, edited(key, level, text), "", NOW)

    assert (raised.value.field, raised.value.message) == (f"{key}_{level}", message)
    db.session.rollback()
    assert row_counts() == before


def test_a_missing_entry_is_refused(db, program_manager):
    entries = edited()
    del entries["q2"]["4"]

    with pytest.raises(DomainError) as raised:
        surveys.edit_guide(program_manager, entries, "", NOW)

    assert raised.value.field == "q2_4"


def test_saving_the_guide_unchanged_is_refused(db, program_manager):
    with pytest.raises(DomainError) as raised:
        surveys.edit_guide(program_manager, shipped_guide(), "", NOW)

    assert raised.value.message == "Nothing changed: the guide is as it was."


def test_editing_through_the_page(db, program_manager, signed_in):
    client = signed_in(program_manager)

    form = client.get("/reviews/guide/edit").text
    blank = client.post("/reviews/guide/edit", data=guide_form(edited(text="")))
    saved = client.post(
        "/reviews/guide/edit", data=guide_form(edited(), note="Clearer level 3")
    )
    guide = client.get("/reviews/guide").text

    # The form starts from the guide in force: the shipped text.
    assert escape(shipped_guide()["q4"]["2"]) in form
    assert blank.status_code == 200 and "Describe this level." in blank.text
    assert saved.status_code == 302
    assert editions() == [(1, "As shipped"), (2, "Clearer level 3")]
    assert "Edition 2 is in force" in guide
    assert "<li>Trust boundaries are marked.</li>" in guide
    assert "Clearer level 3" in guide


def _panel(page, key):
    """The calibration guide panel beside question ``key``."""
    match = re.search(
        rf'<aside class="card[^"]*" aria-labelledby="guide-{key}">(.*?)</aside>',
        page,
        re.S,
    )
    return match.group(1)


def test_the_survey_page_shows_the_shipped_guide_beside_each_question(
    db, cast, make_review, signed_in
):
    review = cast.review(make_review, stage=S.APPROVED)

    page = signed_in(cast.reviewer).get(f"/reviews/{review.id}/survey").text

    for question in questions():
        assert escape(question.prompt) in page
        panel = _panel(page, question.key)
        assert f"Calibration guide: {question.short}" in panel
        for text in shipped_guide()[question.key].values():
            for point in guide_points(text):
                assert f"<li>{escape(point)}</li>" in panel, point
    assert "1 · Poor" in _panel(page, "q1") and "5 · Excellent" in _panel(page, "q2")


def test_a_survey_keeps_the_edition_it_was_answered_against(
    db, cast, make_review, make_user, signed_in
):
    second = make_user(name="Nia Newer", roles=["security_reviewer"])
    review = make_review(
        team=cast.team, stage=S.APPROVED, reviewers=[cast.reviewer, second]
    )
    early = surveys.submit_survey(cast.reviewer, review, ANSWERS, "", "", NOW)
    db.session.commit()

    surveys.edit_guide(cast.manager, edited(), "", NOW)
    db.session.commit()
    # An edit of the survey afterwards keeps its edition too.
    surveys.submit_survey(cast.reviewer, review, {**ANSWERS, "q1": 3}, "", "", NOW)
    late = surveys.submit_survey(second, review, ANSWERS, "", "", NOW)
    db.session.commit()

    assert fresh(Survey, early.id).guide_edition.number == 1
    assert fresh(Survey, early.id).q1 == 3
    assert fresh(Survey, late.id).guide_edition.number == 2
    kept = signed_in(cast.reviewer).get(f"/reviews/{review.id}/survey").text
    current = signed_in(second).get(f"/reviews/{review.id}/survey").text
    assert "Answered against edition 1 of the calibration guide" in kept
    assert "Answered against edition 2 of the calibration guide" in current
    old_point = guide_points(shipped_guide()["q1"]["3"])[0]
    assert f"<li>{escape(old_point)}</li>" in _panel(kept, "q1")
    assert "<li>Trust boundaries are marked.</li>" not in _panel(kept, "q1")
    assert "<li>Trust boundaries are marked.</li>" in _panel(current, "q1")
