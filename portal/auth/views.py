"""Sign-up, sign-in, sign-out, password change and reset."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts.queries import team_choices, team_id_or_none
from portal.auth import services
from portal.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PostOnlyForm,
    ResetPasswordForm,
    SignupForm,
)
from portal.auth.throttle import login_limits, reset_limits
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.mail.services import deliver_pending
from portal.security import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")

LOGIN_FAILED = "That email and password do not match an active account."
RESET_SENT = (
    "If that address belongs to an active account, a reset link is on its way. "
    "It works once, within {minutes} minutes."
)


def _sign_in(user, remember):
    """Start a fresh session so nothing from before sign-in carries over."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Anyone with an address on an allowed domain may create an engineer account."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = SignupForm()
    form.team_id.choices = team_choices()
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                email=form.email.data,
                display_name=form.display_name.data,
                team_id=team_id_or_none(form.team_id.data),
                password=form.password.data,
                allowed_domains=current_app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"],
                now=utcnow(),
            )
        except DomainError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            _sign_in(user, remember=False)
            flash(f"Welcome to the Guardians Portal, {user.display_name}.", "success")
            return redirect(url_for("core.index"))
    return render_template(
        "auth/signup.html",
        form=form,
        domains=current_app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"],
    )


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, utcnow())
        if user is not None:
            db.session.commit()
            _sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("core.index")))
        form.password.errors.append(LOGIN_FAILED)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    PostOnlyForm()  # the CSRF token is checked for every POST by CSRFProtect
    # Clear first: logout_user() leaves the note that deletes the remember cookie.
    session.clear()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other session ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                current_password=form.current_password.data,
                new_password=form.password.data,
                now=utcnow(),
            )
        except DomainError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            _sign_in(current_user._get_current_object(), remember=False)
            flash(
                "Your password is changed. Other devices have been signed out.",
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@reset_limits
def forgot_password():
    form = ForgotPasswordForm()
    minutes = current_app.config["PORTAL_PASSWORD_RESET_MINUTES"]
    if form.validate_on_submit():
        now = utcnow()
        services.request_password_reset(
            form.email.data,
            now=now,
            ttl_minutes=minutes,
            base_url=current_app.config["PORTAL_BASE_URL"],
        )
        db.session.commit()
        deliver_pending(current_app.config, now)
        db.session.commit()
        flash(RESET_SENT.format(minutes=minutes), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@reset_limits
def reset_password(token):
    if services.find_valid_reset_token(token, utcnow()) is None:
        flash("This reset link is no longer valid. Ask for a new one below.", "warning")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data, utcnow())
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            session.clear()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
