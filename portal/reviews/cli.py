"""`flask reviews ...`: commands for the security review records."""

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from portal.database import utcnow
from portal.extensions import db
from portal.reviews.importer import ImportFailed, import_reviews

reviews_cli = AppGroup("reviews", help="Security reviews and their surveys.")


@reviews_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and report; write nothing."
)
def import_command(csv_file, dry_run):
    """Import reviews, finding counts and surveys from CSV_FILE: every row or
    none; a file imported before changes only what differs."""
    try:
        summary = import_reviews(csv_file, utcnow())
    except ImportFailed as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{click.format_filename(csv_file)}: {problem}", err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(error.problems)} problem(s) to fix."
        ) from error
    except IntegrityError as error:
        db.session.rollback()
        raise click.ClickException(
            "Someone else imported some of these reviews just now: nothing was "
            "imported. Run the import again."
        ) from error
    counts = (
        f"{summary.reviews_created} reviews created, "
        f"{summary.reviews_updated} updated, {summary.surveys_saved} surveys saved."
    )
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing written. The import would give: {counts}")
    elif summary.changed:
        db.session.commit()
        click.echo(f"Imported: {counts}")
    else:
        db.session.rollback()
        click.echo("Nothing changed: the portal has these reviews as the file does.")
