"""Entry point for gunicorn: ``gunicorn wsgi:app``."""
import gc

from dispatch import create_app

app = create_app()
# What the app loads once (modules, templates, table metadata: ~300k objects) lives as long as the worker.
# Frozen out of the cyclic collector, it no longer makes each full collection walk it: those walks stalled
# every request in the worker for 0.1-0.3 s (tests/bench/api_load.py's p95).
gc.freeze()
