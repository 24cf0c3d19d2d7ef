"""Loading the signed-in person from the session or remember cookie."""

from portal.accounts.models import User
from portal.extensions import db


def load_user(session_id):
    """The session identity is "<user id>.<session version>".

    Changing the password or deactivating the account bumps the version, so
    every session and remember cookie issued before stops matching.
    """
    user_id, _, version = (session_id or "").partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
