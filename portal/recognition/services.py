"""Recognition people give: awards from program managers, kudos from anyone,
and the choice to hide one's name from the boards."""

import unicodedata

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit.services import record_audit
from portal.errors import DomainError, required_name
from portal.extensions import db
from portal.notifications.services import notify
from portal.recognition.ledger import record_points
from portal.recognition.models import Award, AwardKind, Kudos, RecognitionPreference
from portal.recognition.permissions import can_give_kudos, can_grant_awards
from portal.recognition.points import source
from portal.rendering import render_user_markdown
from portal.text import INVISIBLE

CITATION_LIMIT = 2_000
KUDOS_LIMIT = 280
MAX_AWARD_POINTS = 1_000


# Embeddings, overrides and isolates reorder what a reader sees ("gnp.exe").
DIRECTION_CHANGING = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _shows_something(text):
    """Whether any character is seen on its own: not only spaces, control,
    format (zero-width), combining or other invisible characters."""
    return any(
        unicodedata.category(ch)[0] not in "CZM" and ch not in INVISIBLE for ch in text
    )


def _text(value, field, limit, what):
    text = (value or "").replace("\r\n", "\n").strip()
    if not _shows_something(text):
        raise DomainError(field, f"Write the {what}.")
    if len(text) > limit:
        raise DomainError(field, f"Keep the {what} under {limit} characters.")
    if DIRECTION_CHANGING & set(text):
        raise DomainError(
            field,
            f"The {what} cannot hold characters that change the text's direction.",
        )
    return text


def _award_points(value):
    if value is None or not 0 <= value <= MAX_AWARD_POINTS:
        raise DomainError(
            "points", f"Points are a whole number from 0 to {MAX_AWARD_POINTS}."
        )
    return value


def define_award_kind(actor, name, description, award_points, now):
    """A new kind of award (besides Guardian of the Quarter): program managers."""
    if not can_grant_awards(actor):
        raise DomainError("name", "Only program managers define awards.")
    name = required_name(name, "name")[:100]
    if db.session.scalar(
        select(AwardKind.id).where(func.lower(AwardKind.name) == name.lower())
    ):
        raise DomainError("name", "An award of that name exists already.")
    kind = AwardKind(
        name=name,
        description=(description or "").strip()[:1000],
        points=_award_points(award_points),
        created_by_id=actor.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(kind)
    except IntegrityError:
        raise DomainError("name", "An award of that name exists already.") from None
    record_audit(actor, "award.define", "award_kind", kind.id, target_name=kind.name)
    return kind


def _recipient(email):
    email = (email or "").strip().lower()
    person = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if person is None or not person.active:
        raise DomainError("email", "No active account uses this address.")
    return person


def grant_award(actor, email, kind, citation, award_points, now):
    """Grant an award with a written citation, optionally worth points:
    program managers. Audited; the recipient is told."""
    if not can_grant_awards(actor):
        raise DomainError("email", "Only program managers grant awards.")
    person = _recipient(email)
    if person.id == actor.id:
        raise DomainError("email", "Another program manager grants your awards.")
    citation = _text(citation, "citation", CITATION_LIMIT, "citation")
    award = Award(
        kind_id=kind.id,
        user_id=person.id,
        citation_markdown=citation,
        citation_html=render_user_markdown(citation),
        points=_award_points(award_points),
        granted_by_id=actor.id,
        granted_at=now,
        granted_on=now.date(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(award)
    except IntegrityError:
        raise DomainError(
            "email", f"{person.display_name} received this award today already."
        ) from None
    record_points(person, "award", award.id, award.points, kind.name, now)
    record_audit(
        actor,
        "award.grant",
        "user",
        person.id,
        target_name=person.display_name,
        award=kind.name,
        points=award.points,
    )
    notify(
        person,
        "recognition",
        f"You received an award: {kind.name}.",
        now=now,
        link=f"/recognition/people/{person.id}",
    )
    return award


def revoke_award(actor, award, reason, now):
    """Withdraw an award granted by mistake; its points are taken back:
    program managers. Audited."""
    if not can_grant_awards(actor):
        raise DomainError("reason", "Only program managers revoke awards.")
    reason = _text(reason, "reason", 300, "reason")
    revoked = db.session.execute(
        update(Award)
        .where(Award.id == award.id, Award.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id, revoke_reason=reason)
    ).rowcount
    if not revoked:
        raise DomainError("reason", "This award is already revoked.")
    db.session.refresh(award)
    record_points(award.user, "award", award.id, 0, f"Award revoked: {reason}", now)
    record_audit(
        actor,
        "award.revoke",
        "user",
        award.user_id,
        target_name=award.user.display_name,
        award=award.kind.name,
        reason=reason,
    )
    notify(
        award.user,
        "recognition",
        f"Your award “{award.kind.name}” was withdrawn: {reason}",
        now=now,
        link=f"/recognition/people/{award.user_id}",
    )
    return award


def kudos_per_month():
    return current_app.config["PORTAL_KUDOS_PER_MONTH"]


def give_kudos(actor, receiver, note, now):
    """Thank a Guardian with a short note (Markdown, sanitized): anyone, never
    themselves, a few times a calendar month (PORTAL_KUDOS_PER_MONTH)."""
    if not can_give_kudos(actor, receiver):
        raise DomainError(
            "note",
            "You cannot give yourself kudos."
            if actor.id == receiver.id
            else "Kudos go to active Guardians.",
        )
    note = _text(note, "note", KUDOS_LIMIT, "note")
    month = now.strftime("%Y-%m")
    given = db.session.scalar(
        select(func.count()).where(Kudos.giver_id == actor.id, Kudos.month == month)
    )
    limit = kudos_per_month()
    if given >= limit:
        raise DomainError(
            "note", f"You have given your {limit} kudos for this month: thank you!"
        )
    kudos = Kudos(
        giver_id=actor.id,
        receiver_id=receiver.id,
        note_markdown=note,
        note_html=render_user_markdown(note),
        month=month,
        slot=given + 1,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(kudos)
    except IntegrityError:
        raise DomainError(
            "note", "You gave kudos a moment ago: look again before sending more."
        ) from None
    worth = source("kudos_received").points
    reason = f"Kudos from {actor.display_name}"
    record_points(receiver, "kudos_received", kudos.id, worth, reason, now)
    notify(
        receiver,
        "recognition",
        f"{actor.display_name} gave you kudos.",
        now=now,
        link=f"/recognition/people/{receiver.id}",
    )
    return kudos


def name_hidden(user_id):
    return bool(
        db.session.scalar(
            select(RecognitionPreference.hide_name).where(
                RecognitionPreference.user_id == user_id
            )
        )
    )


def set_name_hidden(actor, hidden, now):
    """Hide (or show again) one's own name on the boards and the wall."""
    preference = db.session.get(RecognitionPreference, actor.id)
    if preference is None:
        preference = RecognitionPreference(user_id=actor.id)
        db.session.add(preference)
    preference.hide_name = bool(hidden)
    preference.updated_at = now
    return preference
