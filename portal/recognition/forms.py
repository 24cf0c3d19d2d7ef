"""Shape checks for the recognition pages; the rules live in the services."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from portal.forms import ListFilterForm, name_field, strip_text
from portal.recognition.points import PERIODS
from portal.recognition.services import (
    CITATION_LIMIT,
    KUDOS_LIMIT,
    MAX_AWARD_POINTS,
)
from portal.web import MAX_ID

BOARDS = {"people": "People", "teams": "Teams", "orgs": "Orgs"}
SCOPE_OF = {"people": "person", "teams": "team", "orgs": "org"}


class BoardFilterForm(ListFilterForm):
    board = SelectField(
        "Board",
        choices=list(BOARDS.items()),
        default="people",
        validators=[Optional(), AnyOf(list(BOARDS))],
    )
    period = SelectField(
        "Period",
        choices=list(PERIODS.items()),
        default="quarter",
        validators=[Optional(), AnyOf(list(PERIODS))],
    )
    org = SelectField("Org", coerce=int, validators=[Optional()])

    def __init__(self, org_choices, **kwargs):
        super().__init__(**kwargs)
        self.org.choices = [(0, "Every org"), *org_choices]


class ScoreFilterForm(ListFilterForm):
    period = SelectField(
        "Period",
        choices=list(PERIODS.items()),
        default="all",
        validators=[Optional(), AnyOf(list(PERIODS))],
    )
    org = SelectField("Org", coerce=int, validators=[Optional()])

    def __init__(self, org_choices, **kwargs):
        super().__init__(**kwargs)
        self.org.choices = [(0, "Every org"), *org_choices]


class KudosForm(FlaskForm):
    note = TextAreaField(
        "Your note",
        filters=[strip_text],
        validators=[InputRequired("Write a short note."), Length(max=KUDOS_LIMIT)],
        description=f"What they did that helped, in up to {KUDOS_LIMIT} characters "
        "(Markdown).",
        render_kw={"rows": 3, "maxlength": KUDOS_LIMIT},
    )


class PrivacyForm(FlaskForm):
    hide_name = BooleanField(
        "Hide my name on the boards and the wall",
        description="Others then see “a Guardian” in your place; you still see "
        "your own rank, and your recognition page is only for you and the "
        "program managers.",
    )


POINTS = [Optional(), NumberRange(min=0, max=MAX_AWARD_POINTS)]


class GrantAwardForm(FlaskForm):
    kind_id = SelectField("Award", coerce=int, validators=[InputRequired()])
    email = EmailField(
        "Recipient's email",
        filters=[strip_text],
        validators=[InputRequired("Whose award is it?"), Length(max=254)],
    )
    citation = TextAreaField(
        "Citation",
        filters=[strip_text],
        validators=[InputRequired("Write the citation."), Length(max=CITATION_LIMIT)],
        description="Why they earn it, shown on the wall and their recognition "
        "page (Markdown).",
        render_kw={"rows": 4},
    )
    points = IntegerField(
        "Points",
        validators=POINTS,
        description="Leave empty for the award's usual points.",
    )

    def __init__(self, kinds, **kwargs):
        super().__init__(**kwargs)
        self.kind_id.choices = [(k.id, k.name) for k in kinds]
        self.kind_id.validators = [InputRequired(), NumberRange(min=1, max=MAX_ID)]


class AwardKindForm(FlaskForm):
    name = name_field("Name of the award", max_length=100)
    description = TextAreaField(
        "What it recognizes",
        filters=[strip_text],
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    # Its own id: the grant form on the same page has a "points" field too.
    points = IntegerField(
        "Usual points", default=0, validators=POINTS, id="kind-points"
    )


class RevokeAwardForm(FlaskForm):
    reason = StringField(
        "Why it is revoked",
        filters=[strip_text],
        validators=[InputRequired("Say why."), Length(max=300)],
    )
