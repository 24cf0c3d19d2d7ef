"""The job runs page's filter."""

from wtforms import SelectField
from wtforms.validators import Optional

from portal.forms import ListFilterForm
from portal.jobs.models import RunStatus


class JobRunFilterForm(ListFilterForm):
    status = SelectField(
        choices=[("", "Any status"), *[(s.value, s.value) for s in RunStatus]],
        validators=[Optional()],
    )
