"""Who may do what: the shared predicates, and the decorator views use them with.

Every predicate is a pure function of the person (and the object) so that
views, templates and services ask the same question. Features keep their own
predicates in their permissions.py; templates see all of them as ``can``.
"""

from functools import wraps

from flask_login import current_user, login_required

from portal.accounts.models import Role
from portal.errors import NotAllowed


def is_signed_in(user):
    return user is not None and user.is_authenticated and user.is_active


def _holds(user, *roles):
    return is_signed_in(user) and bool(user.roles & set(roles))


def can_manage_accounts(user):
    """Grant and revoke roles, deactivate and reactivate accounts: admins."""
    return _holds(user, Role.ADMIN)


def can_manage_orgs(user):
    """Create and edit orgs and teams: admins."""
    return _holds(user, Role.ADMIN)


def can_view_audit_log(user):
    return _holds(user, Role.ADMIN)


def can_view_jobs(user):
    """The scheduled job runs and the outbox queue: admins."""
    return _holds(user, Role.ADMIN)


def can_run_program(user):
    """Program managers (and admins) run cohorts, training and certificates."""
    return _holds(user, Role.PROGRAM_MANAGER, Role.ADMIN)


def can_view_directory(user):
    """Org, team and people pages are for signed-in colleagues only."""
    return is_signed_in(user)


def permission_required(predicate):
    """Allow the view only to signed-in people for whom ``predicate`` holds."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not predicate(current_user):
                raise NotAllowed()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_manage_session(user, signed_in_session):
    """See and end a signed-in session: only the person it belongs to."""
    return is_signed_in(user) and signed_in_session.user_id == user.id
