"""Coverage targets: how many engineers per Guardian each org aims for."""

from portal.audit.services import record_audit
from portal.auth.permissions import can_run_program
from portal.errors import DomainError

TARGET_RANGE = (1, 1000)


def set_ratio_target(actor, org, target):
    """Set (or, with None, clear) the org's engineers-per-Guardian target.

    Program managers only; audited. Without its own target an org follows the
    company default (PORTAL_GUARDIAN_RATIO_TARGET).
    """
    if not can_run_program(actor):
        raise DomainError("target", "Only program managers set coverage targets.")
    low, high = TARGET_RANGE
    if target is not None and not low <= target <= high:
        raise DomainError("target", f"Choose from {low} to {high} engineers.")
    before = org.guardian_ratio_target
    org.guardian_ratio_target = target
    if before != target:
        record_audit(
            actor,
            "org.ratio_target",
            "org",
            org.id,
            target_name=org.name,
            target=[before, target],
        )
    return org
