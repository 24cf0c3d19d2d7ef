from flask_wtf import FlaskForm
from wtforms import SelectField

from portal.notifications.kinds import KINDS, Delivery

DELIVERY_CHOICES = [(d.value, d.label) for d in Delivery]


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
                choices=DELIVERY_CHOICES,
                description=kind.description,
                default=current[name].value,
            ),
        )
    return PreferencesForm()


def chosen_deliveries(form):
    return {name: Delivery(getattr(form, name).data) for name in KINDS}
