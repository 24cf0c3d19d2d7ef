"""Command-line tools: `flask users create-admin` and `flask accounts import`."""

import getpass
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from portal.accounts.importer import ImportFailed, import_accounts
from portal.accounts.services import create_admin, make_admin
from portal.auth.services import find_user_by_email
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
accounts_cli = AppGroup("accounts", help="Bulk account operations.")


@users_cli.command("create-admin")
@click.option("--email", prompt=True, help="The admin's work email.")
@click.option("--name", "display_name", help="The admin's name (new accounts).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting (new accounts).",
)
def create_admin_command(email, display_name, password_stdin):
    """Create an admin account, or make an existing account an admin."""
    existing = find_user_by_email(email)
    try:
        if existing is not None:
            changed = make_admin(existing, utcnow())
        else:
            display_name = display_name or click.prompt("Display name")
            user = create_admin(
                email=email,
                display_name=display_name,
                password=_new_password(password_stdin),
                now=utcnow(),
            )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    if existing is None:
        click.echo(f"Created {user.email} ({user.display_name}) as an admin.")
    elif changed:
        click.echo(
            f"{existing.email} already had an account: it is now an admin. "
            "Its name and password are unchanged."
        )
    else:
        click.echo(f"{existing.email} is already an admin: nothing changed.")


def _new_password(from_stdin):
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise click.ClickException("The passwords do not match.")
    return password


@accounts_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_command(csv_file):
    """Import people and teams from CSV_FILE: every row or none."""
    try:
        summary = import_accounts(
            None, csv_file, current_app.config["PORTAL_ALLOWED_EMAIL_DOMAINS"], utcnow()
        )
    except ImportFailed as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{csv_file.name}: {problem}", err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(error.problems)} problem(s) to fix."
        ) from error
    db.session.commit()
    click.echo(
        f"Imported: {summary.users_created} people created, "
        f"{summary.users_updated} updated, "
        f"{summary.teams_created} teams created, {summary.roles_granted} roles granted."
    )
