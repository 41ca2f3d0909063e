"""Geocoding's memory: answers cached by normalised address, and the shared pace of calls to the geocoder.

Nominatim allows one request a second from the whole installation, not per
process: the ``rate_limit_slot`` row is the one place every gunicorn and RQ
worker agrees on when the next call may go out.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.extensions import db
from dispatch.models.types import UTCDateTime, utcnow


class GeocodeCache(db.Model):
    """One geocoder answer for one normalised address; ``lat`` None means "no match" (also worth remembering)."""

    __tablename__ = "geocode_cache"
    __table_args__ = (
        sa.UniqueConstraint("provider", "address_key"),
        sa.CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    address_key: Mapped[str] = mapped_column(sa.String(300))
    # WGS-84, whatever datum the provider answered in.
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    # The provider's own measure of how exact the match is, scaled to 0..1.
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    precise: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    display_name: Mapped[str | None] = mapped_column(sa.String(300))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateLimitSlot(db.Model):
    """The earliest instant the next call to an external service named ``name`` may start."""

    __tablename__ = "rate_limit_slot"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    next_dt: Mapped[datetime] = mapped_column(UTCDateTime)
