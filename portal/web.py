"""The one helper every view uses to call a service and finish the request."""

from flask import flash, redirect

from portal.errors import DomainError
from portal.extensions import db


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
