"""Load benchmark: simulated workers posting stop outcomes and polling their day through the API.

Run by hand (loopback only, bounded in time), e.g.::

    python tests/bench/api_load.py --workers 200 --seconds 60 --think 2.0 --gunicorn-workers 4

It creates a throwaway PostgreSQL database on 127.0.0.1:5432, migrates it,
seeds one site with ``--workers`` workers (each with a worker API token and a
published route of ``--stops`` stops today), starts gunicorn on the app and
on ``bare_app.py`` with the same settings, then:

1. **Mixed load**: each simulated worker loops ``GET /api/v1/me/day`` then
   ``POST /api/v1/stops/<id>/outcomes`` (fresh client id), sleeping ``--think``
   seconds between rounds. Reports p50/p95/p99 latency, errors, and lost
   outcomes (acknowledged taps missing from the database afterwards).
2. **Throughput ratio**: a closed loop (``--closed-threads`` threads, no think
   time, ``--closed-seconds``) against ``/api/v1/me/day`` and against the bare
   endpoint; the ratio of the two request rates.

Prints a JSON summary and drops the database.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on {port} did not come up")


def seed(url: str, data_dir: str, n_workers: int, n_stops: int) -> list[dict]:
    os.environ["DISPATCH_DATABASE_URL"] = url
    os.environ["DISPATCH_DATA_DIR"] = data_dir
    from flask_migrate import upgrade

    from dispatch import create_app
    from dispatch.extensions import db, security
    from dispatch.models import (
        Diet,
        EmergencyContact,
        MealMode,
        MealOrder,
        MealSite,
        MealType,
        Plan,
        PlanKind,
        PlanStatus,
        Route,
        Senior,
        Stop,
        StopKind,
        Worker,
        WorkerKind,
    )
    from dispatch.services.people import api_tokens

    app = create_app({"SECRET_KEY": "bench", "REQUIRE_2FA_FOR_STAFF": False})
    with app.app_context():
        upgrade()
        zone = ZoneInfo("Asia/Shanghai")
        today = datetime.now(zone).date()
        site = MealSite(name="Bench canteen", address="1 Bench Road", lat=31.23, lon=121.47, daily_capacity=5000,
                        timezone="Asia/Shanghai")
        db.session.add(site)
        db.session.flush()
        plan = Plan(site_id=site.id, service_date=today, kind=PlanKind.MEALS, meal=MealType.LUNCH,
                    status=PlanStatus.PUBLISHED, version_number=1)
        db.session.add(plan)
        role = security.datastore.find_or_create_role("worker")
        start = datetime.combine(today, datetime.min.time(), zone).astimezone(timezone.utc) + timedelta(hours=3)
        users = []
        for w in range(n_workers):
            user = security.datastore.create_user(email=f"bench{w}@example.org", password="x", display_name=f"W{w}",
                                                  roles=[role], active=True)
            worker = Worker(full_name=f"Worker {w}", kind=WorkerKind.DRIVER, home_site_id=site.id, capacity_meals=20,
                            user=user)
            route = Route(worker=worker, position=w, start_dt=start)
            plan.routes.append(route)
            for s in range(n_stops):
                senior = Senior(full_name=f"Senior {w}-{s}", date_of_birth=datetime(1940, 1, 1).date(),
                                address=f"{s} Lane {w}", lat=31.23, lon=121.47, home_site_id=site.id,
                                diet=Diet.REGULAR,
                                contacts=[EmergencyContact(name="C", relation="son", phone="13700000000", priority=1)])
                order = MealOrder(senior=senior, site_id=site.id, service_date=today, meal=MealType.LUNCH,
                                  mode=MealMode.DELIVERY, diet=Diet.REGULAR)
                route.stops.append(Stop(position=s, kind=StopKind.MEAL, senior=senior, meal_order=order,
                                        window_start_dt=start, window_end_dt=start + timedelta(hours=2)))
            users.append((user, route))
        db.session.commit()
        out = []
        for user, route in users:
            token = api_tokens.issue(user, role="worker", name="bench", days=1, by=None).secret
            out.append({"token": token, "stops": [s.id for s in route.stops]})
        db.engine.dispose()
    return out


def count_events(url: str, client_ids: set[str]) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT client_id FROM stop_event")).scalars())
    engine.dispose()
    return len(client_ids & stored)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"day": [], "outcome": []}
        self.errors: list[str] = []
        self.acked: set[str] = set()

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)


def _request(conn, method, path, headers, body=None):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def simulated_worker(port: int, spec: dict, stats: Stats, stop_at: float, think: float) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {spec['token']}", "Content-Type": "application/json"}
    i = 0
    time.sleep(random.uniform(0, think))  # spread the starts
    while time.time() < stop_at:
        try:
            t0 = time.perf_counter()
            status, _ = _request(conn, "GET", "/api/v1/me/day", headers)
            stats.add("day", time.perf_counter() - t0)
            if status != 200:
                stats.errors.append(f"day {status}")
            stop_id = spec["stops"][i % len(spec["stops"])]
            client_id = uuid.uuid4().hex
            body = json.dumps({"client_id": client_id, "outcome": "delivered"})
            t0 = time.perf_counter()
            status, _ = _request(conn, "POST", f"/api/v1/stops/{stop_id}/outcomes", headers, body)
            stats.add("outcome", time.perf_counter() - t0)
            if status == 200:
                with stats.lock:
                    stats.acked.add(client_id)
            else:
                stats.errors.append(f"outcome {status}")
        except (OSError, http.client.HTTPException) as error:
            stats.errors.append(type(error).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i += 1
        time.sleep(think * random.uniform(0.5, 1.5))
    conn.close()


def closed_loop(port: int, path: str, headers: dict, threads: int, seconds: float) -> dict:
    counts, errors = [0] * threads, [0] * threads
    stop_at = time.time() + seconds

    def run(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < stop_at:
            try:
                status, _ = _request(conn, "GET", path, headers)
                counts[k] += 1
                errors[k] += status != 200
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    t0 = time.time()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.time() - t0
    return {"requests": sum(counts), "errors": sum(errors), "rps": round(sum(counts) / elapsed, 1)}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return round(1000 * values[min(len(values) - 1, int(q * len(values)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument("--stops", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a worker's rounds")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="gthread threads per gunicorn worker")
    parser.add_argument("--closed-threads", type=int, default=16)
    parser.add_argument("--closed-seconds", type=float, default=15)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    import sqlalchemy as sa

    name = f"doorstep_bench_{os.getpid()}"
    admin = sa.create_engine(f"{args.pg}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{args.pg}/{name}"
    data_dir = tempfile.mkdtemp(prefix="doorstep-bench-")
    procs = []
    try:
        t0 = time.time()
        specs = seed(url, data_dir, args.workers, args.stops)
        print(f"seeded {args.workers} workers x {args.stops} stops in {time.time() - t0:.1f} s", file=sys.stderr)
        env = {**os.environ, "DISPATCH_DATABASE_URL": url, "DISPATCH_DATA_DIR": data_dir,
               "DISPATCH_SECRET_KEY": "bench", "DISPATCH_REQUIRE_2FA_FOR_STAFF": "0"}
        app_port, bare_port = free_port(), free_port()
        common = ["-m", "gunicorn", "--workers", str(args.gunicorn_workers), "--worker-class", "gthread",
                  "--threads", str(args.gunicorn_threads), "--keep-alive", "30", "--log-level", "warning"]
        procs.append(subprocess.Popen([sys.executable, *common, "--bind", f"127.0.0.1:{app_port}", "wsgi:app"],
                                      cwd=ROOT, env=env))
        procs.append(subprocess.Popen([sys.executable, *common, "--bind", f"127.0.0.1:{bare_port}", "bare_app:app"],
                                      cwd=ROOT / "tests" / "bench", env=env))
        wait_up(app_port, "/api/v1/openapi.json")
        wait_up(bare_port, "/ping")

        stats = Stats()
        stop_at = time.time() + args.seconds
        threads = [threading.Thread(target=simulated_worker, args=(app_port, spec, stats, stop_at, args.think))
                   for spec in specs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        all_latencies = stats.latencies["day"] + stats.latencies["outcome"]
        stored = count_events(url, stats.acked)
        mixed = {
            "requests": len(all_latencies), "rps": round(len(all_latencies) / args.seconds, 1),
            "p50_ms": pct(all_latencies, 0.50), "p95_ms": pct(all_latencies, 0.95), "p99_ms": pct(all_latencies, 0.99),
            "day_p95_ms": pct(stats.latencies["day"], 0.95), "outcome_p95_ms": pct(stats.latencies["outcome"], 0.95),
            "errors": len(stats.errors), "error_kinds": sorted(set(stats.errors))[:5],
            "outcomes_acknowledged": len(stats.acked), "outcomes_lost": len(stats.acked) - stored,
        }
        token = {"Authorization": f"Bearer {specs[0]['token']}"}
        app_closed = closed_loop(app_port, "/api/v1/me/day", token, args.closed_threads, args.closed_seconds)
        bare_closed = closed_loop(bare_port, "/ping", {}, args.closed_threads, args.closed_seconds)
        summary = {
            "settings": vars(args) | {"pg": "127.0.0.1:5432"}, "cpus": os.cpu_count(),
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "mixed": mixed, "closed_loop_app": app_closed, "closed_loop_bare": bare_closed,
            "throughput_ratio_app_over_bare": round(app_closed["rps"] / bare_closed["rps"], 3)
            if bare_closed["rps"] else None,
            "statistics_mean_ms": round(1000 * statistics.mean(all_latencies), 1) if all_latencies else None,
        }
        print(json.dumps(summary, indent=2))
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
