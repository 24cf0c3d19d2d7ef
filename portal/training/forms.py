"""The quiz form, built from an attempt's questions in that attempt's order."""

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import ListFilterForm, strip_text
from portal.training.grading import parse_number
from portal.training.quiz import choice_labels, responses_from_tokens

FOREIGN_CHOICE = (
    "That answer is not one this quiz offered. Reload the page and answer again."
)


class ChoiceField(RadioField):
    """One answer from the attempt's tokens; "required" speaks when none is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, invalid_choice_message=FOREIGN_CHOICE, **kwargs)

    def pre_validate(self, form):
        if self.raw_data:
            super().pre_validate(form)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, invalid_choice_message=FOREIGN_CHOICE, **kwargs)


def _numeric(form, field):
    if field.data and parse_number(field.data) is None:
        raise ValidationError("Enter a number, for example 42 or 0.5.")


def _question_field(question, label, choices):
    if question["type"] == "single":
        return ChoiceField(
            label, choices=choices, validators=[InputRequired("Choose an answer.")]
        )
    if question["type"] == "multiple":
        return CheckboxesField(
            label,
            choices=choices,
            description="Select all that apply.",
            validators=[InputRequired("Select at least one answer.")],
        )
    if question["type"] == "true_false":
        return ChoiceField(
            label, choices=choices, validators=[InputRequired("Choose true or false.")]
        )
    return StringField(
        label,
        validators=[InputRequired("Enter a number."), Length(max=40), _numeric],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


def quiz_form(attempt):
    """A form with one field per question asked, in the attempt's order.

    Field names and choice values are the attempt's random tokens; only prompts
    and choice texts go into it, never content ids or which choice is correct.
    A value this attempt did not issue for that question fails validation.
    """

    class QuizForm(FlaskForm):
        pass

    by_id = {q["id"]: q for q in attempt.module_version.questions}
    fields = []
    for index, entry in enumerate(attempt.layout):
        question = by_id[entry["q"]]
        labels = choice_labels(question)
        choices = [(token, labels[choice_id]) for token, choice_id in entry["c"]]
        label = f"{index + 1}. {question['prompt']}"
        setattr(QuizForm, entry["f"], _question_field(question, label, choices))
        fields.append(entry["f"])
    form = QuizForm()
    form.question_fields = fields
    return form


def responses_from(form, attempt):
    """``{question id: [content answers]}`` from a validated quiz form."""
    submitted = {name: getattr(form, name).data for name in form.question_fields}
    return responses_from_tokens(attempt.layout, submitted)


class ModuleFilterForm(ListFilterForm):
    tag = SelectField("Tag", validators=[Optional()])
    kind = SelectField(
        "Show",
        choices=[
            ("", "All modules"),
            ("required", "Required for certification"),
            ("elective", "Electives"),
        ],
        validators=[Optional()],
    )


class RevokeCertificateForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking",
        filters=[strip_text],
        validators=[DataRequired("Give the reason."), Length(max=1000)],
        description="The holder is told this reason; the public page only says "
        "that the certificate was revoked, and when.",
        render_kw={"rows": 3},
    )


class GrantAttemptsForm(FlaskForm):
    count = IntegerField(
        "More attempts",
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=5)],
    )
    reason = TextAreaField(
        "Reason",
        filters=[strip_text],
        validators=[DataRequired("Give the reason."), Length(max=500)],
        description="The person is told; the audit log keeps it.",
        render_kw={"rows": 2},
    )


class ResetModuleForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        filters=[strip_text],
        validators=[DataRequired("Give the reason."), Length(max=500)],
        description="The person's attempts start again; earlier ones stay on record.",
        render_kw={"rows": 2},
    )
