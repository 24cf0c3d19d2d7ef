"""Who may do what: pure predicates, reused by views, templates and tests."""

from functools import wraps

from flask_login import current_user, login_required

from portal.accounts.models import Role
from portal.errors import NotAllowed


def _signed_in(user):
    return user is not None and user.is_authenticated and user.is_active


def has_any_role(user, *roles):
    return _signed_in(user) and bool(user.roles & set(roles))


def is_admin(user):
    return has_any_role(user, Role.ADMIN)


def can_manage_accounts(user):
    """Grant and revoke roles, deactivate and reactivate accounts."""
    return is_admin(user)


def can_manage_orgs(user):
    return is_admin(user)


def can_view_audit_log(user):
    return is_admin(user)


def can_run_program(user):
    """Program managers (and admins) run cohorts, training and certificates."""
    return has_any_role(user, Role.PROGRAM_MANAGER, Role.ADMIN)


def can_view_directory(user):
    """Org, team and people pages are for signed-in colleagues only."""
    return _signed_in(user)


def can_edit_profile(user, profile_owner):
    return _signed_in(user) and user.id == profile_owner.id


def role_required(*roles):
    """Allow the view only to signed-in people holding one of ``roles``."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not has_any_role(current_user, *roles):
                raise NotAllowed()
            return view(*args, **kwargs)

        return wrapped

    return decorator
