"""Addresses to coordinates through geopy: Nominatim by default, Baidu for Chinese addresses when configured.

Every call waits its turn in the shared rate limit (Nominatim's policy is one
request a second for the whole installation) and its answer is cached by
normalised address, so re-importing or re-locating costs no second call.
A match is trusted (``ok``) only when it is precise and near the senior's home
site; otherwise it is ``doubtful``, and no match is ``failed``: staff then place
the pin by hand (``manual``). When the geocoder is down the address keeps its
``pending``/``failed`` flag and is tried again later: nothing is lost.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from geopy.distance import geodesic
from geopy.exc import GeocoderQueryError, GeopyError

from dispatch.extensions import db
from dispatch.models.geocode import GeocodeCache
from dispatch.models.senior import GeocodeStatus, Senior
from dispatch.platform import audit, transaction
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.rate_limit import turn
from dispatch.services.people.datums import bd09_to_wgs84

# A stop after this many outage errors in a row: the rest stay pending for the next run.
MAX_CONSECUTIVE_OUTAGES = 3


class GeocoderDown(RuntimeError):
    """The geocoder did not answer (timeout, 5xx, refused): nothing can be concluded about the address."""


@dataclass(frozen=True)
class Match:
    """A geocoder's answer in WGS-84; ``precise`` when it names a building or house, not a street or district."""

    lat: float
    lon: float
    confidence: float
    precise: bool
    display_name: str = ""


def normalise_address(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().replace(",", " ").split())[:300]


def _bbox_metres(raw: dict[str, Any]) -> float | None:
    try:
        south, north, west, east = (float(v) for v in raw["boundingbox"])
    except (KeyError, TypeError, ValueError):
        return None
    return geodesic((south, west), (north, east)).meters


def nominatim_lookup(query: str, config) -> Match | None:
    from geopy.geocoders import Nominatim

    geocoder = Nominatim(user_agent=config["GEOCODER_USER_AGENT"], domain=config["GEOCODER_DOMAIN"],
                         scheme=config["GEOCODER_SCHEME"], timeout=config["GEOCODER_TIMEOUT"])
    try:
        location = geocoder.geocode(query, exactly_one=True)
    except GeopyError as error:
        raise GeocoderDown(str(error)) from error
    if location is None:
        return None
    raw = location.raw or {}
    size = _bbox_metres(raw)
    return Match(lat=location.latitude, lon=location.longitude, confidence=float(raw.get("importance") or 0.0),
                 precise=size is not None and size <= config["GEOCODER_PRECISE_METRES"],
                 display_name=str(raw.get("display_name") or "")[:300])


def baidu_lookup(query: str, config) -> Match | None:
    """Baidu's v3 geocoder answers in BD-09; stored coordinates are converted to WGS-84."""
    from geopy.geocoders import BaiduV3

    geocoder = BaiduV3(api_key=config["BAIDU_AK"], scheme=config["GEOCODER_SCHEME"],
                       timeout=config["GEOCODER_TIMEOUT"], user_agent=config["GEOCODER_USER_AGENT"])
    # geopy fixes Baidu's host; the domain is configurable so tests (and proxies) can stand in for it.
    geocoder.api = f"{geocoder.scheme}://{config['BAIDU_DOMAIN']}{geocoder.api_path}"
    try:
        location = geocoder.geocode(query, exactly_one=True)
    except GeocoderQueryError:
        return None  # Baidu could not parse this address: no match, not an outage
    except GeopyError as error:
        # Status 1 ("internal error") is also how Baidu sometimes says "no result"; treated as an outage,
        # the address stays pending and is retried, and staff can still place the pin.
        raise GeocoderDown(str(error)) from error
    if location is None:
        return None
    raw = location.raw or {}
    lat, lon = bd09_to_wgs84(location.latitude, location.longitude)
    confidence = float(raw.get("confidence") or 0) / 100.0
    return Match(lat=lat, lon=lon, confidence=confidence, precise=bool(raw.get("precise")),
                 display_name=str(raw.get("level") or "")[:300])


PROVIDERS = {"nominatim": nominatim_lookup, "baidu": baidu_lookup}


def _config():
    return current_app.config


def choose_provider(senior: Senior) -> tuple[str, str] | None:
    """(provider, query) for a senior: Baidu for the Chinese address when a Baidu key is set, else Nominatim."""
    config = _config()
    if config.get("BAIDU_AK") and senior.address_zh:
        return "baidu", senior.address_zh
    if (config.get("GEOCODER") or "none") == "nominatim" and senior.address:
        return "nominatim", senior.address
    if config.get("BAIDU_AK") and senior.address:
        return "baidu", senior.address
    return None


def lookup(provider: str, query: str) -> GeocodeCache:
    """The cached answer for ``query``, asking the provider (at the shared pace) only on a miss."""
    key = normalise_address(query)
    cached = db.session.scalar(sa.select(GeocodeCache).where(GeocodeCache.provider == provider,
                                                             GeocodeCache.address_key == key))
    if cached is not None:
        return cached
    config = _config()
    interval = config["GEOCODER_MIN_INTERVAL"] if provider == "nominatim" else config["BAIDU_MIN_INTERVAL"]
    with turn(f"geocoder:{provider}", float(interval)):
        match = PROVIDERS[provider](query, config)
    entry = GeocodeCache(provider=provider, address_key=key)
    if match is not None:
        entry.lat, entry.lon, entry.confidence = match.lat, match.lon, match.confidence
        entry.precise, entry.display_name = match.precise, match.display_name
    db.session.add(entry)
    db.session.flush()
    return entry


