"""Where a person stands in a module: the one place the training rules live.

Prerequisites, rounds, attempt limits, cool-downs and re-certification are
decided here, by a pure function over rows the caller has loaded; the module
page, the quiz service and the curriculum list all call it, so they cannot
disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.training.models import AttemptStatus

STATUS_LABELS = {
    "locked": "Locked",
    "not_started": "Not started",
    "in_progress": "In progress",
    "passed": "Passed",
    "failed": "Failed",
    "exhausted": "No attempts left",
    "renewal_due": "Renewal due",
}


@dataclass(frozen=True)
class TrainingPolicy:
    """Program-wide settings the rules depend on (from configuration)."""

    cooldown_override: float | None = None
    certificate_months: int = 12
    renewal_days: int = 30

    @classmethod
    def from_config(cls, config):
        return cls(
            cooldown_override=config["PORTAL_TRAINING_COOLDOWN_MINUTES"],
            certificate_months=config["PORTAL_CERTIFICATE_VALID_MONTHS"],
            renewal_days=config["PORTAL_CERTIFICATE_RENEWAL_DAYS"],
        )

    def cooldown_for(self, version):
        if self.cooldown_override is None:
            return version.cooldown_minutes
        return self.cooldown_override


@dataclass
class Standing:
    """A person's standing in one module's current version."""

    module: object
    version: object
    status: str
    round: int
    attempts: list  # this round's attempts on the current version, by number
    passed: bool  # ever: what unlocks the modules that build on this one
    renewal_due: bool
    unmet_prerequisites: list
    attempts_allowed: int
    next_attempt_at: datetime | None
    cooldown_minutes: float
    best_score: float | None = None
    passed_at: datetime | None = None
    due_on: object = None

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def attempts_left(self):
        return max(0, self.attempts_allowed - len(self.attempts))

    @property
    def attempts_used(self):
        return len(self.attempts)

    @property
    def in_progress(self):
        return next(
            (a for a in self.attempts if a.status == AttemptStatus.IN_PROGRESS), None
        )

    def overdue(self, today):
        """Due before ``today`` and not passed."""
        return bool(self.due_on and self.status != "passed" and self.due_on < today)

    @property
    def locked_out(self):
        """Every attempt used without a pass: answers stay hidden everywhere."""
        return self.status == "exhausted"

    @property
    def can_start(self):
        return self.status in {"not_started", "renewal_due"} or (
            self.status == "failed" and self.next_attempt_at is None
        )


def minute_label(moment: datetime) -> str:
    """``moment`` to the minute, rounded up: a quiz never opens after its label."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return f"{moment:%Y-%m-%d %H:%M}"


def renewal_opened_at(certificate, policy, now):
    """When re-certification opened for the holder of ``certificate``, if it has.

    None before the first certificate and while the latest one is far from
    its expiry; a revoked certificate opens renewal at its revocation.
    """
    if certificate is None:
        return None
    if certificate.revoked_at is not None:
        return certificate.revoked_at
    opens = certificate.expires_at - timedelta(days=policy.renewal_days)
    return opens if opens <= now else None


def _renewed(progress, version, opened_at):
    return progress.passed_at > opened_at and progress.passed_version_id == version.id


def module_standing(
    module, progress, attempts, passed_slugs, renewal_opened, now, policy
):
    """The standing in ``module`` from the person's rows.

    ``progress``: their ModuleProgress row or None; ``attempts``: their
    attempts on the module's current version (any round); ``passed_slugs``:
    every module they have passed; ``renewal_opened``: see renewal_opened_at.
    """
    version = module.current_version
    passed = progress is not None and progress.passed_at is not None
    renewal_due = bool(
        module.required
        and passed
        and renewal_opened is not None
        and not _renewed(progress, version, renewal_opened)
    )
    current_round = progress.round if progress is not None else 1
    own = sorted(
        (a for a in attempts if a.round == current_round), key=lambda a: a.number
    )
    extra = progress.extra_attempts if progress is not None else 0
    if renewal_due and any(a.passed for a in own):
        # A renewal starts a new round, with the module's own attempts.
        current_round, own, extra = current_round + 1, [], 0
    cooldown = policy.cooldown_for(version)
    standing = Standing(
        module=module,
        version=version,
        status="not_started",
        round=current_round,
        attempts=own,
        passed=passed,
        renewal_due=renewal_due,
        unmet_prerequisites=[p for p in version.prerequisites if p not in passed_slugs],
        attempts_allowed=version.attempts_allowed + extra,
        next_attempt_at=None,
        cooldown_minutes=cooldown,
        best_score=progress.best_score if progress is not None else None,
        passed_at=progress.passed_at if progress is not None else None,
    )
    standing.status = _status(standing, now)
    return standing


def _status(standing, now):
    if standing.passed and not standing.renewal_due:
        return "passed"
    if standing.unmet_prerequisites and not standing.passed:
        return "locked"
    if standing.in_progress is not None:
        return "in_progress"
    if not standing.attempts:
        return "renewal_due" if standing.renewal_due else "not_started"
    if standing.attempts_left <= 0:
        return "exhausted"
    last = standing.attempts[-1]
    opens = last.submitted_at + timedelta(minutes=standing.cooldown_minutes)
    standing.next_attempt_at = opens if opens > now else None
    return "failed"
