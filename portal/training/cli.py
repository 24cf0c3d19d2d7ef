"""`flask content sync`: load training modules from content/ into the database."""

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.training.sync import ContentInvalid, sync_content

content_cli = AppGroup("content", help="Training content.")


@content_cli.command("sync")
@click.option("--dry-run", is_flag=True, help="Validate and report; change nothing.")
@click.option("--path", type=click.Path(file_okay=False), help="Modules folder.")
def sync_command(dry_run, path):
    """Validate every module and create or update them: all or nothing."""
    root = Path(path) if path else PROJECT_ROOT / "content" / "modules"
    try:
        report = sync_content(root, dry_run=dry_run)
    except ContentInvalid as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"Content not synced: {len(error.problems)} problem(s); "
            "the database is unchanged."
        ) from error
    if not dry_run:
        db.session.commit()
    verb = "Would sync" if dry_run else "Synced"
    changed = f" ({', '.join(report.new_versions)})" if report.new_versions else ""
    click.echo(
        f"{verb}: {len(report.created)} new, {len(report.new_versions)} new version(s)"
        f"{changed}, {len(report.unchanged)} unchanged, {len(report.retired)} retired."
    )
