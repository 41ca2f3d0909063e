"""``doorstep seed`` and ``doorstep demo``: a realistic demo district, ready to click through."""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from dispatch.config import SETTINGS
from dispatch.platform import clock, transaction
from dispatch.routing.engine import backend as engine_backend
from dispatch.routing.engine import preload as preload_engine

EXIT_REFUSED = 1
EXIT_NO_SCHEMA = 3


def _print_logins(logins) -> None:
    click.echo("Demo logins (password for all: %s):" % (logins[0].password if logins else "-"))
    for login in logins:
        scope = f"  — {login.scope}" if login.scope else ""
        click.echo(f"  {login.role:<7} {login.email}{scope}")


def _generate_and_seed(*, seniors: int, sites: int, seed: int, workers: int | None, center: str | None,
                       today: date | None, reset: bool, with_logins: bool, layout=None):
    from dispatch.demo.district import generate_district
    from dispatch.demo.seed import SeedRefused, schema_is_ready, seed_district

    if not schema_is_ready():
        click.echo("Error: the database has no schema yet; run `doorstep db upgrade` first "
                   "(or `doorstep demo`, which migrates).", err=True)
        sys.exit(EXIT_NO_SCHEMA)
    started = time.perf_counter()
    # on a street extract (``demo --streets``): its centre, size, time zone, and homes on its nodes
    on_streets = {} if layout is None else {"half_km": layout.half_km, "placer": layout.placer,
                                            "timezone": layout.timezone}
    if layout is not None:
        center = layout.center_text()
    try:
        district = generate_district(
            seed=seed, today=today or clock.local_today(), seniors=seniors, sites=sites, workers=workers,
            center=center or current_app.config["DEMO_CENTER"], **on_streets,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        with transaction.unit():
            result = seed_district(district, reset=reset, with_logins=with_logins)
    except SeedRefused as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(district.summary())
    click.echo(f"Seeded in {time.perf_counter() - started:.1f}s (seed {seed}).")
    return result


def _district_options(func):
    options = [
        click.option("--seniors", type=click.IntRange(1, 100_000), default=600, show_default=True,
                     help="How many seniors."),
        click.option("--sites", type=click.IntRange(1, 200), default=8, show_default=True,
                     help="How many meal sites."),
        click.option("--seed", "seed", type=int, default=1, show_default=True,
                     help="Random seed: the same seed gives the same district."),
        click.option("--reset", is_flag=True,
                     help="Start afresh: the demo's own SQLite file is rebuilt (demo); a database named by "
                          "DATABASE_URL gets its rows replaced and keeps its append-only audit trail."),
    ]
    for option in reversed(options):  # click lists options in decorator order
        func = option(func)
    return func


@click.command("seed")
@_district_options
@click.option("--workers", type=click.IntRange(1, 10_000), default=None,
              help="How many workers (default: one per 15 seniors, at least 8).")
@click.option("--center", default=None, help="District centre 'lat,lon' (default: DEMO_CENTER).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day whose requests and holds are generated (default: today).")
@click.option("--no-logins", is_flag=True, help="Do not create the four demo accounts.")
@with_appcontext
@transaction.command
def seed_command(seniors, sites, seed, reset, workers, center, today, no_logins):
    """Fill an empty database with a deterministic demo district (exit 1 if it holds data)."""
    result = _generate_and_seed(
        seniors=seniors, sites=sites, seed=seed, workers=workers, center=center,
        today=today.date() if today else None, reset=reset, with_logins=not no_logins,
    )
    if result.logins:
        _print_logins(result.logins)


@click.command("demo")
@_district_options
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the database and print the logins, then exit.")
@click.option("--no-plan", is_flag=True,
              help="Leave today unplanned (by default a fresh demo makes today's orders and publishes the demo "
                   "worker's meal run).")
@click.option("--no-history", is_flag=True,
              help="Leave the past empty (by default a fresh demo gets the last 7 days of meals, visits and "
                   "alerts, so the dashboard and statements have figures).")
@click.option("--real-clock", is_flag=True,
              help="Run on the machine's clock instead of the demo clock (late morning in the district).")
@click.option("--streets", "streets_pbf", type=click.Path(dir_okay=False), default=None, metavar="PATH.osm.pbf",
              help="Lay the district out on this OpenStreetMap extract and measure every time on its streets "
                   "(builds the network into DATA_DIR/streets, or reuses the one built from the same file).")
@click.option("--county", is_flag=True,
              help="Add the generated rural county: a township kitchen, its village points, 300 seniors over about "
                   "40 km, cars for the trunk runs and walking volunteers; the staff login plans its lunch on Today.")
@with_appcontext
def demo_command(seniors, sites, seed, reset, port, no_serve, no_plan, no_history, real_clock, streets_pbf, county):
    """Migrate, seed a demo district if the database is empty, print logins and serve on 127.0.0.1."""
    from flask_migrate import upgrade

    from dispatch.demo.reset import remove_demo_database
    from dispatch.demo.seed import database_is_empty, demo_logins_in_db, has_demo_logins

    click.echo(f"Database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    layout = _use_streets(streets_pbf) if streets_pbf else None
    if not real_clock and not current_app.config.get("CLOCK_OFFSET_SECONDS"):
        _use_demo_clock()
    if reset:
        removed = remove_demo_database()
        if removed is not None:
            click.echo(f"Reset: removed the demo database {removed} (its audit trail with it); building a new one.")
        else:
            click.echo("Reset: replacing the district's rows; the audit trail is append-only and is kept.")
    upgrade()
    if layout is not None and not reset and not database_is_empty():
        _refuse_a_district_elsewhere()
    if reset or database_is_empty():
        result = _generate_and_seed(seniors=seniors, sites=sites, seed=seed, workers=None, center=None,
                                    today=None, reset=reset, with_logins=True, layout=layout)
        logins = result.logins
        if not no_history:
            _write_history(seed)
        if not no_plan:
            moved_to, visitor = _prepare_today()
            if moved_to:
                logins = [replace(x, scope=moved_to) if x.role == "worker" else x for x in logins]
            if visitor:
                logins = _with_visitor(logins, visitor)
    elif has_demo_logins():
        click.echo("The database is already seeded; reusing it (pass --reset to start afresh).")
        logins = demo_logins_in_db()
    else:
        click.echo("Error: the database holds data that is not the demo's; pass --reset to replace it "
                   "or point DISPATCH_DATA_DIR / DISPATCH_DATABASE_URL elsewhere.", err=True)
        sys.exit(EXIT_REFUSED)
    if county:
        _add_county(seed)
    _print_logins(logins)
    click.echo(f"Routing engine: {engine_backend.describe()}.")
    if no_serve:
        return
    click.echo(f"Serving on http://127.0.0.1:{port}/ (two-factor not required in the demo; Ctrl+C stops).")
    # Not app.run(): Flask ignores it inside a ``flask``/``doorstep`` command.
    run_simple("127.0.0.1", port, served_app(), threaded=True)


def _add_county(seed: int) -> None:
    """Seed the generated rural county once (a database that has it keeps it) and give the staff login its kitchen."""
    import sqlalchemy as sa

    from dispatch.demo.county import county_site, seed_county
    from dispatch.demo.seed import DEMO_EMAILS
    from dispatch.extensions import db
    from dispatch.models.user import User

    if county_site() is not None:
        click.echo("County: already seeded; plan its lunch from the staff Today page.")
        return
    started = time.perf_counter()
    with transaction.unit():
        staff = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["staff"]))
        seeded = seed_county(clock.local_today(), seed=seed, staff=staff)
        click.echo(f"{seeded.summary()} ({time.perf_counter() - started:.1f}s); plan it from the staff Today page "
                   f"({seeded.site.name}).")


