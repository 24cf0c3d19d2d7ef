"""Recognition text people write, without a browser: every payload of the
corpus as a kudos note and an award citation is stored as sanitized HTML and
shows harmless on every page it appears on (the wall, the person's record, the
awards page), as do award descriptions and revocation reasons. The battery
(test_xss_battery.py) fills the same forms in Chromium; this test covers each
payload on each of those pages, which a wall of 30 cannot show at once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.recognition import services
from portal.recognition.models import Award, Kudos
from portal.recognition.services import KUDOS_LIMIT
from tests.security.xss.corpus import load_payloads
from tests.security.xss.markup import Inspector, findings_in, read_page

# The wall shows the latest 30 items: a batch of kudos and awards fits.
BATCH = 12


@pytest.fixture
def people(make_user, make_team, program_manager):
    return {
        "thanked": make_user(name="Tia Thanked", roles=["guardian"], team=make_team()),
        "manager": program_manager,
    }


def _check(client, inspector, path):
    response = client.get(path)
    assert response.status_code == 200, path
    _, findings = read_page(path, response.text)
    inspector.inspect(path, response.text, findings)


def test_every_payload_is_stored_clean_and_shown_harmless(
    app, people, make_user, signed_in, admin
):
    thanked, manager = people["thanked"], people["manager"]
    kind = services.define_award_kind(manager, "Payload award", "x", 0, utcnow())
    viewers = {"colleague": signed_in(make_user()), "admin": signed_in(admin)}
    inspector = Inspector(app.config["SECRET_KEY"])
    payloads = [p.text for p in load_payloads()]
    assert len(payloads) >= 100
    for start in range(0, len(payloads), BATCH):
        batch = payloads[start : start + BATCH]
        for number, text in enumerate(batch, start=start):
            if len(text.strip()) <= KUDOS_LIMIT and text.strip():
                services.give_kudos(make_user(), thanked, text, utcnow())
            # A day apart: the same award goes to a person once a day.
            granted = utcnow() - timedelta(days=number)
            award = services.grant_award(manager, thanked.email, kind, text, 0, granted)
            services.define_award_kind(
                manager, f"Kind {award.id}", text[:1000], 0, utcnow()
            )
        db.session.commit()
        for client in viewers.values():
            for path in ("/recognition/", f"/recognition/people/{thanked.id}"):
                _check(client, inspector, path)
        _check(viewers["admin"], inspector, "/recognition/awards")
        for award in db.session.scalars(
            select(Award).where(Award.revoked_at.is_(None))
        ):
            services.revoke_award(manager, award, batch[0][:300], utcnow())
        db.session.commit()
        _check(viewers["admin"], inspector, "/recognition/awards")

    assert not inspector.findings, inspector.findings[:20]
    stored = [k.note_html for k in db.session.scalars(select(Kudos))]
    stored += [a.citation_html for a in db.session.scalars(select(Award))]
    assert len(stored) > len(payloads)
    dirty = [html for html in stored if findings_in(html, page=False)]
    assert not dirty, dirty[:5]
