"""Editing one's own profile, the person page and closing one's own account."""

from html import unescape

import pytest
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import Seniority
from portal.audit.models import AuditEvent
from portal.errors import DomainError
from tests.helpers import login_as

BIO = """Hello, I work on **payments** and _threat models_.

- item one
- item two

[my page](https://example.com/me) and [bad](javascript:alert(1))

<script>alert("xss")</script>
<img src=x onerror="alert(2)">
"""


def edit_profile(client, **fields):
    data = {
        "display_name": "Eli Engineer",
        "team_id": "0",
        "location": "",
        "seniority": "",
        "bio": "",
    }
    data.update(fields)
    return client.post("/profile", data=data)


def test_profile_page_shows_the_current_values(client, make_user, make_team):
    team = make_team(name="Ledger")
    user = make_user(
        name="Pat Profile",
        team=team,
        location="Dublin",
        seniority=Seniority.STAFF,
        bio_markdown="Some **bio**",
    )
    login_as(client, user)

    page = client.get("/profile")

    assert page.status_code == 200
    assert 'value="Pat Profile"' in page.text
    assert 'value="Dublin"' in page.text
    assert f'<option selected value="{team.id}">Ledger</option>' in page.text
    assert '<option selected value="staff">Staff</option>' in page.text
    assert "Some **bio**</textarea>" in page.text


def test_profile_edit_saves_every_field(client, db, engineer, make_team):
    new_team = make_team(name="Fraud")
    login_as(client, engineer)

    response = edit_profile(
        client,
        display_name="  Eli E. Engineer ",
        team_id=str(new_team.id),
        location=" Lisbon ",
        seniority="senior",
        bio="I like **threat models**.",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    db.session.refresh(engineer)
    assert engineer.display_name == "Eli E. Engineer"
    assert engineer.team_id == new_team.id
    assert engineer.location == "Lisbon"
    assert engineer.seniority is Seniority.SENIOR
    assert engineer.bio_markdown == "I like **threat models**."
    assert engineer.bio_html == "<p>I like <strong>threat models</strong>.</p>"


def test_profile_can_leave_team_and_seniority_empty(client, db, engineer):
    login_as(client, engineer)

    assert edit_profile(client, team_id="0", seniority="").status_code == 302

    db.session.refresh(engineer)
    assert engineer.team_id is None
    assert engineer.seniority is None


def test_bio_markdown_is_rendered_and_sanitized(client, db, engineer):
    login_as(client, engineer)

    edit_profile(client, bio=BIO)

    db.session.refresh(engineer)
    html = engineer.bio_html
    assert "<strong>payments</strong>" in html
    assert "<em>threat models</em>" in html
    assert "<li>item one</li>" in html
    assert (
        '<a href="https://example.com/me" rel="nofollow noopener noreferrer">' in html
    )
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "<img" not in html
    page = client.get(f"/people/{engineer.id}")
    assert "<strong>payments</strong>" in page.text
    assert "<script>alert" not in page.text
    assert "onerror=" not in page.text


def test_unknown_team_is_refused(client, db, engineer):
    login_as(client, engineer)
    team_before = engineer.team_id

    response = edit_profile(client, team_id="424242", location="Nowhere")

    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    db.session.refresh(engineer)
    assert engineer.team_id == team_before
    assert engineer.location == ""


def test_update_profile_service_refuses_unknown_team(db, engineer):
    with pytest.raises(DomainError) as raised:
        services.update_profile(
            engineer,
            display_name="X",
            team_id=424242,
            location="",
            seniority="",
            bio="",
        )
    assert raised.value.field == "team_id"


def test_unknown_seniority_is_refused(client, db, engineer):
    login_as(client, engineer)

    response = edit_profile(client, seniority="wizard")

    assert response.status_code == 200
    db.session.refresh(engineer)
    assert engineer.seniority is None


def test_profile_needs_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_person_page_shows_profile_and_roles(client, make_user, make_team, make_org):
    team = make_team(name="Checkout", org=make_org(name="Payments"))
    person = make_user(
        name="Mina Mentor",
        team=team,
        roles=["mentor", "guardian"],
        location="Porto",
        seniority=Seniority.PRINCIPAL,
        bio_html="<p>Ask me about <em>OAuth</em></p>",
    )
    viewer = make_user(name="Vic Viewer")
    login_as(client, viewer)

    page = client.get(f"/people/{person.id}")

    assert page.status_code == 200
    text = page.text
    assert "Mina Mentor" in text
    assert f'<a href="/teams/{team.id}">Checkout</a>' in text
    assert f'<a href="/orgs/{team.org_id}">Payments</a>' in text
    assert "Porto" in text and "Principal" in text
    assert '<span class="badge rounded-pill role-guardian">Guardian</span>' in text
    assert "role-mentor" not in text, "a role the portal does not use yet"
    assert "<p>Ask me about <em>OAuth</em></p>" in text
    assert "Edit your profile" not in text, "only on one's own page"
    assert "Manage account" not in text, "only for admins"


def test_person_page_of_unknown_id_is_404(client, engineer):
    login_as(client, engineer)
    assert client.get("/people/999999").status_code == 404


def test_person_page_needs_sign_in(client, engineer):
    assert client.get(f"/people/{engineer.id}").status_code == 302


def test_closing_own_account_signs_out_and_deactivates(client, db, engineer):
    login_as(client, engineer)

    response = client.post("/profile/close", data={"reason": "moving on"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "Your account is closed" in unescape(client.get("/auth/login").text)
    assert client.get("/profile").status_code == 302, "signed out"
    db.session.refresh(engineer)
    assert engineer.active is False
    assert engineer.deactivated_at is not None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.deactivate")
    )
    assert event.actor_id == engineer.id
    assert event.target_id == str(engineer.id)
    assert event.details == {"reason": "moving on"}
    relogin = client.post(
        "/auth/login",
        data={"email": engineer.email, "password": "correct horse battery staple"},
    )
    assert relogin.status_code == 200, "a closed account cannot sign in"


def test_closing_account_is_post_only(client, db, engineer):
    login_as(client, engineer)
    assert client.get("/profile/close").status_code == 405
    db.session.refresh(engineer)
    assert engineer.active


def test_last_admin_cannot_close_own_account(client, db, admin):
    login_as(client, admin)

    response = client.post("/profile/close", data={"reason": ""})

    assert response.headers["Location"] == "/profile"
    assert "at least one active admin" in client.get("/profile").text
    db.session.refresh(admin)
    assert admin.active