def _use_streets(pbf: str):
    """Build (or reuse) the extract's network in DATA_DIR/streets, switch this app (and the served one: it
    copies the settings) to the streets provider and the extract's time zone; the district's layout.

    A missing or corrupt file stops here, before the database is touched (exit 1)."""
    from dispatch.demo.streets import layout_for, prepare_network
    from dispatch.platform import travel
    from dispatch.routing.streets import StreetsError

    started = time.perf_counter()
    try:
        prepared = prepare_network(pbf, travel.streets_dir(), progress=lambda m: click.echo(f"  streets: {m}"))
    except StreetsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    how = "reusing the network built from" if prepared.reused else "built the network from"
    click.echo(f"Streets: {how} {prepared.info['source']} ({time.perf_counter() - started:.1f}s).")
    config = current_app.config
    config["TRAVEL_PROVIDER"] = "streets"
    current_app.extensions.pop(travel.EXTENSION, None)  # a provider chosen before now is not the streets one
    layout = layout_for(travel.provider().network)
    config["TIMEZONE"] = layout.timezone
    config["DEMO_CENTER"] = layout.center_text()
    click.echo(f"District on its streets: centre {layout.center_text()}, {2 * layout.half_km[0]:.1f} km x "
               f"{2 * layout.half_km[1]:.1f} km, time zone {layout.timezone}.")
    return layout


