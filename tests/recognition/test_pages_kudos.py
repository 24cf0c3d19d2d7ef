"""Kudos from a person's recognition page: never to oneself, only to active
Guardians, a few a month (also when two arrive at once), and a note that is
refused with a clear message, writing nothing, when it is empty, too long or
holds nothing to read."""

import pytest
from sqlalchemy import select

from portal.recognition.models import Kudos, PointsEntry
from tests.concurrency import run_together
from tests.helpers import row_counts

NOTE = "Thanks for walking us through the threat model"


@pytest.fixture
def thanked(make_user, make_team):
    return make_user(name="Tess Thanked", roles=["guardian"], team=make_team())


def _send(client, person, note=NOTE):
    return client.post(f"/recognition/people/{person.id}/kudos", data={"note": note})


def _flashed(client, response):
    """The page the post/redirect/get lands on."""
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_kudos_reach_the_guardian_their_page_and_the_ledger(
    signed_in, engineer, thanked, db
):
    client = signed_in(engineer)

    page = _flashed(client, _send(client, thanked, "Thanks for *the* review"))

    assert "Kudos sent to Tess Thanked." in page
    assert "<em>the</em>" in page
    kudos = db.session.scalars(select(Kudos)).one()
    assert (kudos.giver_id, kudos.receiver_id) == (engineer.id, thanked.id)
    entry = db.session.scalars(select(PointsEntry)).one()
    assert (entry.user_id, entry.source_kind, entry.points) == (
        thanked.id,
        "kudos_received",
        5,
    )


def test_nobody_thanks_themselves(signed_in, thanked):
    client = signed_in(thanked)
    own_page = client.get(f"/recognition/people/{thanked.id}").get_data(as_text=True)
    before = row_counts()

    page = _flashed(client, _send(client, thanked))

    assert "Send kudos" not in own_page
    assert "You cannot give yourself kudos." in page
    assert row_counts() == before


def test_kudos_go_only_to_active_guardians(signed_in, engineer, make_user, db):
    colleague = make_user(name="Nora Noguardian")
    departed = make_user(name="Dan Departed", roles=["guardian"], active=False)
    client = signed_in(engineer)
    colleague_page = client.get(f"/recognition/people/{colleague.id}").text
    before = row_counts()

    refused = _flashed(client, _send(client, colleague))
    closed = _send(client, departed)

    assert "Send kudos" not in colleague_page
    assert "Kudos go to active Guardians." in refused
    assert closed.status_code == 404  # a closed account's record is not shown
    assert row_counts() == before


def test_each_person_gives_three_a_month(signed_in, engineer, make_user, make_team):
    guardians = [make_user(roles=["guardian"], team=make_team()) for _ in range(4)]
    client = signed_in(engineer)

    for person in guardians[:3]:
        assert "Kudos sent to" in _flashed(client, _send(client, person))
    before = row_counts()
    page = _flashed(client, _send(client, guardians[3]))

    assert "You have given your 3 kudos for this month: thank you!" in page
    assert row_counts() == before
    assert "3 a month" not in page  # the limit is said once, in words
    points = client.get("/recognition/points").get_data(as_text=True)
    assert "each person gives at most 3 a month" in points


def test_two_kudos_at_once_cannot_pass_the_limit(
    signed_in, engineer, make_user, make_team, db
):
    """Two browsers of one person send the month's last kudos together: one
    is sent, the other refused, and the month holds exactly three."""
    guardians = [make_user(roles=["guardian"], team=make_team()) for _ in range(4)]
    first = signed_in(engineer)
    for person in guardians[:2]:
        assert "Kudos sent to" in _flashed(first, _send(first, person))
    second = signed_in(engineer)

    paths = [f"/recognition/people/{p.id}/kudos" for p in guardians[2:]]
    db.session.commit()

    answers = run_together(
        lambda: first.post(paths[0], data={"note": NOTE}),
        lambda: second.post(paths[1], data={"note": NOTE}),
    )

    assert [a.status_code for a in answers] == [302, 302]
    db.session.expire_all()
    given = db.session.scalars(
        select(Kudos.slot).where(Kudos.giver_id == engineer.id)
    ).all()
    assert sorted(given) == [1, 2, 3]
    received = db.session.scalars(
        select(PointsEntry.user_id).where(PointsEntry.source_kind == "kudos_received")
    ).all()
    assert len(received) == 3
    pages = [
        client.get(a.headers["Location"]).get_data(as_text=True)
        for client, a in zip((first, second), answers, strict=True)
    ]
    refusals = [p for p in pages if "Kudos sent to" not in p]
    assert len(refusals) == 1
    assert (
        "You have given your 3 kudos" in refusals[0]
        or "You gave kudos a moment ago" in refusals[0]
    )


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "Your note: Write a short note."),
        ("   \n\t  ", "Write the note."),
        ("x" * 281, "Your note: Field cannot be longer than 280 characters."),
        ("\u200b\u200b\u2060", "Write the note."),
    ],
    ids=["empty", "only spaces", "too long", "only invisible characters"],
)
def test_an_empty_huge_or_blank_note_is_refused(
    signed_in, engineer, thanked, note, message
):
    client = signed_in(engineer)
    before = row_counts()

    page = _flashed(client, _send(client, thanked, note))

    assert message in page
    assert "Kudos sent to" not in page
    assert row_counts() == before


def test_a_note_with_a_nul_character_is_a_bad_request(signed_in, engineer, thanked):
    client = signed_in(engineer)
    before = row_counts()

    response = _send(client, thanked, "Thanks\x00")

    assert response.status_code == 400
    assert "Text cannot contain NUL characters" in response.text
    assert row_counts() == before


def test_a_long_note_at_the_limit_is_kept_whole(signed_in, engineer, thanked, db):
    client = signed_in(engineer)
    note = "é" * 279 + "!"

    assert "Kudos sent to" in _flashed(client, _send(client, thanked, note))
    assert db.session.scalars(select(Kudos.note_markdown)).one() == note
