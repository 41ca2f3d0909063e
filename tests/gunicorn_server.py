"""gunicorn serving ``wsgi:app`` for the fault tests: started on a free port, waited for, stopped."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path
from time import sleep, time

import pytest

from tests import testclock
from tests.conftest import TEST_AUDIT_KEY
from tests.pg_cluster import free_port

ROOT = Path(__file__).resolve().parents[1]


def start(database_url: str, data_dir, *, workers: int = 1, threads: int = 1) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DISPATCH_DATABASE_URL": database_url, "DISPATCH_DATA_DIR": str(data_dir),
           "DISPATCH_SECRET_KEY": "test-secret", "DISPATCH_REQUIRE_2FA_FOR_STAFF": "0",
           "DISPATCH_AUDIT_KEY": TEST_AUDIT_KEY,  # one audit chain key for the run's database
           "DISPATCH_CLOCK_OFFSET_SECONDS": str(round(testclock.OFFSET.total_seconds()))}
    threading = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), *threading,
                             "--timeout", "60", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                            cwd=ROOT, env=env)
    deadline = time() + 60
    while time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            sleep(0.3)
    proc.kill()
    pytest.fail("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def workers_of(pid: int) -> list[int]:
    """The master's worker processes."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
