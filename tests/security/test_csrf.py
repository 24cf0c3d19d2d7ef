"""With CSRF protection on, as in production: forms must carry their own token."""

import pytest
from sqlalchemy import select

from portal.database import utcnow
from portal.recognition.models import Award, AwardKind, Kudos
from portal.reviews.models import Part, Review, ReviewPerson, ReviewStage, Survey
from tests.helpers import PASSWORD, csrf_token_from
from tests.security.conftest import is_signed_in

EXPIRED_FORM = "did not come from the portal"


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    assert app.config["WTF_CSRF_ENABLED"]
    return app


def _credentials(user, **extra):
    return {"email": user.email, "password": PASSWORD, **extra}


def _signed_in_client(app, user):
    client = app.test_client()
    token = csrf_token_from(client.get("/auth/login").text)
    response = client.post("/auth/login", data=_credentials(user, csrf_token=token))
    assert response.status_code == 302
    return client


def test_login_without_a_token_is_refused(csrf_app, engineer):
    client = csrf_app.test_client()
    client.get("/auth/login")

    response = client.post("/auth/login", data=_credentials(engineer))

    assert response.status_code == 400
    assert EXPIRED_FORM in response.text
    assert not is_signed_in(client)


def test_login_with_a_token_from_another_session_is_refused(csrf_app, engineer):
    other = csrf_app.test_client()
    stolen = csrf_token_from(other.get("/auth/login").text)
    client = csrf_app.test_client()
    own = csrf_token_from(client.get("/auth/login").text)
    assert own != stolen

    response = client.post(
        "/auth/login", data=_credentials(engineer, csrf_token=stolen)
    )

    assert response.status_code == 400
    assert EXPIRED_FORM in response.text
    assert not is_signed_in(client)


def test_login_with_a_token_but_no_session_is_refused(csrf_app, engineer):
    stolen = csrf_token_from(csrf_app.test_client().get("/auth/login").text)

    response = csrf_app.test_client().post(
        "/auth/login", data=_credentials(engineer, csrf_token=stolen)
    )

    assert response.status_code == 400


def test_login_with_its_own_token_succeeds(csrf_app, engineer):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/login").text)

    response = client.post("/auth/login", data=_credentials(engineer, csrf_token=token))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_logout_is_not_a_get(csrf_app, engineer):
    client = _signed_in_client(csrf_app, engineer)

    response = client.get("/auth/logout")

    assert response.status_code == 405
    assert is_signed_in(client)


def test_logout_without_a_token_is_refused(csrf_app, engineer):
    client = _signed_in_client(csrf_app, engineer)

    response = client.post("/auth/logout")

    assert response.status_code == 400
    assert EXPIRED_FORM in response.text
    assert is_signed_in(client)


def test_logout_with_the_token_from_the_page_signs_out(csrf_app, engineer):
    client = _signed_in_client(csrf_app, engineer)
    token = csrf_token_from(client.get("/").text)  # the sign-out button in the nav

    response = client.post("/auth/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert not is_signed_in(client)


def test_state_changing_admin_post_needs_a_token(csrf_app, admin, victim, db):
    client = _signed_in_client(csrf_app, admin)

    response = client.post(f"/admin/users/{victim.id}/deactivate", data={})

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(type(victim), victim.id).active


def test_a_survey_needs_the_token_of_its_own_page(csrf_app, reviewer, make_team, db):
    now = utcnow()
    review = Review(
        title="Payout scheduler",
        team_id=make_team().id,
        opened_on=now.date(),
        closed_on=now.date(),
        stage=ReviewStage.APPROVED,
        stage_entered_at=now,
        people=[ReviewPerson(user_id=reviewer.id, part=Part.REVIEWER)],
    )
    db.session.add(review)
    db.session.commit()
    client = _signed_in_client(csrf_app, reviewer)
    answers = {"q1": "4", "q2": "4", "q3": "1", "q4": "4", "feedback": "Well done"}
    path = f"/reviews/{review.id}/survey"

    refused = client.post(path, data=answers)
    token = csrf_token_from(client.get(path).text)
    accepted = client.post(path, data={**answers, "csrf_token": token})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert db.session.query(Survey).filter_by(review_id=review.id).count() == 1


def test_kudos_need_the_token_of_the_record_page(csrf_app, engineer, victim, db):
    client = _signed_in_client(csrf_app, engineer)
    path = f"/recognition/people/{victim.id}"
    note = {"note": "Thanks for the threat model review"}

    refused = client.post(f"{path}/kudos", data=note)
    token = csrf_token_from(client.get(path).text)
    accepted = client.post(f"{path}/kudos", data={**note, "csrf_token": token})

    assert refused.status_code == 400
    assert EXPIRED_FORM in refused.text
    assert accepted.status_code == 302
    assert db.session.scalars(select(Kudos.note_markdown)).all() == [note["note"]]


def test_an_award_needs_the_token_of_the_awards_page(
    csrf_app, program_manager, victim, db
):
    kind = AwardKind(name="Guardian of the Quarter", points=100, created_at=utcnow())
    db.session.add(kind)
    db.session.commit()
    client = _signed_in_client(csrf_app, program_manager)
    grant = {"kind_id": kind.id, "email": victim.email, "citation": "Steady help"}

    refused = client.post("/recognition/awards", data=grant)
    token = csrf_token_from(client.get("/recognition/awards").text)
    accepted = client.post("/recognition/awards", data={**grant, "csrf_token": token})

    assert refused.status_code == 400
    assert EXPIRED_FORM in refused.text
    assert accepted.status_code == 302
    assert db.session.scalars(select(Award.user_id)).all() == [victim.id]
