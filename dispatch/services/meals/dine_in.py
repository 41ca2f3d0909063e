"""The canteen counter: find a senior (meal card, name, phone tail, number) and record the meal.

Canteens scan meal cards with a handheld keyboard-wedge scanner, which simply
types the card's code into the focused search field and presses Enter; so a
card scan is a search whose text is a valid card code, and it records the
meal at once (one step). A card code is ``DS<senior id>-<8 hex>``: the suffix
is an HMAC of the id with the app's secret, so a code cannot be guessed from a
senior's number, and a reprinted card keeps working.

``record_meal`` is idempotent on the form's ``client_id`` (a double tap or a
retry over flaky Wi-Fi returns the first record) and refuses a second meal in
the same window (a delivered meal counts too) unless staff give a reason; such
an extra meal is billed without subsidy, and the reason goes to the audit trail.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.dine_in import DineInMeal
from dispatch.models.meals import MealMode, MealOrder, MealOrderStatus
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite, MealType
from dispatch.platform import audit, clock, transaction
from dispatch.platform.access import seniors_visible_to
from dispatch.platform.datefmt import time_text
from dispatch.platform.errors import FieldError
from dispatch.services.money import statements, subsidies

CARD = re.compile(r"^DS(\d{1,10})-([0-9a-f]{8})$", re.IGNORECASE)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_RESULTS = 12
MAX_REASON = 255


class AlreadyServed(FieldError):
    """The senior already had this meal; staff may override with a reason."""

    def __init__(self, first: DineInMeal | None, message) -> None:
        super().__init__("override_reason", message)
        self.first = first


# Meal cards ----------------------------------------------------------------------

def _mac(senior_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"meal-card:{senior_id}".encode(), hashlib.sha256).hexdigest()[:8]


def card_code(senior: Senior) -> str:
    return f"DS{senior.id}-{_mac(senior.id)}"


def senior_id_from_card(text: str) -> int | None:
    """The senior id a scanned card code names, or None when it is not a genuine card code."""
    match = CARD.match((text or "").strip())
    if not match:
        return None
    senior_id = int(match.group(1))
    return senior_id if hmac.compare_digest(match.group(2).lower(), _mac(senior_id)) else None


def card_svg(senior: Senior) -> str:
    """The card's QR code as an SVG element (no inline styles, so it passes a strict CSP)."""
    import segno

    out = io.BytesIO()
    segno.make(card_code(senior), error="m").save(
        out, kind="svg", xmldecl=False, nl=False, scale=4, svgclass="qr", lineclass="qr-line",
        title=None, omitsize=False)
    return out.getvalue().decode()


# Searching -------------------------------------------------------------------------

def search(user, site: MealSite, q: str) -> list[Senior]:
    """Seniors the user may see matching a name, a phone tail (4+ digits) or a Doorstep number.

    The counter's own site's seniors come first.
    """
    q = (q or "").strip()[:100]
    if not q:
        return []
    query = seniors_visible_to(user).where(Senior.is_active.is_(True))
    digits = q.lstrip("#")
    if digits.isdigit():
        conditions = []
        if len(digits) >= 4:
            conditions.append(Senior.phone.like(f"%{digits}"))
        if len(digits) <= 9:
            conditions.append(Senior.id == int(digits))
        if not conditions:
            return []
        query = query.where(sa.or_(*conditions))
    else:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Senior.full_name.ilike(pattern, escape="\\"),
                                   Senior.full_name_zh.ilike(pattern, escape="\\")))
    query = query.order_by((Senior.home_site_id == site.id).desc(), Senior.full_name).limit(MAX_RESULTS)
    return list(db.session.scalars(query.options(selectinload(Senior.categories))))


def senior_by_card(user, text: str) -> Senior | None:
    senior_id = senior_id_from_card(text)
    if senior_id is None:
        return None
    return db.session.scalar(seniors_visible_to(user).where(Senior.id == senior_id))


# The meal window -----------------------------------------------------------------

def current_meal(site: MealSite, now: datetime | None = None) -> MealType:
    """The site's window open now, else the next one today, else the last one (lunch without windows)."""
    wall = clock.local_now(site, now).time()
    windows = sorted(site.windows, key=lambda w: w.start_time)
    if not windows:
        return MealType.LUNCH
    for w in windows:
        if w.start_time <= wall <= w.end_time:
            return w.meal
    upcoming = [w for w in windows if w.start_time > wall]
    return (upcoming[0] if upcoming else windows[-1]).meal


# Quotes and records ---------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """What a meal at the counter costs the senior now, and whether they already had it."""

    senior: Senior
    meal: MealType
    day: date
    priced: subsidies.Priced
    served: list[DineInMeal]
    delivered: bool

    @property
    def already(self) -> bool:
        return bool(self.served) or self.delivered


def served_meals(senior_id: int, day: date, meal: MealType) -> list[DineInMeal]:
    return list(db.session.scalars(sa.select(DineInMeal).where(
        DineInMeal.senior_id == senior_id, DineInMeal.service_date == day, DineInMeal.meal == meal
    ).order_by(DineInMeal.seq)))


