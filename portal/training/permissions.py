"""Who may do what in training: pure predicates for views, templates and services."""

from portal.auth.permissions import can_run_program


def can_view_training_statistics(user):
    """Item analysis and pass rates: program managers and admins."""
    return can_run_program(user)


def can_unblock_training(user, person=None):
    """Grant attempts, reset a module, see a person's training: program managers,
    for anyone but themselves (nobody decides their own case)."""
    return can_run_program(user) and (person is None or person.id != user.id)


def can_revoke_certificate(user, certificate=None):
    """Program managers and admins, for any certificate."""
    return can_run_program(user)
