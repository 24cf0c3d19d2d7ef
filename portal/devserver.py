"""`flask devserver`: the portal on a laptop, with the scheduled jobs in a thread."""

import click
from flask import current_app
from werkzeug.serving import WSGIRequestHandler, run_simple

from portal.extensions import db
from portal.scheduler import log_job_runs, start_background_scheduler


class QuietRequestHandler(WSGIRequestHandler):
    """Names no server software or version in the Server header."""

    def version_string(self):
        return "Guardians Portal"


@click.command("devserver")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option(
    "--prepare",
    is_flag=True,
    help="First migrate the database, sync the training content and load demo "
    "data into an empty database (what `make run` does), in this one process.",
)
@click.pass_context
def devserver_command(ctx, host, port, prepare):
    """Serve the portal on a laptop with the scheduled jobs in a background thread."""
    app = current_app._get_current_object()
    if prepare:
        from flask_migrate import upgrade

        from portal.demo import seed_command
        from portal.training.cli import sync_command

        upgrade()
        ctx.invoke(sync_command)
        ctx.invoke(seed_command)
        # End this context's transaction: on SQLite even a read holds the write
        # lock (transactions begin IMMEDIATE), and the jobs below need it.
        db.session.remove()
    log_job_runs()
    scheduler = start_background_scheduler(app)
    click.echo(f"Guardians Portal on http://{host}:{port} (scheduler thread running)")
    try:
        run_simple(
            host,
            port,
            app,
            threaded=True,
            use_reloader=False,
            request_handler=QuietRequestHandler,
        )
    finally:
        scheduler.shutdown(wait=False)