def classify(entry: GeocodeCache, near: tuple[float, float] | None) -> GeocodeStatus:
    if entry.lat is None:
        return GeocodeStatus.FAILED
    if not entry.precise:
        return GeocodeStatus.DOUBTFUL
    if near is not None and geodesic(near, (entry.lat, entry.lon)).km > float(_config()["GEOCODER_MAX_KM"]):
        return GeocodeStatus.DOUBTFUL
    return GeocodeStatus.OK


def locate_senior(senior: Senior) -> GeocodeStatus:
    """Geocode one senior's address and store the result (flush only; the caller commits).

    Raises ``GeocoderDown`` and leaves the senior untouched when the geocoder does not answer.
    """
    choice = choose_provider(senior)
    if choice is None:
        return senior.geocode_status
    entry = lookup(*choice)
    site = senior.home_site
    near = (site.lat, site.lon) if site is not None and site.lat is not None else None
    status = classify(entry, near)
    senior.geocode_status = status
    # A doubtful match still gives staff a starting point for the pin; a failed one clears nothing they set.
    if entry.lat is not None:
        senior.lat, senior.lon = entry.lat, entry.lon
    db.session.flush()
    return status


@dataclass(frozen=True)
class GeocodeRun:
    done: int
    statuses: dict[str, int]
    outage: bool
    remaining: int


def geocode_seniors(senior_ids: Iterable[int] | None = None, *, progress=None) -> GeocodeRun:
    """Locate the given (or all) seniors still ``pending``, committing each, stopping early on an outage."""
    query = sa.select(Senior.id).where(Senior.geocode_status == GeocodeStatus.PENDING, Senior.is_active.is_(True))
    if senior_ids is not None:
        query = query.where(Senior.id.in_(list(senior_ids)))
    ids = list(db.session.scalars(query.order_by(Senior.id)))
    statuses: dict[str, int] = {}
    outages = 0
    done = 0
    for n, senior_id in enumerate(ids, start=1):
        senior = db.session.get(Senior, senior_id)
        try:
            status = locate_senior(senior)
            transaction.commit_step()  # one senior at a time: hours of work are never redone after a crash
            outages = 0
        except GeocoderDown:
            transaction.start_over()
            outages += 1
            statuses["outage"] = statuses.get("outage", 0) + 1
            if outages >= MAX_CONSECUTIVE_OUTAGES:
                current_app.logger.warning("Geocoder down: %s addresses left pending", len(ids) - done)
                return GeocodeRun(done=done, statuses=statuses, outage=True, remaining=len(ids) - done)
            continue
        done += 1
        statuses[status.value] = statuses.get(status.value, 0) + 1
        if progress is not None:
            progress(done, len(ids))
    return GeocodeRun(done=done, statuses=statuses, outage=bool(statuses.get("outage")), remaining=len(ids) - done)


def _rq_progress(done: int, total: int) -> None:
    try:
        from rq import get_current_job
    except ImportError:  # pragma: no cover
        return
    job = get_current_job()
    if job is not None:
        job.meta.update(done=done, total=total)
        job.save_meta()


def geocode_pending(senior_ids: list[int] | None = None) -> dict[str, Any]:
    """Locate pending seniors, reporting progress to the RQ job (the work of ``dispatch.jobs.geocode_job``)."""
    run = geocode_seniors(senior_ids, progress=_rq_progress)
    return {"done": run.done, "statuses": run.statuses, "outage": run.outage, "remaining": run.remaining}


def start_geocoding(senior_ids: list[int] | None = None):
    """Queue the geocoding of pending seniors (in-process when there is no Redis); returns the job handle."""
    from dispatch.platform.jobs import enqueue

    return enqueue("dispatch.jobs.geocode_job", senior_ids, job_timeout=6 * 3600)


def status_counts(query: sa.Select) -> dict[GeocodeStatus, int]:
    """How many of the seniors in ``query`` (a ``select(Senior)``) have each location status."""
    sub = query.with_only_columns(Senior.id).where(Senior.is_active.is_(True)).subquery()
    rows = db.session.execute(sa.select(Senior.geocode_status, sa.func.count())
                              .where(Senior.id.in_(sa.select(sub.c.id))).group_by(Senior.geocode_status))
    counts = {status: 0 for status in GeocodeStatus}
    counts.update({status: n for status, n in rows})
    return counts


def place_pin(senior: Senior, lat: Any, lon: Any, *, by, expected_version: Any) -> None:
    """Staff put the senior's pin where they live: stored as ``manual``, audited; one unit."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise FieldError("lat", _("Place the pin on the map (or type a latitude and longitude).")) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise FieldError("lat", _("Place the pin on the map (or type a latitude and longitude)."))
    try:
        if int(expected_version) != senior.version:
            raise StaleRecord()
    except (TypeError, ValueError):
        raise StaleRecord() from None
    senior.lat, senior.lon, senior.geocode_status = lat, lon, GeocodeStatus.MANUAL
    db.session.flush()
    audit.record("senior.locate", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id,
                 detail={"fields": ["lat", "lon", "geocode_status"]})
