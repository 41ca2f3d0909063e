"""Uploaded files kept between a preview and its confirmation, private to the user who sent them.

The file is kept on disk under ``DATA_DIR/imports/<user id>/`` with a random
name, so the confirmation step imports exactly the bytes that were previewed
and another user's token finds nothing. Files older than a day are swept.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder(user_id: int) -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "imports" / str(int(user_id))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def keep(data: bytes, filename: str, *, user_id: int) -> str:
    """Store an upload; return the token that finds it again."""
    folder = _folder(user_id)
    _sweep(folder)
    token = secrets.token_hex(16)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"filename": filename[:200]}))
    return token


def load(token: str, *, user_id: int) -> tuple[bytes, str] | None:
    """The bytes and file name stored under ``token`` for this user, or None."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    folder = _folder(user_id)
    try:
        data = (folder / f"{token}.bin").read_bytes()
        meta = json.loads((folder / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    return data, str(meta.get("filename") or "")


def discard(token: str, *, user_id: int) -> None:
    if isinstance(token, str) and _TOKEN.match(token):
        for suffix in (".bin", ".json"):
            (_folder(user_id) / f"{token}{suffix}").unlink(missing_ok=True)
