"""The tile part of a map spec for ``static/map.js``, read from settings.

Pages build the rest of the spec (layers of markers, circles, polygons and
polylines); the tile server is a deployment choice, and an empty
``MAP_TILE_URL`` means "no tile server", which map.js draws as a plain
background with a note, so a map page must stay useful without tiles.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def tile_spec(config: Any = None) -> dict[str, str] | None:
    """``{"url", "attribution"}`` for map.js, or None when tiles are switched off."""
    config = current_app.config if config is None else config
    url = (config.get("MAP_TILE_URL") or "").strip()
    if not url:
        return None
    return {"url": url, "attribution": config.get("MAP_TILE_ATTRIBUTION") or ""}


def tile_origin(config: Any = None) -> str | None:
    """``scheme://host`` of the tile server, for a page CSP's ``img-src``; None when off."""
    spec = tile_spec(config)
    if spec is None:
        return None
    parts = urlsplit(spec["url"])
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
