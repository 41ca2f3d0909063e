"""``doorstep api-token ...`` and ``doorstep audit verify|anchor``: API tokens and the audit chain from a shell."""
from __future__ import annotations

import sys
from datetime import timezone

import click
from flask.cli import with_appcontext

from dispatch.models.user import RoleName
from dispatch.platform import transaction


@click.group("api-token")
def api_token_group() -> None:
    """Issue, list and revoke API tokens."""


@api_token_group.command("create")
@click.option("--email", required=True, help="The account the token acts for.")
@click.option("--role", required=True, type=click.Choice([r.value for r in RoleName]))
@click.option("--name", required=True, help="What uses the token, e.g. 'call centre'.")
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires.")
@click.option("--site", "site_ids", multiple=True, type=int, help="A site a staff token may reach (repeatable).")
@with_appcontext
@transaction.command
def create_token_command(email, role, name, days, site_ids):
    """Issue a token; prints it once (only its hash is stored). Exit 2 on bad input."""
    import sqlalchemy as sa

    from dispatch.extensions import db
    from dispatch.models.user import User
    from dispatch.platform.errors import FieldError
    from dispatch.services.people import api_tokens

    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if user is None:
        click.echo("Error: email: no such account", err=True)
        sys.exit(2)
    from flask import current_app

    with current_app.test_request_context():  # messages are translated, which needs a locale
        try:
            issued = api_tokens.issue(user, role=role, name=name, days=days, site_ids=site_ids, by=None)
        except FieldError as exc:
            click.echo(f"Error: {exc.field}: {exc.message}", err=True)
            sys.exit(2)
    click.echo(f"token {issued.token.id} expires {issued.token.expires_dt:%Y-%m-%d}", err=True)
    click.echo(issued.secret)


@api_token_group.command("list")
@with_appcontext
def list_tokens_command():
    """List tokens: id, prefix, role, account, expiry, state."""
    from dispatch.platform import clock
    from dispatch.services.people import api_tokens

    now = clock.now()
    for token in api_tokens.all_tokens():
        state = "revoked" if token.revoked_dt else ("expired" if token.expires_dt <= now else "active")
        click.echo(f"{token.id}\t{token.prefix}\t{token.role}\t{token.user.email}\t"
                   f"{token.expires_dt:%Y-%m-%d}\t{state}\t{token.name}")


@api_token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
@transaction.command
def revoke_token_command(token_id):
    """Revoke a token at once."""
    from werkzeug.exceptions import NotFound

    from dispatch.services.people import api_tokens

    try:
        token = api_tokens.get_token_or_404(token_id)
    except NotFound:
        click.echo("Error: no such token", err=True)
        sys.exit(2)
    api_tokens.revoke(token, by=None)
    click.echo(f"token {token_id} revoked")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command():
    """Check the audit trail's keyed chain and its anchors; exit 1 and name the first bad row if broken."""
    from dispatch.platform.audit_chain import verify

    result = verify()
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} events")
        if result.anchor is None:
            click.echo("no anchor yet: run `doorstep audit anchor` on a schedule (see README)", err=True)
        else:
            click.echo(f"checked against the anchor of {result.anchor.anchored_at} "
                       f"({result.anchor.events} events up to event {result.anchor.last_id})")
        return
    where = f"event {result.first_bad_id}" if result.first_bad_id is not None else "the anchors"
    click.echo(f"audit chain BROKEN at {where}: {result.reason} "
               f"({result.checked} events checked before it)", err=True)
    sys.exit(1)


@audit_group.command("anchor")
@with_appcontext
def audit_anchor_command():
    """Check the events since the last anchor, then append the trail's head to AUDIT_ANCHOR_PATH (cron).

    Prints the anchor line (for the system log too); exit 1, anchoring nothing, if the check fails.
    """
    from dispatch.platform import clock
    from dispatch.platform.audit_anchor import anchor_path
    from dispatch.platform.audit_chain import anchor

    now = clock.now().astimezone(timezone.utc).isoformat(timespec="seconds")
    result, line = anchor(now)
    if not result.ok:
        click.echo(f"audit chain BROKEN at event {result.first_bad_id}: {result.reason}; nothing anchored", err=True)
        sys.exit(1)
    if line is None:
        click.echo(f"audit head unchanged: {result.checked} events up to event {result.last_id}")
        return
    click.echo(f"audit anchor {anchor_path()}: {line}")
