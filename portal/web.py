"""Small helpers shared by views."""

from flask import flash, redirect

from portal.errors import DomainError
from portal.extensions import db


def commit_or_flash_error(action, success, target):
    """Run one service call: commit and flash ``success``, or roll back and flash
    the rule it broke; then go to ``target`` (post/redirect/get)."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(target)
