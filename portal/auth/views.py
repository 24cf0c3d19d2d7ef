"""Sign-up, sign-in (password or emailed link), sign-out, password change and reset."""

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
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts.queries import team_choices, team_id_or_none
from portal.auth import services, signin
from portal.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PostOnlyForm,
    ResetPasswordForm,
    SignupForm,
)
from portal.auth.links import find_live_link
from portal.auth.models import LinkPurpose
from portal.auth.signin import Outcome
from portal.auth.throttle import per_address
from portal.database import utcnow
from portal.extensions import db
from portal.security import safe_next
from portal.web import run_service

bp = Blueprint("auth", __name__, url_prefix="/auth")

LOGIN_FAILED = (
    "That email and password do not match an active account. Just signed up? "
    "Follow the link in the email we sent you first."
)
CHECK_INBOX = (
    "Check your inbox: we have emailed {email} a link to confirm the address. "
    "It works once, within {hours} hours. (If the address already has an "
    "account, the email says so instead.)"
)
RESET_SENT = (
    "If that address belongs to an active account, a reset link is on its way. "
    "It works once, within {minutes} minutes."
)
LINK_SENT = (
    "To protect this account, signing in from here needs a link from its "
    "inbox now. If the address belongs to an account, we have emailed one: it "
    "works once, within {minutes} minutes."
)
ADDRESS_THROTTLED = (
    "Too many sign-in attempts from your network. Try again in {minutes} minute(s)."
)
LINK_PAGES = {
    LinkPurpose.VERIFY_EMAIL: ("Confirm your address", "Confirm and sign in"),
    LinkPurpose.SIGN_IN: ("Sign in with your link", "Sign in"),
}


def _client():
    return {"address": get_remote_address(), "user_agent": request.user_agent.string}


def _sign_in(user, remember):
    """Start a fresh cookie session, so nothing from before sign-in carries over;
    ``user.session_token`` names the server-side session already recorded."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/signup", methods=["GET", "POST"])
@per_address("PORTAL_SIGNUP_LIMIT_PER_IP", "signup-ip")
def signup():
    """Anyone with an address on an allowed domain may ask for an engineer account."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = SignupForm()
    form.team_id.choices = team_choices()
    config = current_app.config
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data)
        done = run_service(
            lambda: services.sign_up(
                email=email,
                display_name=form.display_name.data,
                team_id=team_id_or_none(form.team_id.data),
                password=form.password.data,
                allowed_domains=config["PORTAL_ALLOWED_EMAIL_DOMAINS"],
                now=utcnow(),
            ),
            success=None,
            target=url_for("auth.login"),
            form=form,
            after_commit=lambda _: flash(
                CHECK_INBOX.format(
                    email=email, hours=config["PORTAL_VERIFY_EMAIL_HOURS"]
                ),
                "info",
            ),
        )
        if done:
            return done
    return render_template(
        "auth/signup.html", form=form, domains=config["PORTAL_ALLOWED_EMAIL_DOMAINS"]
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; throttled (see portal.auth.throttle)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = signin.sign_in_with_password(
            form.email.data,
            form.password.data,
            remember=form.remember.data,
            now=utcnow(),
            **_client(),
        )
        db.session.commit()
        if result.outcome is Outcome.SIGNED_IN:
            _sign_in(result.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("core.index")))
        if result.outcome in (Outcome.WRONG, Outcome.UNCONFIRMED):
            # An unconfirmed account answers as a wrong password does (its
            # confirmation link is emailed again): otherwise signing up with an
            # address and then signing in with it would tell whether it was in
            # use.
            form.password.errors.append(LOGIN_FAILED)
        elif result.outcome is Outcome.ADDRESS_THROTTLED:
            minutes = -(-result.retry_after // 60)
            form.password.errors.append(ADDRESS_THROTTLED.format(minutes=minutes))
            status = 429
        else:
            minutes = current_app.config["PORTAL_SIGN_IN_LINK_MINUTES"]
            flash(LINK_SENT.format(minutes=minutes), "info")
            return redirect(url_for("auth.login"))
    response = current_app.make_response(
        (render_template("auth/login.html", form=form), status)
    )
    if status == 429:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


def _link_page(token, purpose):
    """Show a live emailed link's button (mail scanners follow GET links, so
    only the POST spends it), and sign in when it is pressed."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    if find_live_link(token, purpose, utcnow()) is None:
        flash("This link is no longer valid. Sign in to get a new one.", "warning")
        return redirect(url_for("auth.login"))
    form = PostOnlyForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: signin.sign_in_with_link(token, purpose, now=utcnow(), **_client()),
            success=lambda user: (
                f"Welcome to the Guardians Portal, {user.display_name}."
            ),
            target=url_for("core.index"),
            error_target=url_for("auth.login"),
            after_commit=lambda user: _sign_in(user, remember=False),
        )
        return done
    title, button = LINK_PAGES[purpose]
    return render_template("auth/link.html", form=form, title=title, button=button)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@per_address("PORTAL_RESET_LIMIT_PER_IP", "link-ip")
def confirm_email(token):
    """Confirm one's address from the emailed link; anyone holding a live link."""
    return _link_page(token, LinkPurpose.VERIFY_EMAIL)


@bp.route("/link/<token>", methods=["GET", "POST"])
@per_address("PORTAL_RESET_LIMIT_PER_IP", "link-ip")
def sign_in_link(token):
    """Sign in from an emailed one-time link; anyone holding a live link."""
    return _link_page(token, LinkPurpose.SIGN_IN)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST with a CSRF token): this session and its remember
    cookie end on the server, not only in this browser."""
    PostOnlyForm()  # the CSRF token is checked for every POST by CSRFProtect
    if current_user.is_authenticated:
        signin.end_session(current_user.current_session_id, utcnow())
        db.session.commit()
    # Clear first: logout_user() leaves the note that deletes the remember cookie.
    session.clear()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every session ends and this one starts anew."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        done = run_service(
            lambda: signin.change_password_here(
                user,
                current_password=form.current_password.data,
                new_password=form.password.data,
                now=utcnow(),
                **_client(),
            ),
            success="Your password is changed. Every other device has been signed out.",
            target=url_for("accounts.profile"),
            form=form,
            after_commit=lambda _: _sign_in(user, remember=False),
        )
        if done:
            return done
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@per_address("PORTAL_RESET_LIMIT_PER_IP", "reset-ip")
def forgot_password():
    """Ask for a reset link: the same answer, and the same work, for any address."""
    form = ForgotPasswordForm()
    config = current_app.config
    if form.validate_on_submit():
        # Only recorded here: a job looks the address up and queues the email,
        # so the answer takes as long for an address nobody uses as for a real one.
        services.ask_for_password_reset(form.email.data, utcnow())
        db.session.commit()
        flash(
            RESET_SENT.format(minutes=config["PORTAL_PASSWORD_RESET_MINUTES"]), "info"
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@per_address("PORTAL_RESET_LIMIT_PER_IP", "reset-ip")
def reset_password(token):
    """Set a new password from a reset link; anyone holding a valid link."""
    if services.find_valid_reset_link(token, utcnow()) is None:
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
