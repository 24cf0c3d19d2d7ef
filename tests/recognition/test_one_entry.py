"""Each source of points makes exactly one ledger entry, whether its event is
processed once, twice in a row, or by two requests at once."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.recognition import points, services
from portal.recognition.ledger import record_points
from portal.recognition.models import (
    Award,
    BadgeAward,
    Kudos,
    PointsEntry,
    PointsTotal,
)
from portal.reviews import surveys
from portal.reviews.models import Review, ReviewStage, Survey
from portal.reviews.signals import review_rated
from portal.training.models import Certificate, Module
from portal.training.signals import certified, module_passed
from tests.concurrency import run_together
from tests.recognition.conftest import ANSWERS, NOW
from tests.reviews.conftest import first_guide_edition
from tests.training.conftest import (  # noqa: F401 (fixtures used here)
    content_root,
    make_module,
    take_quiz,
)


@dataclass
class Event:
    """One event of a source, ready to be processed in any app context."""

    person_id: int
    kind: str
    source_id: int
    points: int
    process: Callable[[], None]


def ledger_rows():
    """(person, kind, source, revision, points) of every entry, oldest first."""
    _db.session.expire_all()
    return [
        tuple(row)
        for row in _db.session.execute(
            select(
                PointsEntry.user_id,
                PointsEntry.source_kind,
                PointsEntry.source_id,
                PointsEntry.revision,
                PointsEntry.points,
            ).order_by(PointsEntry.id)
        )
    ]


def person_total(person_id, period="all"):
    total = _db.session.get(PointsTotal, ("person", period, person_id))
    return None if total is None else (total.points, total.entries)


def _person(event_id):
    return _db.session.get(User, event_id)


def module_event(f):
    person = f.make_user(roles=["guardian"], team=f.make_team())
    module = f.make_module("threat-modelling")
    person_id, module_id = person.id, module.id

    def process():
        user = _person(person_id)
        module = _db.session.get(Module, module_id)
        module_passed.send(user, user=user, module=module, now=NOW)

    return Event(person_id, "module_passed", module_id, 10, process)


def _certificate(person, sequence):
    certificate = Certificate(
        user_id=person.id,
        sequence=sequence,
        verification_code=secrets.token_urlsafe(12),
        issued_at=NOW - timedelta(days=400 * (2 - sequence)),
        expires_at=NOW + timedelta(days=365),
        modules=[],
    )
    _db.session.add(certificate)
    _db.session.commit()
    return certificate


def _certificate_event(f, sequence):
    person = f.make_user(roles=["guardian"], team=f.make_team())
    for earlier in range(1, sequence):
        _certificate(person, earlier)
    certificate_id, person_id = _certificate(person, sequence).id, person.id
    kind = "certified" if sequence == 1 else "recertified"

    def process():
        user = _person(person_id)
        certificate = _db.session.get(Certificate, certificate_id)
        certified.send(user, user=user, certificate=certificate, now=NOW)

    return Event(person_id, kind, certificate_id, points.source(kind).points, process)


def certified_event(f):
    return _certificate_event(f, 1)


def recertified_event(f):
    return _certificate_event(f, 2)


def review_event(f):
    """An approved review whose survey is in (a score of 81.25), the signal
    still to come."""
    guardian = f.make_user(roles=["guardian"], team=f.make_team())
    review = f.make_review(
        stage=ReviewStage.APPROVED, guardians=[guardian], reviewers=[f.reviewer]
    )
    survey = Survey(
        review_id=review.id,
        reviewer_id=f.reviewer.id,
        submitted_at=NOW,
        updated_at=NOW,
        guide_edition_id=first_guide_edition().id,
        **ANSWERS,
    )
    survey.score = 81.25
    _db.session.add(survey)
    surveys.refresh_review_score(review)
    _db.session.commit()
    review_id, guardian_id = review.id, guardian.id

    def process():
        review = _db.session.get(Review, review_id)
        review_rated.send(review, review=review, now=NOW)

    return Event(guardian_id, "review_rated", review_id, 51, process)


def kudos_event(f):
    giver = f.make_user(team=f.make_team())
    receiver = f.make_user(roles=["guardian"], team=f.make_team())
    kudos = Kudos(
        giver_id=giver.id,
        receiver_id=receiver.id,
        note_markdown="Thanks",
        note_html="<p>Thanks</p>",
        month=NOW.strftime("%Y-%m"),
        slot=1,
        created_at=NOW,
    )
    _db.session.add(kudos)
    _db.session.commit()
    kudos_id, receiver_id = kudos.id, receiver.id

    def process():
        # What services.give_kudos records for the kudos it saves.
        record_points(_person(receiver_id), "kudos_received", kudos_id, 5, "Kudos", NOW)

    return Event(receiver_id, "kudos_received", kudos_id, 5, process)


def award_event(f):
    person = f.make_user(roles=["guardian"], team=f.make_team())
    award = Award(
        kind_id=f.award_kind.id,
        user_id=person.id,
        citation_markdown="Thanks",
        citation_html="<p>Thanks</p>",
        points=100,
        granted_by_id=f.program_manager.id,
        granted_at=NOW,
        granted_on=NOW.date(),
    )
    _db.session.add(award)
    _db.session.commit()
    award_id, person_id = award.id, person.id

    def process():
        # What services.grant_award records for the award it saves.
        award = _db.session.get(Award, award_id)
        record_points(_person(person_id), "award", award_id, award.points, "An", NOW)

    return Event(person_id, "award", award_id, 100, process)


SOURCES = {
    "module_passed": module_event,
    "certified": certified_event,
    "recertified": recertified_event,
    "review_rated": review_event,
    "kudos_received": kudos_event,
    "award": award_event,
}


class Fixtures:
    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return self._request.getfixturevalue(name)


@pytest.fixture(params=list(SOURCES))
def event(request, db):
    return SOURCES[request.param](Fixtures(request))


def assert_one_entry(event):
    assert ledger_rows() == [
        (event.person_id, event.kind, str(event.source_id), 0, event.points)
    ]
    assert person_total(event.person_id) == (event.points, 1)


def test_an_event_processed_twice_makes_one_entry(db, event):
    event.process()
    event.process()  # in the same transaction
    db.session.commit()
    event.process()  # and in the next
    db.session.commit()

    assert_one_entry(event)


def test_an_event_processed_by_two_requests_at_once_makes_one_entry(
    app, app_factory, db, event
):
    second_process = app_factory()
    db.session.commit()  # the test's own transaction holds no lock

    def in_context(application):
        def call():
            with application.app_context():
                event.process()
                _db.session.commit()

        return call

    run_together(in_context(app), in_context(second_process))

    assert_one_entry(event)
    if event.kind in {"certified", "recertified"}:
        # Its badge too, once.
        badges = db.session.scalars(select(BadgeAward.badge)).all()
        assert badges == [event.kind]


def test_a_real_pass_credits_the_module_and_the_certificate_once(
    db,
    make_user,
    make_module,  # noqa: F811 (the training fixture)
):
    person = make_user(roles=["guardian"])
    module = make_module("basics")
    take_quiz(person, module, NOW)
    # The only required module: its pass certified the person too.
    certificate = db.session.scalar(select(Certificate))
    # The same events, delivered again.
    module_passed.send(person, user=person, module=module, now=NOW)
    certified.send(person, user=person, certificate=certificate, now=NOW)
    db.session.commit()

    assert ledger_rows() == [
        (person.id, "module_passed", str(module.id), 0, 10),
        (person.id, "certified", str(certificate.id), 0, 100),
    ]
    assert person_total(person.id) == (110, 2)


def test_two_kudos_posted_at_once_make_one_entry_per_kudos(
    app, app_factory, db, make_user, make_team
):
    giver = make_user(team=make_team())
    receiver = make_user(roles=["guardian"], team=make_team())
    giver_id, receiver_id = giver.id, receiver.id
    db.session.commit()

    def give(application):
        def call():
            with application.app_context():
                try:
                    services.give_kudos(
                        _person(giver_id), _person(receiver_id), "Thank you!", NOW
                    )
                    _db.session.commit()
                except DomainError as error:
                    _db.session.rollback()
                    return error.message
                return "given"

        return call

    outcomes = run_together(give(app), give(app_factory()))

    kudos_ids = sorted(str(k) for k in db.session.scalars(select(Kudos.id)))
    assert outcomes.count("given") == len(kudos_ids) >= 1
    assert sorted(row[2] for row in ledger_rows()) == kudos_ids
    assert {row[1:] for row in ledger_rows()} <= {
        ("kudos_received", k, 0, 5) for k in kudos_ids
    }
    assert person_total(receiver_id) == (5 * len(kudos_ids), len(kudos_ids))
