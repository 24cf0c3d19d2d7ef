"""Guardian certificates: issued on the last required pass, expired, renewed, revoked.

A certificate lasts ``policy.certificate_months``. Renewal opens
``policy.renewal_days`` before it ends (or at once when it is revoked): from
then on each required module must be passed again on its current version,
and the last of those passes issues the next certificate. Issuing sends
``certified`` (enrollment/receivers.py makes the person an active Guardian).
"""

import calendar
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_audit
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.services import notify
from portal.training import queries
from portal.training.models import Certificate, ModuleProgress, ModuleVersion
from portal.training.permissions import can_revoke_certificate
from portal.training.signals import certificate_revoked, certified
from portal.training.standing import renewal_opened_at

REASON_MAX = 1000


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day if shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _counts(progress, module, opened_at):
    """Whether the person's pass of ``module`` counts towards a certificate now."""
    if progress is None or progress.passed_at is None:
        return False
    if opened_at is None:
        return True
    return (
        progress.passed_at > opened_at
        and progress.passed_version_id == module.current_version_id
    )


def certify_if_complete(user, now, policy):
    """Issue the next certificate once every required module's pass counts.

    Does nothing while the person holds a certificate that is not yet up for
    renewal. Called after each pass; safe to call twice at once (the
    per-person sequence number is unique).
    """
    latest = queries.latest_certificate(user.id)
    opened_at = renewal_opened_at(latest, policy, now)
    if latest is not None and opened_at is None:
        return None
    required = queries.required_modules()
    progress = {
        p.module_id: p
        for p in db.session.scalars(
            select(ModuleProgress).where(ModuleProgress.user_id == user.id)
        )
    }
    if not required or not all(
        _counts(progress.get(m.id), m, opened_at) for m in required
    ):
        return None
    certificate = Certificate(
        user_id=user.id,
        sequence=latest.sequence + 1 if latest else 1,
        verification_code=secrets.token_urlsafe(12),
        issued_at=now,
        expires_at=add_months(now, policy.certificate_months),
        modules=_frozen_modules(required, progress),
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return None
    certified.send(user, user=user, certificate=certificate, now=now)
    renewed = " renewed" if latest else ""
    notify(
        user,
        "training",
        f"You are a certified Guardian! Your{renewed} certificate is ready.",
        now=now,
        link=f"/certificates/{certificate.verification_code}",
    )
    return certificate


def _frozen_modules(required, progress):
    """What the certificate says was passed, frozen at issue."""
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(ModuleVersion).where(
                ModuleVersion.id.in_(
                    [progress[m.id].passed_version_id for m in required]
                )
            )
        )
    }
    frozen = []
    for module in required:
        row = progress[module.id]
        version = versions.get(row.passed_version_id, module.current_version)
        frozen.append(
            {
                "slug": module.slug,
                "title": version.title,
                "version": version.version,
                "passed_at": row.passed_at.isoformat(),
                "competency": version.competency,
            }
        )
    return frozen


def revoke_certificate(actor, certificate, reason, now):
    """Revoke a certificate with a reason. Program managers and admins only.

    The holder is notified; the public verification page says revoked from
    then on, and renewal opens for the holder. Sends ``certificate_revoked``:
    an active Guardian goes back to training (enrollment/receivers.py).
    """
    if not can_revoke_certificate(actor, certificate):
        raise DomainError("reason", "Only a program manager can revoke a certificate.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason", "Give the reason for revoking the certificate.")
    if len(reason) > REASON_MAX:
        raise DomainError("reason", f"Keep the reason under {REASON_MAX} characters.")
    revoked = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id, revocation_reason=reason)
    ).rowcount
    if not revoked:
        raise DomainError("reason", "This certificate is already revoked.")
    db.session.refresh(certificate)
    certificate_revoked.send(
        certificate.user,
        user=certificate.user,
        certificate=certificate,
        actor=actor,
        now=now,
    )
    record_audit(
        actor,
        "certificate.revoke",
        "certificate",
        certificate.id,
        target_name=certificate.user.display_name,
        code=certificate.verification_code,
        reason=reason,
    )
    notify(
        certificate.user,
        "training",
        f"Your Guardian certificate was revoked: {reason[:120]}",
        now=now,
        link="/training/progress",
    )
    return certificate