def _delivered(senior_id: int, day: date, meal: MealType) -> bool:
    return db.session.scalar(sa.select(sa.func.count(MealOrder.id)).where(
        MealOrder.senior_id == senior_id, MealOrder.service_date == day, MealOrder.meal == meal,
        MealOrder.status == MealOrderStatus.DELIVERED)) > 0


def quote(senior: Senior, site: MealSite, day: date, meal: MealType) -> Quote:
    served = served_meals(senior.id, day, meal)
    delivered = _delivered(senior.id, day, meal)
    so_far = statements.subsidy_so_far(senior, site, day)
    priced = subsidies.quote(senior, site.id, day, delivered=False, subsidy_so_far_cents=so_far,
                             subsidised=not (served or delivered))
    return Quote(senior=senior, meal=meal, day=day, priced=priced, served=served, delivered=delivered)


@dataclass(frozen=True)
class Recorded:
    meal: DineInMeal
    replay: bool
    quote: Quote


def new_client_id() -> str:
    return uuid.uuid4().hex


def record_meal(senior: Senior, site: MealSite, meal: MealType, *, client_id: str, by,
                override_reason: str | None = None, now: datetime | None = None) -> Recorded:
    """Record one canteen meal for ``senior`` (already authorised); one unit, audited.

    Raises ``AlreadyServed`` for a second meal in the window without a reason,
    ``FieldError`` for a bad client id or reason.
    """
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise FieldError("client_id", _l("The form expired; search again."))
    meal = MealType(meal)  # a window not reloaded since it was written may still hold the plain string
    previous = db.session.scalar(sa.select(DineInMeal).where(DineInMeal.client_id == client_id))
    if previous is not None:
        return _replay(previous, senior, site)
    reason = (override_reason or "").strip() or None
    if reason is not None and (len(reason) > MAX_REASON or any(ord(c) < 32 for c in reason)):
        raise FieldError("override_reason", _l("Keep the reason to one line under 255 characters."))
    when = now or clock.now()
    day = clock.local_now(site, when).date()
    before = quote(senior, site, day, meal)
    if before.already and reason is None:
        first = before.served[0] if before.served else None
        message = (_l("Already had this meal today at %(time)s.", time=time_text(first.recorded_dt, clock.zone_of(site))) if first else _l("This meal was already delivered to the senior today."))
        raise AlreadyServed(first, message)
    if not before.already:
        reason = None  # nothing to override: an ordinary meal
    row = DineInMeal(senior_id=senior.id, site_id=site.id, service_date=day, meal=meal,
                     seq=len(before.served) + 1, override_reason=reason, client_id=client_id, recorded_dt=when,
                     by_id=getattr(by, "id", None))
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        transaction.start_over()
        previous = db.session.scalar(sa.select(DineInMeal).where(DineInMeal.client_id == client_id))
        if previous is not None:
            return _replay(previous, senior, site)
        raise AlreadyServed(None, _l("Another counter recorded this meal a moment ago.")) from None
    order = db.session.scalar(sa.select(MealOrder).where(
        MealOrder.senior_id == senior.id, MealOrder.service_date == day, MealOrder.meal == meal,
        MealOrder.mode == MealMode.DINE_IN, MealOrder.status == MealOrderStatus.ORDERED))
    if order is not None:
        order.status = MealOrderStatus.DINED_IN
    audit.record("dine_in.override" if row.seq > 1 or reason else "dine_in.record", user=by,
                 entity_type="dine_in_meal", entity_id=row.id, senior_id=senior.id,
                 detail={"site_id": site.id, "meal": meal.value, "seq": row.seq,
                         **({"reason": reason} if reason else {})})
    db.session.flush()
    return Recorded(meal=row, replay=False, quote=Quote(
        senior=senior, meal=meal, day=day, priced=_billed(row, senior, site), served=before.served,
        delivered=before.delivered))


def _billed(row: DineInMeal, senior: Senior, site: MealSite) -> subsidies.Priced:
    """The meal's line exactly as the month's statement prices it (monthly caps included)."""
    month = subsidies.month_start(row.service_date)
    for line in statements.compute_lines(site, month, senior_id=senior.id, until=row.service_date):
        if line.proof_kind.value == "dine_in" and line.proof_id == row.id:
            return subsidies.Priced(line.rule_id, line.band, line.price_cents, line.subsidy_cents)
    return subsidies.NO_RULE  # pragma: no cover - a stored row is always on its month's statement


def _replay(previous: DineInMeal, senior: Senior, site: MealSite) -> Recorded:
    if previous.senior_id != senior.id:
        raise FieldError("client_id", _l("This form was already used for another senior; search again."))
    earlier = [m for m in served_meals(senior.id, previous.service_date, previous.meal) if m.seq < previous.seq]
    return Recorded(meal=previous, replay=True, quote=Quote(
        senior=senior, meal=previous.meal, day=previous.service_date, priced=_billed(previous, senior, site),
        served=earlier, delivered=False))


def record_card_print(senior: Senior, *, by) -> None:
    """A printed card identifies a senior: note who printed it (one unit)."""
    audit.record("senior.meal_card", user=by, entity_type="senior", entity_id=senior.id, senior_id=senior.id)
    db.session.flush()
