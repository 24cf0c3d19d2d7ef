from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from portal.auth.passwords import MAX_LENGTH, MIN_LENGTH
from portal.forms import name_field

PASSWORD_HINT = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters. A few unrelated words make a good one; "
    "common passwords are refused."
)


def new_password_fields(label="New password"):
    password = PasswordField(
        label,
        validators=[InputRequired(), Length(max=MAX_LENGTH)],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        f"Repeat the {label.lower()}",
        validators=[
            InputRequired(),
            EqualTo("password", message="The passwords do not match."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = EmailField(
        "Work email",
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")


class SignupForm(FlaskForm):
    email = EmailField(
        "Work email",
        validators=[
            InputRequired(),
            Email(check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    display_name = name_field(
        "Your name", max_length=100, render_kw={"autocomplete": "name"}
    )
    team_id = SelectField("Team", coerce=int, validators=[InputRequired()])
    password, confirm = new_password_fields("Password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Work email",
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class PostOnlyForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""
