"""Benchmark: does the geocoder rate limit hold with several processes at once?

Two gunicorn workers (``gunicorn --workers 2`` serving the Doorstep app, each
answering one request that geocodes its own share of pending seniors, as the
Locations button does) and one real RQ worker (``rq worker --burst``, running
``geocoding.geocode_job`` enqueued through ``dispatch.jobs``) all geocode at
once against the local Nominatim stub, with
the production pace of one request a second. The stub records when each
request arrived; the script prints the smallest gap and the most requests in
any one-second window (Nominatim's policy: at most 1).

    python tests/bench/geocode_rate.py            # PostgreSQL on 127.0.0.1 and Redis db 11 are needed
    PER_PROCESS=10 INTERVAL=1.0 python tests/bench/geocode_rate.py

Figures go to tests/bench/RESULTS.md by hand.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PG = os.environ.get("DISPATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
PER_PROCESS = int(os.environ.get("PER_PROCESS", "8"))
INTERVAL = float(os.environ.get("INTERVAL", "1.0"))


def bench_app():
    """The Doorstep app plus one bench-only route (never in the real app): geocode the ids given.

    gunicorn builds it in each worker (``tests.bench.geocode_rate:bench_app()``), so the
    geocoding runs inside real gunicorn worker processes.
    """
    from flask import jsonify, request

    from dispatch import create_app
    from dispatch.services.people.geocoding import geocode_seniors

    app = create_app()

    @app.get("/bench/geocode")
    def bench_geocode():
        ids = [int(x) for x in request.args["ids"].split(",")]
        return jsonify(pid=os.getpid(), statuses={str(k): v for k, v in geocode_seniors(ids).statuses.items()})

    return app


def _get(port: int, path: str, out: list) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", path)
    response = conn.getresponse()
    out.append((response.status, response.read().decode()))


def _wait_up(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from dispatch import create_app
    from dispatch.extensions import db
    from dispatch.models.senior import GeocodeStatus, Senior
    from dispatch.platform import jobs
    from dispatch.services.people import geocoding
    from tests.factories import create_senior, create_site
    from tests.geocode_stub import GeocodeStub

    schema = f"bench_geocode_{os.getpid()}"
    engine = sa.create_engine(PG)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    tmp = tempfile.mkdtemp()
    n = PER_PROCESS * 3
    places = {f"{i} Bench Road, Shanghai": (31.23 + i * 1e-4, 121.47) for i in range(n)}
    try:
        with GeocodeStub(places) as stub:
            env = dict(os.environ, DISPATCH_DATABASE_URL=f"{PG}?options=-csearch_path%3D{schema}",
                       DISPATCH_DATA_DIR=tmp, DISPATCH_SECRET_KEY="bench", DISPATCH_GEOCODER="nominatim",
                       DISPATCH_GEOCODER_DOMAIN=stub.host, DISPATCH_GEOCODER_SCHEME="http",
                       DISPATCH_GEOCODER_MIN_INTERVAL=str(INTERVAL), DISPATCH_REDIS_URL=REDIS,
                       PYTHONPATH=str(ROOT))
            os.environ.update({k: v for k, v in env.items() if k.startswith("DISPATCH_")})
            app = create_app()
            with app.app_context():
                upgrade()
                site = create_site(name="Bench canteen", lat=31.23, lon=121.47)
                ids = [create_senior(site=site, address=a, lat=None, lon=None,
                                     geocode_status=GeocodeStatus.PENDING).id for a in places]
                shares = [ids[i::3] for i in range(3)]
                handle = geocoding.start_geocoding(shares[2])  # RQ: REDIS_URL is set
                print(f"enqueued RQ job {handle.id} ({handle.status})")
                import socket
                import threading

                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", 0))
                    port = sock.getsockname()[1]
                web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--timeout", "600",
                                        "--bind", f"127.0.0.1:{port}", "tests.bench.geocode_rate:bench_app()"],
                                       env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
                try:
                    _wait_up(port)
                    time.sleep(2)  # both workers booted
                    began = time.monotonic()
                    answers: list = []
                    calls = [threading.Thread(target=_get, args=(port, "/bench/geocode?ids=" + ",".join(map(str, share)),
                                                                 answers)) for share in shares[:2]]
                    for call in calls:
                        call.start()
                    rq = subprocess.Popen(["rq", "worker", "--burst", "--url", REDIS, "-w", "rq.worker.SimpleWorker",
                                           jobs.QUEUE_NAME], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
                    for call in calls:
                        call.join(timeout=600)
                    rq.wait(timeout=600)
                    elapsed = time.monotonic() - began
                finally:
                    web.terminate()
                    web.wait(timeout=30)
                pids = {__import__("json").loads(body)["pid"] for status, body in answers if status == 200}
                print(f"gunicorn answers: {[status for status, _ in answers]} from {len(pids)} worker process(es)")
                db.session.expire_all()
                located = db.session.scalar(sa.select(sa.func.count()).select_from(Senior)
                                            .where(Senior.geocode_status == GeocodeStatus.OK))
                db.session.remove()
                db.engine.dispose()
            times = sorted(t for t, path, _ in stub.hits if path == "/search")
            gaps = [b - a for a, b in zip(times, times[1:])]
            per_window = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
            print(f"{len(times)} requests from 2 gunicorn workers and 1 RQ worker in {elapsed:.1f} s; "
                  f"{located}/{n} located")
            print(f"interval {INTERVAL} s: smallest gap {min(gaps):.3f} s, mean gap {sum(gaps) / len(gaps):.3f} s, "
                  f"most requests in any 1 s window: {per_window}")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
