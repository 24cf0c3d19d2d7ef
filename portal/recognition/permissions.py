"""Who may do what with recognition: pure predicates."""

from portal.accounts.models import Role
from portal.auth.permissions import can_run_program, is_signed_in


def can_see_boards(user):
    """The boards, the wall and "How points work": everyone signed in."""
    return is_signed_in(user)


def can_grant_awards(user):
    """Grant and revoke awards, and define new kinds: program managers."""
    return can_run_program(user)


def ranks_on_boards(user):
    """Admins, program managers and deactivated accounts keep their points
    but are not ranked (see queries.on_boards, the same rule in SQL)."""
    return user.active and not ({Role.ADMIN, Role.PROGRAM_MANAGER} & set(user.roles))


def can_receive_kudos(user):
    """Kudos go to active Guardians (an anonymous visitor is none)."""
    return user.is_authenticated and user.active and Role.GUARDIAN in user.roles


def can_give_kudos(user, receiver):
    """Anyone signed in thanks an active Guardian, never themselves."""
    return is_signed_in(user) and user.id != receiver.id and can_receive_kudos(receiver)


def can_see_record(user, person, hidden):
    """A person's recognition page: everyone signed in, unless the person hides
    their name from the boards or their account is deactivated; they and
    program managers always see it (others get a 404)."""
    if not is_signed_in(user):
        return False
    if user.id == person.id or can_run_program(user):
        return True
    return person.active and not hidden


def can_see_points_history(user, person):
    """Every ledger entry of a person: they and program managers."""
    return is_signed_in(user) and (user.id == person.id or can_run_program(user))
