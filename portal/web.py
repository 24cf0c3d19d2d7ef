"""The helpers every view uses: call a service and finish the request, read
the page of a list, write a spreadsheet cell."""

import re

from flask import abort, flash, redirect, request
from werkzeug.routing import IntegerConverter

from portal.errors import DomainError
from portal.extensions import db

# Far past any list the portal has; keeps the row offset within 64 bits.
MAX_PAGE = 1_000_000
# The largest id every id column holds: PostgreSQL's INTEGER is 32 bits.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits within what an id column
    holds, so /teams/2147483648 is a 404 like any missing id."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def id_argument(name):
    """The query-string argument ``name`` as a row id; None when it is missing
    or could not be one (not digits, 0, past what an id column holds)."""
    value = request.args.get(name, "")
    if re.fullmatch(r"[0-9]{1,10}", value) and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def page_number():
    """The ``page`` argument: a whole number from 1, else a 400."""
    raw = request.args.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="The page number must be a whole number from 1.")
    return int(raw)


def paginate(query, *, per_page):
    """The page of ``query`` that the ``page`` argument asks for.

    A page that is not a whole number from 1 is a 400; one past the last page
    (of a list that has any) is a 404, like any address with nothing behind it.
    """
    return db.paginate(query, page=page_number(), per_page=per_page, error_out=True)


def spreadsheet_safe(value):
    """A CSV cell that starts with = + - @ cannot run as a spreadsheet formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _value(given, result):
    return given(result) if callable(given) else given


def show_error(error, form=None, category="danger"):
    """Put a service's message on the form field it names, else flash it."""
    if form is not None and error.field in form:
        field = form[error.field]
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, category)


def flash_form_errors(form):
    """For a form posted from a page it does not re-render: flash what is wrong."""
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "danger")


def run_service(
    action,
    *,
    success,
    target,
    form=None,
    error_target=None,
    error_category="danger",
    after_commit=None,
):
    """Call one service (``action``, no arguments) and finish the request.

    It worked: commit, flash ``success`` (unless None) and redirect to
    ``target``; either may be a function of what the service returned. It
    broke a rule (DomainError): roll back and show the message on the form
    field it names, or flash it. With a ``form`` the view gets None back and
    shows the form again; without one it redirects to ``error_target`` (or
    ``target``) so that a button press ends in post/redirect/get.
    ``after_commit`` gets the service's result once it is committed (to sign
    someone in, say).
    """
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        show_error(error, form, error_category)
        if form is not None:
            return None
        return redirect(_value(error_target or target, None))
    db.session.commit()
    if after_commit is not None:
        after_commit(result)
    message = _value(success, result)
    if message:
        flash(message, "success")
    return redirect(_value(target, result))
