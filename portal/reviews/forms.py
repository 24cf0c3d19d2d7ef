"""Shape checks for the review pages; the rules live in the services."""

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from portal.forms import DateField, ListFilterForm, name_field, strip_text
from portal.reviews.models import FindingStatus, ReviewStage, Severity
from portal.reviews.survey import NOT_APPLICABLE, questions
from portal.web import MAX_ID

PEOPLE_HELP = "Their work email addresses, separated by commas or new lines."
COUNT = [InputRequired("Give a number (0 for none)."), NumberRange(min=0, max=10_000)]


class ReviewForm(FlaskForm):
    title = name_field("Service or feature", max_length=200)
    team_id = SelectField("Owning team", coerce=int, validators=[InputRequired()])
    ticket_url = StringField(
        "Ticket link",
        filters=[strip_text],
        validators=[Optional(), Length(max=500)],
        description="The review's ticket in the security team's tracker (https://…).",
    )
    opened_on = DateField("Opened on", validators=[InputRequired()])
    closed_on = DateField(
        "Closed on",
        validators=[Optional()],
        description="Set when the review is approved or cancelled.",
    )
    guardians = TextAreaField(
        "Supporting Guardian(s)",
        filters=[strip_text],
        validators=[Optional(), Length(max=3000)],
        description=PEOPLE_HELP + " Leave empty for a review without a Guardian.",
        render_kw={"rows": 2},
    )
    reviewers = TextAreaField(
        "Security reviewer(s)",
        filters=[strip_text],
        validators=[Optional(), Length(max=3000)],
        description=PEOPLE_HELP,
        render_kw={"rows": 2},
    )


class StageForm(FlaskForm):
    # The stage the page showed, so a move chosen on a stale page is refused.
    seen = HiddenField(validators=[Optional(), AnyOf([s.value for s in ReviewStage])])
    stage = SelectField(
        "Move to",
        choices=[(s.value, s.label) for s in ReviewStage],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        "Note (optional)",
        filters=[strip_text],
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )


class FindingCountsForm(FlaskForm):
    critical_count = IntegerField("Critical", validators=COUNT)
    high_count = IntegerField("High", validators=COUNT)
    medium_count = IntegerField("Medium", validators=COUNT)
    low_count = IntegerField("Low", validators=COUNT)
    informational_count = IntegerField("Informational", validators=COUNT)

    def counts(self):
        return {s: self[s.count_column].data for s in Severity}


FINDING_STATUSES = [(s.value, s.label) for s in FindingStatus]


class FindingForm(FlaskForm):
    title = name_field("Finding", max_length=200)
    severity = SelectField(
        "Severity",
        choices=[(s.value, s.label) for s in Severity],
        validators=[InputRequired()],
    )
    status = SelectField(
        "Status", choices=FINDING_STATUSES, validators=[InputRequired()]
    )
    fixed_on = DateField("Fixed on", validators=[Optional()])


class FindingStatusForm(FlaskForm):
    status = SelectField(
        "Status", choices=FINDING_STATUSES, validators=[InputRequired()]
    )
    fixed_on = DateField("Fixed on", validators=[Optional()])


def _answer_field(question):
    return RadioField(
        question.prompt,
        choices=[(str(v), label) for v, label in question.answers]
        + [(NOT_APPLICABLE, "n/a")],
        validators=[InputRequired("Choose an answer, or n/a.")],
    )


class AnswersForm(FlaskForm):
    """The four questions, each answered or explicitly n/a."""

    def answers(self):
        return {
            q.key: None if self[q.key].data == NOT_APPLICABLE else int(self[q.key].data)
            for q in questions()
        }

    def fill(self, row):
        for key, value in row.answers.items():
            self[key].data = NOT_APPLICABLE if value is None else str(value)


for _question in questions():
    setattr(AnswersForm, _question.key, _answer_field(_question))


class SurveyForm(AnswersForm):
    feedback = TextAreaField(
        "Feedback to the Guardian(s)",
        filters=[strip_text],
        validators=[Optional(), Length(max=10_000)],
        description="What went well and what to do better next time. Markdown works.",
        render_kw={"rows": 6},
    )
    private_note = TextAreaField(
        "Private note to program managers (optional)",
        filters=[strip_text],
        validators=[Optional(), Length(max=10_000)],
        description="Never shown to the team or its Guardians.",
        render_kw={"rows": 3},
    )


class ReadinessForm(AnswersForm):
    notes = TextAreaField(
        "Notes for yourself and the reviewer (optional)",
        filters=[strip_text],
        validators=[Optional(), Length(max=10_000)],
        render_kw={"rows": 4},
    )


class GuideForm(FlaskForm):
    note = StringField(
        "What changed", filters=[strip_text], validators=[Optional(), Length(max=200)]
    )

    def entries(self):
        return {
            q.key: {level: self[f"{q.key}_{level}"].data for level in q.guide_keys}
            for q in questions()
        }


for _question in questions():
    for _level in _question.guide_keys:
        label = (
            _question.level_name(_level)
            if _question.is_rating
            else "What “applicable” means"
        )
        setattr(
            GuideForm,
            f"{_question.key}_{_level}",
            TextAreaField(
                f"{_question.key.upper()}: {label}",
                filters=[strip_text],
                validators=[InputRequired("Describe this level."), Length(max=3000)],
                render_kw={"rows": 4},
            ),
        )


SUPPORT_CHOICES = [
    ("", "Any"),
    ("yes", "With a Guardian"),
    ("no", "Without a Guardian"),
]


class ReviewFilterForm(ListFilterForm):
    q = StringField(
        "Service or feature",
        filters=[strip_text],
        validators=[Optional(), Length(max=100)],
    )
    stage = SelectField(
        "Stage",
        choices=[("", "Any")] + [(s.value, s.label) for s in ReviewStage],
        validators=[Optional()],
    )
    team_id = IntegerField(
        "Team", validators=[Optional(), NumberRange(min=1, max=MAX_ID)]
    )
    supported = SelectField(
        "Guardian", choices=SUPPORT_CHOICES, validators=[Optional()]
    )