def _refuse_a_district_elsewhere() -> None:
    """A database seeded on other ground (the default district, another extract) is not reused on this one."""
    from dispatch.demo.streets import district_outside
    from dispatch.platform import travel

    outside = district_outside(travel.provider().network)
    if outside:
        click.echo(f"Error: the database holds a district elsewhere ({outside} meal sites outside this extract); "
                   "pass --reset to seed one on these streets.", err=True)
        sys.exit(EXIT_REFUSED)


def _use_demo_clock() -> None:
    """Move this app's clock (and the served app's: it copies the setting) to late morning in the district."""
    from dispatch.demo.day import clock_offset

    zone = clock.default_zone()
    current_app.config["CLOCK_OFFSET_SECONDS"] = clock_offset(clock.now(), zone)
    clock.install(current_app)
    local = clock.now().astimezone(zone)
    click.echo(f"Demo clock: {local:%Y-%m-%d %H:%M} in {zone.key}, running from there "
               "(--real-clock keeps the machine's time).")


def _write_history(seed: int) -> None:
    """The last week, written directly (``demo.history``): seconds, where ``doorstep simulate`` takes minutes."""
    from dispatch.demo.history import quick_history
    from dispatch.demo.visitation import visitation_history

    started = time.perf_counter()
    # The simulated visits word their reasons through Flask-Babel, which reads the request's locale.
    with current_app.test_request_context(), transaction.unit():
        played = quick_history(today=clock.local_today(), seed=seed)
        visited = visitation_history(today=clock.local_today(), seed=seed)
    click.echo(f"History: {played.summary()}.")
    click.echo(f"Visitation: {visited.summary()}.")
    click.echo(f"History written in {time.perf_counter() - started:.1f}s.")


def _with_visitor(logins, visitor: str):
    """The volunteer visitor's login, printed after the worker's."""
    from dispatch.demo.seed import VISITOR_EMAIL, DemoLogin

    at = next((i + 1 for i, x in enumerate(logins) if x.role == "worker"), len(logins))
    password = logins[0].password if logins else ""
    return logins[:at] + [DemoLogin("worker", VISITOR_EMAIL, password, f"{visitor}, welfare visits")] + logins[at:]


def _prepare_today() -> tuple[str | None, str | None]:
    """Plan today ahead; returns (the worker the demo worker login moved to, the visitor login's worker)."""
    from dispatch.demo.day import prepare_demo_day

    started = time.perf_counter()
    # The search's compiled kernels first (on a fresh clone numba compiles them once, ~40 s): loaded inside
    # the plan's own budget they would leave the lunch run to OR-Tools alone, without a single iteration.
    preload_engine()
    try:
        with transaction.unit():
            day = prepare_demo_day(clock.local_today())
    except Exception as exc:  # noqa: BLE001 - the demo still serves; the staff pages can plan by hand
        click.echo(f"Could not plan today ahead ({exc}); plan it from the staff Today page.", err=True)
        return None, None
    click.echo(f"Today: {day.orders_made} meal orders made at the demo staff's sites.")
    for p in day.plans:
        if not p.published and not p.stops:
            click.echo(f"  {p.site}, {p.meal.value}: not planned: {p.note}")
            continue
        state = "published" if p.published else f"not published: {p.note}"
        click.echo(f"  {p.site}, {p.meal.value}: {p.stops} stops on {p.routes} routes, {state}")
    v = day.visitation
    if v is not None:
        click.echo(f"Visitation: {v.dues_made} visits and calls due, {v.overdue_alerts} overdue on the board "
                   f"({v.district_escalations} told to the district).")
        if v.visitor:
            click.echo(f"  visits: {v.visits_planned} welfare visits planned and published, "
                       f"{v.visitor_visits} of them on {v.visitor}'s round")
        elif v.note:
            click.echo(f"  visits round not planned: {v.note}")
    click.echo(f"Planned in {time.perf_counter() - started:.1f}s; the other meals are left for the staff "
               "login to plan.")
    return day.worker, (v.visitor if v is not None else None)


def served_app():
    """The app ``doorstep demo`` serves: the current app's settings (so the same database, clock, travel
    provider and time zone, streets included), with staff 2FA off for the demo."""
    from dispatch import create_app

    settings = {key: current_app.config[key] for key in SETTINGS if key in current_app.config}
    settings["REQUIRE_2FA_FOR_STAFF"] = False
    if "SQLALCHEMY_ENGINE_OPTIONS" in current_app.config:  # the same database means the same engine options
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    return create_app(settings)
