"""Benchmark: a simulated week of the default demo district (600 seniors, 8 sites) on SQLite, then
the dashboard, every site's monthly statement, a closing, and a counter quote.
Run: ``python tests/bench/statements_dashboard.py [--seniors 600] [--days 7]`` (figures to RESULTS.md by hand).
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seniors", type=int, default=600)
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="doorstep-bench-"))
    from flask_migrate import upgrade

    from dispatch import create_app
    from dispatch.extensions import db

    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "DATA_DIR": str(folder),
                      "SECRET_KEY": "bench"})
    today = date(2026, 4, 3)
    with app.app_context():
        upgrade()
        from dispatch.demo.district import generate_district
        from dispatch.demo.seed import seed_district
        from dispatch.demo.simulate import simulate
        from dispatch.models import MealSite, Senior, User
        from dispatch.services.meals import dine_in
        from dispatch.services.money import dashboard, statements

        seed_district(generate_district(seed=1, today=today, seniors=args.seniors, sites=args.sites))
        db.session.commit()
        with app.test_request_context():
            t = time.perf_counter()
            played = simulate(days=args.days, today=today, seed=1)
            sim = time.perf_counter() - t
            print(played.summary())
            print(f"simulate {args.days} days: {sim:.1f} s ({played.deliveries + played.dine_in + 2 * played.visits} "
                  f"taps and counter records, {1000 * sim / max(1, played.deliveries + played.dine_in):.1f} ms each)")
            admin = db.session.scalar(db.select(User).where(User.email == "admin@doorstep.demo"))
            t = time.perf_counter()
            dashboard.build(admin, last=today - timedelta(days=1), days=7)
            print(f"dashboard (all sites, 7 days): {time.perf_counter() - t:.2f} s")
            sites = list(db.session.scalars(db.select(MealSite)))
            month = date(2026, 3, 1)
            t = time.perf_counter()
            lines = sum(len(statements.statement(s, month).lines) for s in sites)
            print(f"statements, {len(sites)} sites, {lines} lines: {time.perf_counter() - t:.2f} s")
            t = time.perf_counter()
            for s in sites:
                statements.close_month(s, month, by=admin, today=today)
            print(f"close {len(sites)} site-months: {time.perf_counter() - t:.2f} s")
            senior = db.session.scalar(db.select(Senior).where(Senior.home_site_id == sites[0].id))
            t = time.perf_counter()
            for _ in range(20):
                dine_in.quote(senior, sites[0], today - timedelta(days=1), dine_in.MealType.LUNCH)
            print(f"counter quote: {1000 * (time.perf_counter() - t) / 20:.1f} ms")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
