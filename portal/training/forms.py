"""The quiz form, built from an attempt's questions in that attempt's order."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.training.grading import parse_number


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _numeric(form, field):
    if field.data and parse_number(field.data) is None:
        raise ValidationError("Enter a number, for example 42 or 0.5.")


def quiz_form(attempt):
    """A form with one field per question, named q0, q1, ... in the attempt's order.

    Only prompts and choice texts go into it: never which choice is correct.
    """

    class QuizForm(FlaskForm):
        pass

    version = attempt.module_version
    fields = []
    for index, item in enumerate(attempt.layout):
        question = version.question(item["q"])
        name = f"q{index}"
        label = f"{index + 1}. {question['prompt']}"
        if question["type"] in {"single", "multiple"}:
            texts = {c["id"]: c["text"] for c in question["choices"]}
            choices = [(cid, texts[cid]) for cid in item["c"]]
            if question["type"] == "single":
                field = RadioField(
                    label,
                    choices=choices,
                    validators=[InputRequired("Choose an answer.")],
                )
            else:
                field = CheckboxesField(
                    label,
                    choices=choices,
                    description="Select all that apply.",
                    validators=[InputRequired("Select at least one answer.")],
                )
        elif question["type"] == "true_false":
            field = RadioField(
                label,
                choices=[("true", "True"), ("false", "False")],
                validators=[InputRequired("Choose true or false.")],
            )
        else:
            field = StringField(
                label,
                validators=[InputRequired("Enter a number."), Length(max=40), _numeric],
                render_kw={"inputmode": "decimal", "autocomplete": "off"},
            )
        setattr(QuizForm, name, field)
        fields.append((name, question["id"]))
    form = QuizForm()
    form.question_fields = fields
    return form


def responses_from(form):
    """``{question id: [answer strings]}`` from a validated quiz form."""
    responses = {}
    for name, question_id in form.question_fields:
        data = getattr(form, name).data
        responses[question_id] = data if isinstance(data, list) else [data]
    return responses


class ModuleFilterForm(FlaskForm):
    class Meta:
        csrf = False

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
