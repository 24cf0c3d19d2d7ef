"""Claims that make scheduled work exactly-once."""

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.jobs.models import SentReminder


def claim_reminder(key, user_id, now):
    """Record that the reminder ``key`` is being sent; False if it already was.

    The unique key in the database decides, so two runners racing for the same
    reminder send it once.
    """
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(key=key[:200], user_id=user_id, sent_at=now))
    except IntegrityError:
        return False
    return True
