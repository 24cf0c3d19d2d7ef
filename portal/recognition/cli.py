"""`flask recognition ...`: commands for the points ledger."""

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.recognition.totals import rebuild_totals

recognition_cli = AppGroup("recognition", help="Points, boards and badges.")


@recognition_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Report differences; change nothing.")
def rebuild_command(check):
    """Recompute every running total from the ledger and report any total that
    differed (and, unless --check, correct it)."""
    differences = rebuild_totals(fix=not check)
    for difference in differences[:100]:
        click.echo(str(difference))
    if len(differences) > 100:
        click.echo(f"... and {len(differences) - 100} more")
    if check:
        db.session.rollback()
        click.echo(f"{len(differences)} total(s) differ from the ledger.")
        if differences:
            raise SystemExit(1)
        return
    db.session.commit()
    click.echo(
        f"{len(differences)} total(s) corrected; every total now matches the ledger."
    )
