"""Keep secrets and personal data out of application logs.

Every log record, from any logger (Doorstep's, Flask's, SQLAlchemy's,
gunicorn's), passes through ``scrub`` when it is created: e-mail addresses,
phone-like digit runs, API tokens, bearer/authorization values and
``password=``/``secret=``-style pairs are replaced before any handler sees
them. Logs keep ids (``senior 42``), never names or contact details; code
should log ids in the first place, this is the safety net.

What operators need is kept out of the patterns' reach before they run
(``_KEPT``): the ``status bytes`` pair after the request line of an access log
(gunicorn's default format, ``"GET /path HTTP/1.1" 200 5123``; "200 5123" has
seven digits and a space, so the phone pattern used to eat it) and record ids
in URLs (a digit-only path segment such as ``/staff/seniors/12345678``, or an
``…id=12345678`` query argument). Everything else in the line, query values
included, is still scrubbed.
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
# Spans no pattern may touch: an access log's "status bytes" after the quoted request line, and ids in URLs.
_KEPT = re.compile(
    r'(?:(?<=HTTP/\d\.\d" )|(?<=HTTP/\d" ))\d{3} (?:\d+|-)(?= |$)'  # "GET /x HTTP/1.1" 200 5123
    # Ids have at most 10 digits (2**31 - 1); an 11-digit mobile number in a path is still scrubbed.
    r"|(?<=/)\d{1,10}(?=[/?#.\s\"]|$)"  # /staff/seniors/12345678, /routes/1234567.gpx
    r"|(?<=[?&;])\w*id=\d{1,10}(?=[&;#\s\"]|$)"  # ?senior_id=12345678
)
_MARK = 0xF0000  # private-use code points stand in for the kept spans while the patterns run
_MARKS = re.compile("[\U000F0000-\U000FFFFD]")
_installed = False


def scrub(text: str) -> str:
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group())
        return chr(_MARK + len(kept) - 1)

    if _MARKS.search(text) is None:  # (a line that already holds such code points is scrubbed as it is)
        text = _KEPT.sub(keep, text)
    for pattern, replace in _PATTERNS:
        text = pattern.sub(replace, text)
    if kept:
        text = _MARKS.sub(lambda m: kept[ord(m.group()) - _MARK], text)
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
