"""Write and query the audit log."""

from flask import has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.database import contains
from portal.extensions import db


def record_audit(
    actor, action, target_type, target_id, *, target_name="", caused_by=None, **details
):
    """Append one audit event.

    ``actor`` is None for an automatic step (the portal, a scheduled job, the
    command line); ``caused_by`` then names the person whose action led to it.
    ``target_name`` is what the target is called now. Details holding
    ``[before, after]`` read as changes on the audit page.
    """
    event_row = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        caused_by_id=caused_by.id if actor is None and caused_by is not None else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_name=str(target_name)[:200],
        details=details,
    )
    db.session.add(event_row)
    return event_row


@event.listens_for(Session, "before_flush")
def _stamp_request_ip(session, flush_context, instances):
    """Record the client address on audit events written during a web request."""
    if not has_request_context():
        return
    for obj in session.new:
        if isinstance(obj, AuditEvent) and not obj.ip:
            obj.ip = (request.remote_addr or "")[:45]


def audit_query(
    action=None,
    actor_id=None,
    target_type=None,
    target_id=None,
    since=None,
    until=None,
    person=None,
):
    """A select() over audit events matching the given filters, newest first.

    ``person`` is part of a name or email: events they made or caused, and
    events about them.
    """
    query = select(AuditEvent).order_by(
        AuditEvent.created_at.desc(), AuditEvent.id.desc()
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if person:
        people = select(User.id).where(
            contains(User.display_name, person) | contains(User.email, person)
        )
        query = query.where(
            AuditEvent.actor_id.in_(people)
            | AuditEvent.caused_by_id.in_(people)
            | contains(AuditEvent.target_name, person)
        )
    if target_type:
        query = query.where(AuditEvent.target_type == target_type)
    if target_id:
        query = query.where(AuditEvent.target_id == str(target_id))
    if since:
        query = query.where(AuditEvent.created_at >= since)
    if until:
        query = query.where(AuditEvent.created_at < until)
    return query
