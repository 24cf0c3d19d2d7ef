"""Hiding one's name: others see "a Guardian" on the boards and the wall, and
no longer reach the record; the person still sees their own name and rank."""

import pytest

from portal.database import utcnow
from portal.recognition import services
from tests.helpers import row_counts


@pytest.fixture
def shy(make_user, make_team, award_kind, program_manager, db):
    """A Guardian with an award worth points, on a board of one."""
    person = make_user(
        name="Sol Shy", roles=["guardian"], team=make_team(name="Quietops")
    )
    services.grant_award(
        program_manager, person.email, award_kind, "For *calm* fixes", 30, utcnow()
    )
    db.session.commit()
    return person


def _hide(client, hidden=True):
    response = client.post(
        "/recognition/privacy", data={"hide_name": "y"} if hidden else {}
    )
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_hidden_name_is_a_guardian_to_others_and_itself_to_its_owner(
    signed_in, shy, engineer
):
    own, other = signed_in(shy), signed_in(engineer)
    assert "Sol Shy" in other.get("/recognition/leaderboard?period=all").text

    page = _hide(own)

    assert "Your name is hidden on the boards." in page
    assert "You hide your name on the boards" in page
    for path in ("/recognition/leaderboard?period=all", "/recognition/"):
        seen = other.get(path).get_data(as_text=True)
        assert "Sol Shy" not in seen and "Quietops" not in seen, path
        assert "a Guardian" in seen, path
        assert f"/recognition/people/{shy.id}" not in seen, path
    assert other.get(f"/recognition/people/{shy.id}").status_code == 404
    board = own.get("/recognition/leaderboard?period=all").get_data(as_text=True)
    assert "Rank <strong>1</strong> of 1 · 30 points" in board
    assert "Sol Shy" in board and "a Guardian" not in board
    assert "Sol Shy" in own.get("/recognition/").get_data(as_text=True)


def test_the_program_still_sees_a_hidden_record(signed_in, shy, program_manager):
    _hide(signed_in(shy))

    page = signed_in(program_manager).get(f"/recognition/people/{shy.id}")

    assert page.status_code == 200
    assert "This person hides their name on the boards" in page.text


def test_showing_the_name_again_undoes_it(signed_in, shy, engineer):
    own, other = signed_in(shy), signed_in(engineer)
    _hide(own)
    before = row_counts()

    page = _hide(own, hidden=False)

    assert "Your name shows on the boards." in page
    assert row_counts() == before  # the same preference row, changed
    assert "Sol Shy" in other.get("/recognition/leaderboard?period=all").text
    assert other.get(f"/recognition/people/{shy.id}").status_code == 200


def test_the_choice_is_only_on_ones_own_page(signed_in, shy, engineer):
    own = signed_in(shy).get(f"/recognition/people/{shy.id}").text
    others = signed_in(engineer).get(f"/recognition/people/{shy.id}").text

    assert "Hide my name on the boards and the wall" in own
    assert "Hide my name" not in others
