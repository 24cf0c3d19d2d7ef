from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.accounts.models import HAND_GRANTED_ROLES, Role, Seniority
from portal.forms import ListFilterForm, name_field

SENIORITY_CHOICES = [("", "Prefer not to say")] + [
    (s.value, s.label) for s in Seniority
]
ROLE_CHOICES = [(r.value, r.label) for r in Role if r.in_use]
GRANT_CHOICES = [(r.value, r.label) for r in HAND_GRANTED_ROLES]


class ProfileForm(FlaskForm):
    display_name = name_field(max_length=100)
    team_id = SelectField("Team", coerce=int, validators=[InputRequired()])
    location = StringField(
        "Location",
        validators=[Optional(), Length(max=100)],
        description="City or office, for example Dublin or Remote (Lisbon).",
    )
    seniority = SelectField(
        "Seniority", choices=SENIORITY_CHOICES, validators=[Optional()]
    )
    bio = TextAreaField(
        "About you",
        validators=[Optional(), Length(max=5000)],
        description=(
            "Markdown: **bold**, _italic_, lists and links. Up to 5,000 characters."
        ),
        render_kw={"rows": 6},
    )


class OrgForm(FlaskForm):
    name = name_field()
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class TeamForm(FlaskForm):
    org_id = SelectField("Org", coerce=int, validators=[InputRequired()])
    name = name_field()
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class RoleForm(FlaskForm):
    """Offers the roles granted by hand; accepts any role so that the service
    can say why one is not granted here."""

    role = SelectField(
        "Role", choices=[(r.value, r.label) for r in Role], validators=[InputRequired()]
    )

    def offer_hand_granted_roles(self):
        self.role.choices = GRANT_CHOICES
        return self


class DeactivateForm(FlaskForm):
    reason = StringField(
        "Reason (kept in the audit log)", validators=[Optional(), Length(max=500)]
    )


class UserSearchForm(ListFilterForm):
    q = StringField("Name or email", validators=[Optional(), Length(max=100)])
    role = SelectField(
        "Role", choices=[("", "Any role")] + ROLE_CHOICES, validators=[Optional()]
    )
    status = SelectField(
        "Status",
        choices=[("", "Any status"), ("active", "Active"), ("inactive", "Deactivated")],
        validators=[Optional()],
    )
