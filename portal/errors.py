"""Domain errors raised by services, and the friendly error pages."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from portal.extensions import db
from portal.text import name_problem, normalise_name


class DomainError(Exception):
    """A business rule was broken; ``field`` names the form field it concerns."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def required_text(value, field, message="Enter a name."):
    """``value`` without surrounding spaces; a DomainError on ``field`` when
    nothing is left, so that a name of spaces never reaches the database."""
    text = (value or "").strip()
    if not text:
        raise DomainError(field, message)
    return text


def required_name(value, field):
    """A name as stored (see portal.text): normalised, never empty, and free of
    control, invisible and direction-changing characters; else a DomainError."""
    text = required_text(normalise_name(value), field)
    problem = name_problem(text)
    if problem:
        raise DomainError(field, problem)
    return text


class NotAllowed(Exception):
    """The person may not do this; rendered as 403."""


ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
}

ERROR_MESSAGES = {
    400: "The request could not be understood. If you submitted a form, reload "
    "the page and try again.",
    403: "You do not have permission to see this page.",
    404: "There is nothing here. Check the address or go back to the start page.",
    405: "This address does not accept that kind of request.",
    413: "What you sent is larger than the portal accepts.",
    429: "There have been too many attempts. Wait a few minutes before trying again.",
    500: "The portal hit an unexpected error. It has been logged; please try again.",
}


def _render_error(status, message=None):
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify(error=ERROR_TITLES[status], status=status), status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES[status],
            message=message or ERROR_MESSAGES[status],
        ),
        status,
    )


def _specific_message(error):
    """For a 400, the reason the portal gave with ``abort(400, description=...)``.

    Other statuses keep the portal's own wording: a library's description
    (the rate limiter's "5 per 15 minutes") is not written for people."""
    description = getattr(error, "description", None)
    if getattr(error, "code", None) != 400 or description == type(error).description:
        return None
    return description


def register_error_handlers(app):
    for status in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(
            status, lambda e, s=status: _render_error(s, _specific_message(e))
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render_error(
            400,
            "This form has expired or did not come from the portal. Reload the "
            "page and submit it again.",
        )

    @app.errorhandler(NotAllowed)
    def not_allowed(error):
        return _render_error(403)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render_error(500)
