"""``doorstep create-user``: make an account from a script, without prompts."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from dispatch.models.user import RoleName
from dispatch.platform import transaction


@click.command("create-user")
@click.option("--role", required=True, type=click.Choice([r.value for r in RoleName], case_sensitive=False))
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", "display_name", default=None, help="Name shown in the app (default: the email's user part).")
@click.option("--site", "site_ids", multiple=True, type=int, help="A site a staff member manages (repeatable).")
@click.option("--senior", "senior_ids", multiple=True, type=int, help="A senior a family member follows (repeatable).")
@click.option("--worker", "worker_id", type=int, default=None, help="Link a worker login to this worker record.")
@with_appcontext
@transaction.command
def create_user_command(role, email, password, display_name, site_ids, senior_ids, worker_id):
    """Create a user with a role; prints the new user's id (exit 2 on bad input)."""
    from dispatch.platform.errors import FieldError
    from dispatch.services.people.accounts import create_user

    try:
        user = create_user(email, password, role, display_name=display_name,
                           site_ids=site_ids, senior_ids=senior_ids, worker_id=worker_id)
    except FieldError as exc:
        click.echo(f"Error: {exc.field}: {exc.message}", err=True)
        sys.exit(2)
    click.echo(user.id)
