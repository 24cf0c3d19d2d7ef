"""The Guardians Portal: a security-champions program in one Flask application."""

from types import SimpleNamespace

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import PROJECT_ROOT, finalise_config, load_config


def create_app(config=None):
    """Build the application: config -> extensions -> blueprints -> CLI -> errors."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    settings = load_config()
    settings.update(config or {})
    app.config.update(finalise_config(settings))
    if app.config["PORTAL_PROXY_COUNT"]:
        count = app.config["PORTAL_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    if app.config.get("PORTAL_FAST_PASSWORD_HASHING"):
        from portal.auth.passwords import use_fast_hashing_for_tests

        use_fast_hashing_for_tests()
    _init_extensions(app)
    from portal.web import IdConverter

    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    from portal.enrollment import receivers as enrollment_receivers
    from portal.notifications import receivers as notification_receivers
    from portal.recognition import receivers as recognition_receivers

    notification_receivers.connect()
    enrollment_receivers.connect()
    recognition_receivers.connect()
    _register_cli(app)
    from portal.errors import register_error_handlers

    register_error_handlers(app)
    _register_request_hooks(app)
    return app


def _init_extensions(app):
    from flask_bootstrap import Bootstrap5

    from portal import models  # noqa: F401  (every model, for migrations)
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    Bootstrap5(app)

    from portal.auth.sessions import load_user

    login_manager.user_loader(load_user)


def _register_blueprints(app):
    from portal.accounts.admin_views import bp as admin_bp
    from portal.accounts.views import bp as accounts_bp
    from portal.audit.views import bp as audit_bp
    from portal.auth.device_views import bp as devices_bp
    from portal.auth.views import bp as auth_bp
    from portal.core.views import bp as core_bp
    from portal.enrollment.cohort_views import bp as cohorts_bp
    from portal.enrollment.program_views import bp as program_bp
    from portal.enrollment.views import bp as enrollment_bp
    from portal.jobs.views import bp as jobs_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.recognition.views import bp as recognition_bp
    from portal.reviews.survey_views import bp as surveys_bp
    from portal.reviews.views import bp as reviews_bp
    from portal.training.program_views import bp as training_program_bp
    from portal.training.views import bp as training_bp

    blueprints = (
        core_bp,
        auth_bp,
        devices_bp,
        accounts_bp,
        admin_bp,
        audit_bp,
        notifications_bp,
        jobs_bp,
        training_bp,
        training_program_bp,
        enrollment_bp,
        program_bp,
        cohorts_bp,
        reviews_bp,
        surveys_bp,
        recognition_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def _register_cli(app):
    from portal.accounts.cli import accounts_cli, users_cli
    from portal.demo import demo_cli
    from portal.devserver import devserver_command
    from portal.recognition.cli import recognition_cli
    from portal.reviews.cli import reviews_cli
    from portal.scheduler import scheduler_cli
    from portal.training.cli import content_cli

    for command in (
        users_cli,
        accounts_cli,
        demo_cli,
        scheduler_cli,
        devserver_command,
        content_cli,
        reviews_cli,
        recognition_cli,
    ):
        app.cli.add_command(command)


def permission_predicates():
    """Every feature's can_* predicates, for templates as ``can``."""
    from portal.auth import permissions
    from portal.enrollment import permissions as enrollment_permissions
    from portal.recognition import permissions as recognition_permissions
    from portal.reviews import permissions as review_permissions
    from portal.training import permissions as training_permissions

    predicates = {}
    for module in (
        permissions,
        enrollment_permissions,
        training_permissions,
        review_permissions,
        recognition_permissions,
    ):
        predicates.update(
            (name, getattr(module, name))
            for name in dir(module)
            if name.startswith("can_")
        )
    return SimpleNamespace(**predicates)


def _register_request_hooks(app):
    from portal.accounts.models import Role
    from portal.auth.forms import PostOnlyForm
    from portal.enrollment.permissions import moves_for
    from portal.enrollment.queries import team_guardians
    from portal.notifications.views import unread_notification_count
    from portal.security import refuse_hostile_input, set_security_headers
    from portal.training.standing import minute_label

    production = app.config["PORTAL_ENV"] == "production"
    app.before_request(refuse_hostile_input)
    preload = app.config["PORTAL_HSTS_PRELOAD"]
    app.after_request(
        lambda response: set_security_headers(response, production, preload)
    )

    # Globals rather than a context processor, so imported macros see them too.
    app.jinja_env.globals.update(
        can=permission_predicates(),
        # For the CSRF token of buttons; it never reads the request's body, so
        # an error page about that body cannot fail on it again.
        post_form=lambda: PostOnlyForm(formdata=None),
        Role=Role,
        unread_notification_count=unread_notification_count,
        team_guardians=team_guardians,
        moves_for=moves_for,
    )
    app.jinja_env.filters["minute"] = minute_label
