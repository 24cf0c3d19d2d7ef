"""What the pages say about people: a kudos giver who hides their name stays
hidden on the record they thanked, a board of another org says so, text that
changes direction is refused, and a withdrawn award is told."""

from sqlalchemy import select

from portal.database import utcnow
from portal.notifications.models import Notification
from portal.recognition import services
from tests.helpers import row_counts


def test_a_hidden_giver_is_a_colleague_on_the_record_they_thanked(
    db, signed_in, make_user, make_team, program_manager
):
    thanked = make_user(name="Tess Thanked", roles=["guardian"], team=make_team())
    giver = make_user(name="Quinn Quiet")
    services.set_name_hidden(giver, True, utcnow())
    services.give_kudos(giver, thanked, "Thanks for the review", utcnow())
    db.session.commit()
    path = f"/recognition/people/{thanked.id}"

    seen_by_others = signed_in(make_user()).get(path).text
    seen_by_giver = signed_in(giver).get(path).text
    seen_by_manager = signed_in(program_manager).get(path).text
    wall = signed_in(thanked).get("/recognition/").text

    assert "Quinn Quiet" not in seen_by_others
    assert "From a colleague" in seen_by_others
    assert "From Quinn Quiet" in seen_by_giver
    assert "From Quinn Quiet" in seen_by_manager
    assert "Quinn Quiet" not in wall and "from a colleague" in wall


def test_a_board_of_another_org_says_it_is_not_yours(
    db, signed_in, make_user, make_team, make_org
):
    mine, theirs = make_team(), make_team(org=make_org())
    colleague = make_user(roles=["guardian"], team=theirs)
    viewer = make_user(roles=["guardian"], team=mine)
    services.give_kudos(viewer, colleague, "Thanks", utcnow())
    services.give_kudos(colleague, viewer, "Thanks back", utcnow())
    db.session.commit()
    client = signed_in(viewer)

    for path in ("/recognition/leaderboard", "/recognition/leaderboard/scores"):
        page = client.get(f"{path}?org={theirs.org_id}").text
        assert "This board shows another org than yours." in page
        assert "no points in this period" not in page
        assert "more and you rank here" not in page


def test_direction_changing_text_is_refused_and_changes_nothing(
    db, signed_in, make_user, make_team
):
    thanked = make_user(roles=["guardian"], team=make_team())
    client = signed_in(make_user())
    before = row_counts()

    response = client.post(
        f"/recognition/people/{thanked.id}/kudos",
        data={"note": "See \u202egnp.exe"},
        follow_redirects=True,
    )

    assert "change the text" in response.text
    assert row_counts() == before


def test_a_withdrawn_award_is_told_to_its_holder(
    db, make_user, program_manager, award_kind
):
    holder = make_user(roles=["guardian"])
    award = services.grant_award(
        program_manager, holder.email, award_kind, "For the review", 100, utcnow()
    )
    services.revoke_award(program_manager, award, "Granted by mistake", utcnow())
    db.session.commit()

    titles = db.session.scalars(
        select(Notification.title).where(Notification.recipient_id == holder.id)
    ).all()
    assert any("withdrawn: Granted by mistake" in title for title in titles)
