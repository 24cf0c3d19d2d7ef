"""Form fields every feature shares: text is stripped before it is checked."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length


def strip_text(value):
    """A form filter: surrounding spaces go, so "   " counts as empty."""
    return value.strip() if isinstance(value, str) else value


def name_field(label="Name", max_length=120, **options):
    """A required name: stripped, then refused when nothing is left."""
    return StringField(
        label,
        filters=[strip_text],
        validators=[DataRequired("Enter a name."), Length(max=max_length)],
        **options,
    )
