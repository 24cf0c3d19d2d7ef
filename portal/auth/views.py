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
from portal.extensions import db
from portal.security import safe_next
from portal.web import run_service

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
        done = run_service(
            lambda: services.sign_up(
                email=form.email.data,
                display_name=form.display_name.data,
                team_id=team_id_or_none(form.team_id.data),
                password=form.password.data,
                allowed_domains=current_app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"],
                now=utcnow(),
            ),
            success=lambda user: (
                f"Welcome to the Guardians Portal, {user.display_name}."
            ),
            target=url_for("core.index"),
            form=form,
            after_commit=lambda user: _sign_in(user, remember=False),
        )
        if done:
            return done
    return render_template(
        "auth/signup.html",
        form=form,
        domains=current_app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"],
    )


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Sign in with email and password; throttled per account and address."""
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
    """Sign out (a POST with a CSRF token); clears the session and remember cookie."""
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
    user = current_user._get_current_object()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.change_password(
                user,
                current_password=form.current_password.data,
                new_password=form.password.data,
                now=utcnow(),
            ),
            success="Your password is changed. Other devices have been signed out.",
            target=url_for("accounts.profile"),
            form=form,
            after_commit=lambda _: _sign_in(user, remember=False),
        )
        if done:
            return done
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@reset_limits
def forgot_password():
    """Ask for a reset link: the same answer whether the address exists or not."""
    form = ForgotPasswordForm()
    minutes = current_app.config["PORTAL_PASSWORD_RESET_MINUTES"]
    if form.validate_on_submit():
        # Only queued here: the outbox job sends it, so the answer takes as long
        # for an address nobody uses as for a real one.
        services.request_password_reset(
            form.email.data,
            now=utcnow(),
            ttl_minutes=minutes,
            base_url=current_app.config["PORTAL_BASE_URL"],
        )
        db.session.commit()
        flash(RESET_SENT.format(minutes=minutes), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@reset_limits
def reset_password(token):
    """Set a new password from a reset link; anyone holding a valid link."""
    if services.find_valid_reset_token(token, utcnow()) is None:
        flash("This reset link is no longer valid. Ask for a new one below.", "warning")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.reset_password(token, form.password.data, utcnow()),
            success="Your password is set. Sign in with it now.",
            target=url_for("auth.login"),
            form=form,
            after_commit=lambda _: session.clear(),
        )
        if done:
            return done
    return render_template("auth/reset_password.html", form=form)
