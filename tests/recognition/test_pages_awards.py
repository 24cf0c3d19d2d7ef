"""The program managers' awards page: a grant with a bad address, no
citation, points out of range or an unknown award is refused with a clear
message and changes nothing; a grant is audited and told to the recipient;
revoking takes the points back; a new kind of award needs a name of its own."""

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.notifications.models import Notification
from portal.recognition.models import Award, AwardKind, PointsEntry, PointsTotal
from tests.helpers import fresh, row_counts


@pytest.fixture
def manager(signed_in, program_manager):
    return signed_in(program_manager)


@pytest.fixture
def recipient(make_user, make_team):
    return make_user(
        email="rita@example.com", name="Rita Recipient", roles=["guardian"],
        team=make_team(),
    )  # fmt: skip


def _grant(client, kind, email, citation="For *steady* help", points=""):
    return client.post(
        "/recognition/awards",
        data={"kind_id": kind, "email": email, "citation": citation, "points": points},
    )


def _total(user_id):
    return fresh(PointsTotal, ("person", "all", user_id))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "nobody@example.com"}, "No active account uses this address."),
        ({"email": ""}, "Whose award is it?"),
        ({"citation": ""}, "Write the citation."),
        ({"citation": " \n\u200b "}, "Write the citation."),
        ({"citation": "x" * 2001}, "Field cannot be longer than 2000 characters."),
        ({"points": "1001"}, "Number must be between 0 and 1000."),
        ({"points": "-5"}, "Number must be between 0 and 1000."),
        ({"points": "lots"}, "Not a valid integer value."),
        ({"kind_id": 999_999}, "Not a valid choice."),
        ({"kind_id": "gold"}, "Invalid Choice: could not coerce."),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value),
)
def test_a_bad_grant_is_refused_clearly_and_changes_nothing(
    manager, recipient, award_kind, change, message
):
    data = {"kind": award_kind.id, "email": recipient.email, **change}
    data["kind"] = change.get("kind_id", data["kind"])
    data.pop("kind_id", None)
    before = row_counts()

    response = _grant(manager, **data)

    assert response.status_code == 200  # the form again, with the message
    assert message in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_closed_account_receives_no_award(manager, make_user, award_kind):
    closed = make_user(email="gone@example.com", roles=["guardian"], active=False)
    before = row_counts()

    response = _grant(manager, award_kind.id, closed.email)

    assert "No active account uses this address." in response.text
    assert row_counts() == before


def test_a_grant_is_audited_told_and_worth_its_points(
    manager, program_manager, recipient, award_kind, db, signed_in
):
    response = _grant(manager, award_kind.id, "  RITA@example.com ")

    assert response.status_code == 302
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "Guardian of the Quarter granted to Rita Recipient." in page
    award = db.session.scalars(select(Award)).one()
    assert (award.user_id, award.points) == (recipient.id, 100)  # the usual
    assert award.citation_html == "<p>For <em>steady</em> help</p>"
    audit = db.session.scalars(select(AuditEvent)).one()
    assert (audit.action, audit.actor_id, audit.target_id) == (
        "award.grant",
        program_manager.id,
        str(recipient.id),
    )
    told = db.session.scalars(
        select(Notification).where(Notification.recipient_id == recipient.id)
    ).one()
    assert told.title == "You received an award: Guardian of the Quarter."
    assert told.link == f"/recognition/people/{recipient.id}"
    assert _total(recipient.id).points == 100
    record = signed_in(recipient).get(f"/recognition/people/{recipient.id}").text
    assert "<p>For <em>steady</em> help</p>" in record


def test_points_set_on_the_grant_replace_the_usual(manager, recipient, award_kind):
    assert (
        _grant(manager, award_kind.id, recipient.email, points="7").status_code == 302
    )
    assert _total(recipient.id).points == 7


def test_the_same_award_twice_in_a_day_is_refused(manager, recipient, award_kind, db):
    assert _grant(manager, award_kind.id, recipient.email).status_code == 302
    again = _grant(manager, award_kind.id, recipient.email)

    assert again.status_code == 200
    assert "received this award today already" in again.text
    assert db.session.scalar(select(func.count()).select_from(Award)) == 1
    assert _total(recipient.id).points == 100


def test_revoking_takes_the_points_back(manager, recipient, award_kind, db, signed_in):
    _grant(manager, award_kind.id, recipient.email, points="40")
    award = db.session.scalars(select(Award)).one()
    path = f"/recognition/awards/{award.id}/revoke"

    response = manager.post(path, data={"reason": "Granted to the wrong Rita"})

    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "The award is revoked and its points taken back." in page
    assert "revoked" in page and "Granted to the wrong Rita" in page
    assert fresh(Award, award.id).revoked_at is not None
    assert _total(recipient.id).points == 0
    entries = db.session.scalars(
        select(PointsEntry.points).order_by(PointsEntry.id)
    ).all()
    assert entries == [40, -40]  # nothing rewritten: a new entry takes it back
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
    assert actions.all() == ["award.grant", "award.revoke"]
    seen = signed_in(recipient)
    assert "wrong Rita" not in seen.get(f"/recognition/people/{recipient.id}").text
    assert "For <em>steady</em>" not in seen.get("/recognition/").text

    before = row_counts()
    again = manager.post(path, data={"reason": "twice"})
    assert "This award is already revoked." in manager.get(again.location).text
    no_reason = manager.post(path, data={"reason": "  "})
    assert "Write the reason." in manager.get(no_reason.location).text
    assert row_counts() == before


def test_a_new_kind_of_award_can_be_granted_and_needs_its_own_name(
    manager, program_manager, recipient, db
):
    data = {"name": "Mentor of the Month", "description": "Helps others", "points": 20}

    made = manager.post("/recognition/awards/kinds", data=data)

    assert (
        "“Mentor of the Month” can now be granted." in manager.get(made.location).text
    )
    kind = db.session.scalars(select(AwardKind)).one()
    assert (kind.points, kind.created_by_id) == (20, program_manager.id)
    audit = db.session.scalars(select(AuditEvent)).one()
    assert (audit.action, audit.target_name) == ("award.define", "Mentor of the Month")
    assert _grant(manager, kind.id, recipient.email).status_code == 302
    assert _total(recipient.id).points == 20

    before = row_counts()
    again = manager.post("/recognition/awards/kinds", data=data)
    assert "An award of that name exists already." in manager.get(again.location).text
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "points": 5}, "Name of the award: Enter a name."),
        ({"name": "Big", "points": 1001}, "Usual points: Number must be between"),
        ({"name": "Big\u202eHidden", "points": 5}, "invisible or direction-changing"),
    ],
    ids=["no name", "too many points", "hidden characters"],
)
def test_a_bad_kind_of_award_is_refused(manager, data, message):
    before = row_counts()

    response = manager.post("/recognition/awards/kinds", data=data)

    assert message in manager.get(response.location).text
    assert row_counts() == before
