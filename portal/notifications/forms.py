from flask_wtf import FlaskForm
from wtforms import SelectField

from portal.notifications.kinds import KINDS, Delivery


def preferences_form(current):
    """A form with one select per kind of notification, built from the kinds table."""

    class PreferencesForm(FlaskForm):
        pass

    for name, kind in KINDS.items():
        setattr(
            PreferencesForm,
            name,
            SelectField(
                kind.label,
                choices=[(d.value, d.label) for d in kind.choices],
                description=kind.description,
                default=current[name].value,
                render_kw={"disabled": True} if kind.fixed else None,
            ),
        )
    return PreferencesForm()


def chosen_deliveries(form):
    """The choices made; a kind nobody may change keeps its default."""
    return {
        name: kind.default if kind.fixed else Delivery(getattr(form, name).data)
        for name, kind in KINDS.items()
    }
