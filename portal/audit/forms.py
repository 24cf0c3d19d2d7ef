from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField("Action", validators=[Optional()])
    actor_id = IntegerField("Actor id", validators=[Optional(), NumberRange(min=1)])
    target_type = StringField("Target type", validators=[Optional(), Length(max=32)])
    target_id = StringField("Target id", validators=[Optional(), Length(max=64)])
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("To (UTC, inclusive)", validators=[Optional()])
