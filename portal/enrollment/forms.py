from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.forms import SENIORITY_CHOICES
from portal.forms import DateField, ListFilterForm, name_field

HOURS = [NumberRange(min=1, max=40, message="Between 1 and 40 hours a week.")]


class ApplyForm(FlaskForm):
    guarded_team_id = SelectField(
        "The team you will guard", coerce=int, validators=[InputRequired()]
    )
    motivation = TextAreaField(
        "Why do you want to be a Guardian?",
        validators=[InputRequired(), Length(min=20, max=2000)],
        description="What you hope to learn and how your team would benefit "
        "(20 to 2,000 characters).",
        render_kw={"rows": 5},
    )
    manager_email = EmailField(
        "Your manager's email",
        validators=[
            InputRequired(),
            Email(check_deliverability=False),
            Length(max=254),
        ],
        description="Program managers check with your manager before approving.",
    )
    hours_per_week = IntegerField(
        "Hours a week you can give", default=2, validators=[InputRequired(), *HOURS]
    )


class NominateForm(FlaskForm):
    email = EmailField(
        "Nominee's work email",
        validators=[
            InputRequired(),
            Email(check_deliverability=False),
            Length(max=254),
        ],
    )
    guarded_team_id = SelectField(
        "The team they would guard", coerce=int, validators=[InputRequired()]
    )
    motivation = TextAreaField(
        "Why are you nominating them?",
        validators=[InputRequired(), Length(min=20, max=2000)],
        render_kw={"rows": 4},
    )
    hours_per_week = IntegerField(
        "Hours a week they can give", default=2, validators=[InputRequired(), *HOURS]
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason (the applicant sees it)",
        validators=[InputRequired(), Length(max=1000)],
        render_kw={"rows": 3},
    )


class PlaceForm(FlaskForm):
    cohort_id = SelectField("Cohort", coerce=int, validators=[InputRequired()])


class StepDownForm(FlaskForm):
    steps_down_on = DateField("Last day as a Guardian", validators=[InputRequired()])
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500)])


class ReasonForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500)])


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlaceManyForm(FlaskForm):
    enrollment_ids = CheckboxesField(
        "Applicants to approve into this cohort", coerce=int
    )


def cohort_form(modules, cohort=None):
    """The cohort form with one optional due date per required module; editing
    ``cohort`` fills it in and asks to confirm a start date moved into the past."""

    class CohortForm(FlaskForm):
        name = name_field()
        start_date = DateField("Start date", validators=[InputRequired()])
        capacity = IntegerField(
            "Capacity (seats)",
            validators=[InputRequired(), NumberRange(min=1, max=1000)],
        )

    if cohort is not None:
        CohortForm.confirm_past_start = BooleanField(
            "Yes, the cohort started on this date",
            description="Needed when the start date moves into the past.",
        )
    for module in modules:
        setattr(
            CohortForm,
            f"due_{module.id}",
            DateField(
                f"Due date: {module.current_version.title}", validators=[Optional()]
            ),
        )
    data = {}
    if cohort is not None:
        data = {
            "name": cohort.name,
            "start_date": cohort.start_date,
            "capacity": cohort.capacity,
            **{f"due_{d.module_id}": d.due_on for d in cohort.due_dates},
        }
    form = CohortForm(data=data)
    form.due_fields = [(module, form[f"due_{module.id}"]) for module in modules]
    return form


class QueueFilterForm(ListFilterForm):
    org_id = SelectField("Org", coerce=int, validators=[Optional()])
    team_id = SelectField("Team", coerce=int, validators=[Optional()])
    location = StringField("Location", validators=[Optional(), Length(max=100)])
    seniority = SelectField(
        "Seniority", choices=SENIORITY_CHOICES, validators=[Optional()]
    )
    min_hours = IntegerField("At least hours a week", validators=[Optional(), *HOURS])


class CohortProgressForm(ListFilterForm):
    """How the cohort's progress matrix is sorted (a GET filter)."""

    sort = SelectField(
        "Sort by",
        choices=[
            ("name", "Name"),
            ("team", "Team"),
            ("passed", "Modules passed (most first)"),
            ("overdue", "Modules overdue (most first)"),
        ],
        default="name",
        validators=[Optional()],
    )


class CoverageFilterForm(ListFilterForm):
    """Which teams the coverage page lists (a GET filter)."""

    org_id = SelectField("Org", coerce=int, validators=[Optional()])
    show = SelectField(
        "Show",
        choices=[
            ("all", "Every team"),
            ("uncovered", "Teams with no Guardian"),
            ("single", "Teams with a single Guardian (a risk)"),
        ],
        default="all",
        validators=[Optional()],
    )


class RatioTargetForm(FlaskForm):
    target = IntegerField(
        "Engineers per Guardian",
        validators=[Optional(), NumberRange(min=1, max=1000)],
        description="Leave empty to follow the company default.",
    )
