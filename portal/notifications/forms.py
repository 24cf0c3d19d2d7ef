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


def unsubscribe_form(current):
    """The form an emailed link opens: per kind, the current choice or less
    email, never more; kinds nobody may change ("Account security") are left
    out."""

    class UnsubscribeForm(FlaskForm):
        pass

    for name, kind in KINDS.items():
        if kind.fixed:
            continue
        now = current[name]
        setattr(
            UnsubscribeForm,
            name,
            SelectField(
                kind.label,
                choices=[
                    (d.value, d.label) for d in Delivery if d.amount <= now.amount
                ],
                description=kind.description,
                default=now.value,
            ),
        )
    return UnsubscribeForm()


def chosen_reductions(form):
    """The choices made on the unsubscribe form, for the kinds it shows."""
    return {
        name: Delivery(getattr(form, name).data)
        for name, kind in KINDS.items()
        if not kind.fixed
    }
