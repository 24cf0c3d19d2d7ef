"""Read-side queries for training pages: the curriculum, progress and certificates."""

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.training.models import (
    AttemptStatus,
    Certificate,
    Module,
    ModuleDueDate,
    ModuleProgress,
    ModuleVersion,
    QuizAttempt,
)
from portal.training.standing import module_standing, renewal_opened_at


def curriculum():
    """Active modules with their current versions, in curriculum order (one query)."""
    return db.session.scalars(
        select(Module)
        .where(Module.retired.is_(False), Module.current_version_id.isnot(None))
        .options(joinedload(Module.current_version))
        .order_by(Module.position, Module.slug)
    ).all()


def module_titles():
    """Slug -> current title of every module, to name prerequisites."""
    return dict(
        db.session.execute(
            select(Module.slug, ModuleVersion.title).join(
                ModuleVersion, ModuleVersion.id == Module.current_version_id
            )
        ).all()
    )


def required_modules():
    return db.session.scalars(
        select(Module)
        .where(
            Module.required.is_(True),
            Module.retired.is_(False),
            Module.current_version_id.isnot(None),
        )
        .options(joinedload(Module.current_version))
        .order_by(Module.position, Module.slug)
    ).all()


def passed_slugs(user_id):
    """Every module the person has passed, whatever list a page shows."""
    return set(
        db.session.scalars(
            select(Module.slug)
            .join(ModuleProgress, ModuleProgress.module_id == Module.id)
            .where(
                ModuleProgress.user_id == user_id, ModuleProgress.passed_at.isnot(None)
            )
        )
    )


def latest_certificate(user_id):
    """The person's most recent certificate, whatever its state, or None."""
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user_id)
        .order_by(Certificate.sequence.desc())
        .limit(1)
    )


def renewal_opened(user_id, policy, now):
    return renewal_opened_at(latest_certificate(user_id), policy, now)


def certified_among(user_ids, now):
    """Which of ``user_ids`` hold a valid certificate now (one query)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(Certificate.user_id).where(
                Certificate.user_id.in_(user_ids),
                Certificate.revoked_at.is_(None),
                Certificate.expires_at > now,
            )
        )
    )


def valid_certificate(user_id, now):
    """The person's certificate if it is neither expired nor revoked."""
    certificate = latest_certificate(user_id)
    if certificate is None or certificate.status(now) != "valid":
        return None
    return certificate


def lapsed_certificate_holders(now):
    """People holding certificates of which none is valid at ``now`` (a subquery)."""
    valid_holders = select(Certificate.user_id).where(
        Certificate.revoked_at.is_(None), Certificate.expires_at > now
    )
    return (
        select(Certificate.user_id)
        .where(Certificate.user_id.not_in(valid_holders))
        .distinct()
    )


def module_rows(user_id, now, policy, modules=None):
    """The person's standing in each module, in four queries whatever the size.

    ``modules`` limits the rows (a filtered list); prerequisites are always
    judged on every module the person passed.
    """
    modules = modules if modules is not None else curriculum()
    progress = {
        p.module_id: p
        for p in db.session.scalars(
            select(ModuleProgress)
            .where(ModuleProgress.user_id == user_id)
            .options(joinedload(ModuleProgress.module))
        )
    }
    attempts = {}
    for attempt in db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_version_id.in_([m.current_version_id for m in modules]),
        )
    ):
        attempts.setdefault(attempt.module_version_id, []).append(attempt)
    due = dict(
        db.session.execute(
            select(ModuleDueDate.module_id, ModuleDueDate.due_on).where(
                ModuleDueDate.user_id == user_id
            )
        ).all()
    )
    passed = {p.module.slug for p in progress.values() if p.passed_at is not None}
    opened = renewal_opened_at(latest_certificate(user_id), policy, now)
    rows = []
    for module in modules:
        row = module_standing(
            module,
            progress.get(module.id),
            attempts.get(module.current_version_id, []),
            passed,
            opened,
            now,
            policy,
        )
        row.due_on = due.get(module.id)
        rows.append(row)
    return rows


def certificate_by_code(code):
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.verification_code == code)
        .options(joinedload(Certificate.user))
    )


def module_statistics(module_id=None):
    """Per module (or just ``module_id``): attempts, pass rate and average, in SQL."""
    query = (
        select(
            ModuleVersion.module_id,
            func.count(QuizAttempt.id),
            func.sum(cast(QuizAttempt.passed, Integer)),
            func.avg(QuizAttempt.score),
            func.count(func.distinct(QuizAttempt.user_id)),
        )
        .join(QuizAttempt, QuizAttempt.module_version_id == ModuleVersion.id)
        .where(QuizAttempt.status == AttemptStatus.SUBMITTED)
        .group_by(ModuleVersion.module_id)
    )
    if module_id is not None:
        query = query.where(ModuleVersion.module_id == module_id)
    rows = db.session.execute(query).all()
    return {
        module_id: {
            "attempts": attempts,
            "passed": passed or 0,
            "people": people,
            "pass_rate": 100.0 * (passed or 0) / attempts if attempts else None,
            "average_score": float(average) if average is not None else None,
        }
        for module_id, attempts, passed, average, people in rows
    }


def standings_for(user_ids, modules, now, policy):
    """``{user id: {module id: Standing}}`` for many people, in five queries.

    Each cell follows the same rules as the person's own pages
    (standing.module_standing); ``due_on`` is set from their due dates.
    """
    user_ids = list(user_ids)
    progress, passed = {}, {}
    for row, slug in db.session.execute(
        select(ModuleProgress, Module.slug)
        .join(Module, Module.id == ModuleProgress.module_id)
        .where(ModuleProgress.user_id.in_(user_ids))
    ):
        progress[(row.user_id, row.module_id)] = row
        if row.passed_at is not None:
            passed.setdefault(row.user_id, set()).add(slug)
    attempts = {}
    for attempt in db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id.in_(user_ids),
            QuizAttempt.module_version_id.in_([m.current_version_id for m in modules]),
        )
    ):
        key = (attempt.user_id, attempt.module_version_id)
        attempts.setdefault(key, []).append(attempt)
    due = {
        (user_id, module_id): due_on
        for user_id, module_id, due_on in db.session.execute(
            select(
                ModuleDueDate.user_id, ModuleDueDate.module_id, ModuleDueDate.due_on
            ).where(ModuleDueDate.user_id.in_(user_ids))
        )
    }
    certificates = _latest_certificates(user_ids)
    matrix = {}
    for user_id in user_ids:
        opened = renewal_opened_at(certificates.get(user_id), policy, now)
        row = matrix[user_id] = {}
        for module in modules:
            cell = module_standing(
                module,
                progress.get((user_id, module.id)),
                attempts.get((user_id, module.current_version_id), []),
                passed.get(user_id, set()),
                opened,
                now,
                policy,
            )
            cell.due_on = due.get((user_id, module.id))
            row[module.id] = cell
    return matrix


def _latest_certificates(user_ids):
    latest = (
        select(Certificate.user_id, func.max(Certificate.sequence).label("sequence"))
        .where(Certificate.user_id.in_(user_ids))
        .group_by(Certificate.user_id)
        .subquery()
    )
    return {
        certificate.user_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).join(
                latest,
                (latest.c.user_id == Certificate.user_id)
                & (latest.c.sequence == Certificate.sequence),
            )
        )
    }
