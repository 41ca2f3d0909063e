"""Keep secrets and personal data out of application logs.

Every log record, from any logger (Doorstep's, Flask's, SQLAlchemy's,
gunicorn's), passes through ``scrub`` when it is created: e-mail addresses,
phone-like digit runs, API tokens, bearer/authorization values and
``password=``/``secret=``-style pairs are replaced before any handler sees
them. Logs keep ids (``senior 42``), never names or contact details; code
should log ids in the first place, this is the safety net.
"""
from __future__ import annotations

import logging
import re

from flask import Flask

REDACTED = "[redacted]"
_PATTERNS = (
    # key=value / "key": "value" pairs whose value is a secret.
    (re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|totp|csrf_token|session)"
                r"(\"?\s*[:=]\s*\"?)([^\s\"',;&]+)"), lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), lambda m: f"{m.group(1)} {REDACTED}"),
    (re.compile(r"\bdst_[A-Za-z0-9_-]{8,}"), lambda m: REDACTED),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), lambda m: "[email]"),
    # Phone numbers: 7+ digits, maybe with spaces, dashes or a leading + (not ISO dates).
    (re.compile(r"(?<![\w.:-])(?!\d{4}-\d\d-\d\d)\+?\d(?:[\s-]?\d){6,}(?![\w.:])"), lambda m: "[phone]"),
)
_installed = False


def scrub(text: str) -> str:
    for pattern, replace in _PATTERNS:
        text = pattern.sub(replace, text)
    return text


def _scrubbing_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: log it as it is
            return record
        clean = scrub(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return record

    factory._doorstep_scrub = True  # type: ignore[attr-defined]
    return factory


def install() -> None:
    """Scrub every record from now on (idempotent: installing twice changes nothing)."""
    global _installed
    current = logging.getLogRecordFactory()
    if getattr(current, "_doorstep_scrub", False):
        _installed = True
        return
    logging.setLogRecordFactory(_scrubbing_factory(current))
    _installed = True


def init_app(app: Flask) -> None:
    install()
