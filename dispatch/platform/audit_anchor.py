"""Anchors of the audit trail: its head (event count, last id, hash), kept outside the database.

The keyed chain (``models.audit``) shows any edit, but a trail whose newest rows
were deleted is still a valid chain. So ``doorstep audit anchor`` (cron, every
few minutes) appends the head to a file the database cannot reach
(``AUDIT_ANCHOR_PATH``, one JSON object a line, opened for appending only; ship
it to syslog or make it append-only with ``chattr +a`` in production), and
``doorstep audit verify`` checks the trail against every anchor in it. Each line
carries an HMAC with the audit key, so a forged or edited anchor is noticed too.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app

from dispatch.models.audit import audit_key


class AnchorError(Exception):
    """The anchor file cannot be trusted (unreadable line, wrong signature)."""


@dataclass(frozen=True)
class Anchor:
    anchored_at: str  # ISO time (UTC) the anchor was written
    events: int  # events in the trail up to and including last_id
    last_id: int
    head: str  # the hash of event last_id

    def mac(self) -> str:
        body = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hmac.new(audit_key(), body.encode("utf-8"), hashlib.sha256).hexdigest()


def anchor_path() -> Path:
    return Path(current_app.config["AUDIT_ANCHOR_PATH"])


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """Every anchor in the file, oldest first (none if there is no file yet)."""
    path = path or anchor_path()
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(str(data["anchored_at"]), int(data["events"]), int(data["last_id"]), str(data["head"]))
            mac = str(data["mac"])
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"anchor file {path}, line {number}: not an anchor") from None
        if not hmac.compare_digest(mac, anchor.mac()):
            raise AnchorError(f"anchor file {path}, line {number}: not signed with this audit key (forged or edited)")
        anchors.append(anchor)
    return anchors


def append(anchor: Anchor, path: Path | None = None) -> str:
    """Add ``anchor`` as one line at the end of the file (created 0600), synced to disk; returns the line."""
    path = path or anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({**asdict(anchor), "mac": anchor.mac()}, sort_keys=True, separators=(",", ":"))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return line
