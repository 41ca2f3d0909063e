"""``doorstep coverage`` and ``doorstep suggest-sites``: the coverage page's facts for operators.

Both read as an administrator sees the district (every site and senior) and
change nothing, except ``coverage --apply`` which stores the home sites.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from dispatch.platform import transaction
from dispatch.platform.errors import FieldError

MAX_FILE_BYTES = 8 * 1024 * 1024


class _District:
    """Stands in for an administrator: the CLI runs with the operator's full view."""

    is_authenticated = True
    active = True
    id = None

    def has_role(self, role: str) -> bool:
        return role == "admin"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


@click.command("coverage")
@click.option("--apply", "apply_", is_flag=True, help="Store every senior's optimal home site (staff overrides stay).")
@with_appcontext
@transaction.command
def coverage_command(apply_: bool) -> None:
    """Print coverage: seniors inside a circle, per-site load vs capacity, gaps by neighbourhood."""
    from dispatch.services.coverage import circles as coverage

    report = coverage.coverage_report(_District())
    click.echo(f"Coverage: {_pct(report.pct)} ({report.covered} of {report.total} seniors covered inside the circle of a site with room)")
    click.echo(f"Gaps: {len(report.gaps)}; without a site with room: {report.unplaced}; "
               f"without a location (not counted): {report.unlocated}")
    click.echo("Sites (assigned / capacity, inside circle):")
    for row in report.sites:
        state = "OVER" if row.over else ("full" if row.full else "ok")
        click.echo(f"  {row.site.id:>5}  {row.site.name[:40]:<40} {row.load:>6} / {row.site.daily_capacity:<6} "
                   f"{row.in_circle:>6}  {state}")
    if report.gaps_by_neighbourhood:
        click.echo("Gaps by neighbourhood:")
        for name, gaps, total in report.gaps_by_neighbourhood:
            click.echo(f"  {(name or '(not recorded)')[:40]:<40} {gaps:>6} of {total}")
    if apply_:
        applied = coverage.apply_assignment(by=None)
        click.echo(f"Home sites stored: {applied.changed} changed, {applied.kept_overrides} staff choices kept, "
                   f"{applied.unplaced} without room.")


@click.command("suggest-sites")
@click.option("--k", "k", type=click.IntRange(1, 20), default=3, show_default=True, help="New sites to choose.")
@click.option("--candidates", "candidates_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of candidate places (lat, lon, optional name); default: a grid over the gaps.")
@click.option("--minutes", type=click.IntRange(1, 60), default=15, show_default=True, help="Their circle minutes.")
@click.option("--mode", type=click.Choice(["walk", "e_bike", "car"]), default="walk", show_default=True)
@click.option("--time-limit", type=click.FloatRange(1, 600), default=50.0, show_default=True,
              help="Seconds CP-SAT may search.")
@with_appcontext
@transaction.command
def suggest_sites_command(k: int, candidates_path: Path | None, minutes: int, mode: str, time_limit: float) -> None:
    """Choose up to K new sites that bring the most need-weighted seniors inside a circle; print them and the gain."""
    from dispatch.services.coverage import siting as coverage_siting

    candidates = None
    if candidates_path is not None:
        try:
            if candidates_path.stat().st_size > MAX_FILE_BYTES:
                raise click.UsageError(f"{candidates_path} is larger than 8 MB.")
            data = candidates_path.read_bytes()
        except OSError as error:
            raise click.UsageError(f"cannot read {candidates_path}: {error.strerror}") from None
        # Messages are translated per request (the locale selector reads one): give them one.
        with current_app.test_request_context():
            try:
                candidates = coverage_siting.parse_candidates(data)
                message = None
            except FieldError as error:
                message = str(error.message)
        if message is not None:
            raise click.UsageError(f"{candidates_path}: {message}")
    result = coverage_siting.suggest_sites(_District(), k, candidates=candidates, minutes=minutes, mode=mode,
                                           time_limit=time_limit)
    source = "grid over the gaps" if result.from_grid else str(candidates_path)
    click.echo(f"Tried {result.candidates} candidate places ({source}), {minutes} min by {mode}; "
               f"{'optimal' if result.optimal else 'best found within the time limit'}.")
    for n, choice in enumerate(result.chosen, start=1):
        c = choice.candidate
        click.echo(f"  {n}. {c.name or 'place ' + str(n)}  {c.lat:.6f},{c.lon:.6f}  +{choice.gain_people} seniors")
    gain = result.after_covered - result.before_covered
    click.echo(f"Coverage: {_pct(result.before_pct)} -> {_pct(result.after_pct)} "
               f"(+{gain} seniors, need weight +{result.gain_weight})")
