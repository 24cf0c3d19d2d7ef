"""run_service, the one view helper: commit or roll back, and a message on the
field a service names, flashed when the form has no such field."""

from flask import get_flashed_messages
from sqlalchemy import func, select

from portal.accounts.forms import OrgForm
from portal.accounts.models import Org
from portal.errors import DomainError
from portal.extensions import db
from portal.web import run_service


def _orgs():
    return db.session.scalar(select(func.count()).select_from(Org))


def _fails_on(field):
    def service():
        db.session.add(Org(name="Half written", description=""))
        db.session.flush()
        raise DomainError(field, f"Wrong: {field}.")

    return service


def test_an_error_on_a_known_field_lands_on_it_and_rolls_back(app):
    with app.test_request_context(method="POST", data={"name": "Payments"}):
        form = OrgForm(meta={"csrf": False})
        assert form.validate()

        answer = run_service(_fails_on("name"), success="Saved", target="/", form=form)

        assert answer is None, "the view shows the form again"
        assert form.name.errors == ["Wrong: name."]
        assert _orgs() == 0


def test_an_error_on_an_unknown_field_is_flashed_not_a_server_error(app):
    with app.test_request_context(method="POST", data={"name": "Payments"}):
        form = OrgForm(meta={"csrf": False})

        answer = run_service(
            _fails_on("no_such_field"), success="Saved", target="/", form=form
        )

        assert answer is None
        assert get_flashed_messages(with_categories=True) == [
            ("danger", "Wrong: no_such_field.")
        ]
        assert _orgs() == 0


def test_success_commits_flashes_and_redirects(app):
    with app.test_request_context(method="POST"):
        answer = run_service(
            lambda: db.session.add(Org(name="Payments", description="")),
            success="Saved",
            target="/orgs",
        )

        assert (answer.status_code, answer.location) == (302, "/orgs")
        assert get_flashed_messages() == ["Saved"]
    db.session.rollback()
    assert _orgs() == 1, "committed"
