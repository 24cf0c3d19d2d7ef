from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from portal.forms import DateField, ListFilterForm


class AuditFilterForm(ListFilterForm):
    person = StringField(
        "Person",
        validators=[Optional(), Length(max=100)],
        description="Part of a name or email: who acted, or whom it was about.",
    )
    action = SelectField("Action", validators=[Optional()])
    # Set by links such as "audit history" on a person's admin page.
    target_type = HiddenField(validators=[Optional(), Length(max=32)])
    target_id = HiddenField(validators=[Optional(), Length(max=64)])
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("To (UTC, inclusive)", validators=[Optional()])
