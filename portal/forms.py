"""Form fields every feature shares: text is stripped before it is checked,
dates stay within the calendar the portal can compute with, and list filters
are read from the query string in one way."""

from datetime import date

import wtforms
from flask import request
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.text import name_problem, normalise_name


def strip_text(value):
    """A form filter: surrounding spaces go, so "   " counts as empty."""
    return value.strip() if isinstance(value, str) else value


def _trusted_name(form, field):
    problem = name_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def _normalised_name(value):
    return normalise_name(value) if isinstance(value, str) else value


def name_field(label="Name", max_length=120, **options):
    """A required name: normalised and stripped, then refused when nothing is
    left or when it holds characters a name may not (see portal.text)."""
    return StringField(
        label,
        filters=[_normalised_name],
        validators=[
            DataRequired("Enter a name."),
            Length(max=max_length),
            _trusted_name,
        ],
        **options,
    )


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


class DateField(wtforms.DateField):
    """A date between 2000 and 2099: later arithmetic (due dates, the end of a
    day) never leaves the calendar, and a typo such as 0202 is caught."""

    def pre_validate(self, form):
        if self.data is not None and not EARLIEST_DATE <= self.data <= LATEST_DATE:
            raise ValidationError("Choose a date between 2000 and 2099.")


class ListFilterForm(FlaskForm):
    """The filters of one list, read from the query string.

    Reading a list changes nothing, so there is no CSRF token. After
    ``validate()``, ``link_args()`` gives the filters as read, for the links
    the page builds (pages, exports); arguments the form does not declare, or
    values it refused, never reach ``url_for``.
    """

    class Meta:
        csrf = False

    def __init__(self, formdata=None, **kwargs):
        super().__init__(request.args if formdata is None else formdata, **kwargs)
        self._valid = False

    def validate(self, extra_validators=None):
        self._valid = super().validate(extra_validators)
        return self._valid

    @property
    def status_code(self):
        """400 when a filter could not be read (the page says which), else 200."""
        return 400 if self.errors else 200

    def link_args(self):
        if not self._valid:
            return {}
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in self.data.items()
            if value not in (None, "", [], 0, False)
        }
