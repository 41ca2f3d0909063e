"""Option values more than one command reads the same way."""
from __future__ import annotations

from datetime import datetime, timezone

import click


def moment_option(text: str | None, hint: str = "--now") -> datetime | None:
    """``--now``'s ISO date and time as an aware moment (UTC when it names no zone); None when not given."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("not an ISO date and time", param_hint=hint) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
