"""The kitchen's view of one meal window: how many of what to cook, how to pack it, and labels.

Counts come from the day's ``MealOrder`` rows (holds are already left out when
orders are made; cancelled orders are left out here), using the diet copied
onto each order, so the sheet matches what will be billed. The diet list mixes
two ideas: soft, minced and pureed say how food is cut (texture), the others
what it contains; a senior has one value, so a texture-modified meal counts as
a regular recipe in that texture.

Bags go into a vehicle in reverse stop order: the last stop's meal is loaded
first and sits at the back, the first stop's meal comes out first.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from dispatch.extensions import db
from dispatch.models.meals import MealMode, MealOrder, MealOrderStatus
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanKind, PlanStatus, Route, StopKind
from dispatch.models.senior import Diet, Senior
from dispatch.models.site import MealSite, MealType
from dispatch.platform import audit, clock

# Orders the kitchen cooks for: still ordered, or already handed over.
COOKED_STATUSES = (MealOrderStatus.ORDERED, MealOrderStatus.DELIVERED, MealOrderStatus.DINED_IN)
TEXTURES = (Diet.SOFT, Diet.MINCED, Diet.PUREED)
RECIPES = (Diet.REGULAR, Diet.DIABETIC, Diet.LOW_SALT, Diet.VEGETARIAN, Diet.HALAL)
NORMAL_TEXTURE = "normal"
# Allergy notes are free text; split them into items on commas, semicolons and CJK separators.
_ALLERGY_SPLIT = re.compile(r"[,;，；、/\n]+")


def recipe_of(diet: Diet) -> Diet:
    """What goes into the meal: texture-modified diets use the regular recipe."""
    return Diet.REGULAR if diet in TEXTURES else diet


def texture_of(diet: Diet) -> str:
    """How the meal is cut: soft, minced, pureed, or ``normal``."""
    return diet.value if diet in TEXTURES else NORMAL_TEXTURE


def allergy_items(text: str | None) -> list[str]:
    """The separate allergens in a senior's free-text allergy note."""
    return [item.strip() for item in _ALLERGY_SPLIT.split(text or "") if item.strip()]


@dataclass(frozen=True)
class Label:
    """One meal's label: who it is for, what is in it, where it goes."""

    order: MealOrder
    senior: Senior
    route_position: int | None  # 1-based route number in the plan, None when not routed
    stop_number: int | None  # 1-based stop number on the route
    worker_name: str | None

    @property
    def diet(self) -> Diet:
        return self.order.diet

    @property
    def allergens(self) -> list[str]:
        return allergy_items(self.senior.allergies)

    @property
    def is_delivery(self) -> bool:
        return self.order.mode == MealMode.DELIVERY


@dataclass(frozen=True)
class LoadingItem:
    """One bag in loading order (``load_number`` 1 goes in first)."""

    load_number: int
    stop_number: int
    label: Label


@dataclass
class RouteLoad:
    """One route's meals, in the order they go into the vehicle."""

    route: Route
    position: int
    items: list[LoadingItem] = field(default_factory=list)
    # With reload trips a route is loaded once per trip: which load this is, and when it leaves (site's zone).
    trip: int = 0
    departs: datetime | None = None

    @property
    def by_diet(self) -> Counter:
        return Counter(item.label.diet for item in self.items)


@dataclass
class KitchenSheet:
    """Everything the kitchen prints for one site, day and meal."""

    site: MealSite
    day: date
    meal: MealType
    orders: list[MealOrder]
    labels: list[Label]
    plan: Plan | None
    routes: list[RouteLoad]

    @property
    def total(self) -> int:
        return len(self.orders)

    @property
    def by_diet(self) -> Counter:
        """Exact diet as ordered (the one value on the order)."""
        return Counter(o.diet for o in self.orders)

    @property
    def by_recipe(self) -> Counter:
        return Counter(recipe_of(o.diet) for o in self.orders)

    @property
    def by_texture(self) -> Counter:
        return Counter(texture_of(o.diet) for o in self.orders)

    @property
    def by_mode(self) -> Counter:
        return Counter(o.mode for o in self.orders)

    @property
    def allergens(self) -> list[tuple[str, list[Label]]]:
        """Each allergen (case-folded) with the meals that must avoid it, most frequent first."""
        seen: dict[str, tuple[str, list[Label]]] = {}
        for lbl in self.labels:
            for item in lbl.allergens:
                key = item.casefold()
                seen.setdefault(key, (item, []))[1].append(lbl)
        return sorted(seen.values(), key=lambda pair: (-len(pair[1]), pair[0].casefold()))

    @property
    def unrouted(self) -> list[Label]:
        """Delivered meals not on the chosen plan (no plan yet, or left unassigned)."""
        return [lbl for lbl in self.labels if lbl.is_delivery and lbl.route_position is None]

    @property
    def recipes(self) -> tuple[Diet, ...]:
        return RECIPES

    @property
    def textures(self) -> tuple[str, ...]:
        return (NORMAL_TEXTURE, *(t.value for t in TEXTURES))


def current_meal_plan(site_id: int, day: date, meal: MealType) -> Plan | None:
    """The plan the kitchen packs for: the newest published version, else the newest draft.

    A re-plan makes a new draft while the published version is still what
    workers carry, so a published version wins over a newer draft. The meal's
    own plans and the site's day plans (whose meal stops of this meal are packed)
    are weighed together: a live one first, then the newest made.
    """
    plans = list(db.session.scalars(
        sa.select(Plan).where(
            Plan.site_id == site_id, Plan.service_date == day,
            sa.or_(sa.and_(Plan.kind == PlanKind.MEALS, Plan.meal == meal), Plan.kind == PlanKind.DAY),
        )
    ))
    if not plans:
        return None
    return max(plans, key=lambda p: (p.status in LIVE_STATUSES, p.status != PlanStatus.DRAFT, p.created_dt,
                                     p.version_number))


def kitchen_sheet(site: MealSite, day: date, meal: MealType) -> KitchenSheet:
    """Counts, loading order and labels for ``site``'s ``meal`` on ``day``."""
    orders = list(db.session.scalars(
        sa.select(MealOrder)
        .where(
            MealOrder.site_id == site.id, MealOrder.service_date == day, MealOrder.meal == meal,
            MealOrder.status.in_(COOKED_STATUSES),
        )
        .options(joinedload(MealOrder.senior))
        .order_by(MealOrder.id)
    ))
    plan = current_meal_plan(site.id, day, meal)
    routes: list[Route] = []
    if plan is not None:
        routes = list(db.session.scalars(
            sa.select(Route).where(Route.plan_id == plan.id).order_by(Route.position)
            .options(joinedload(Route.worker), selectinload(Route.stops))
        ).unique())

    if plan is not None and plan.kind == PlanKind.DAY:
        # A day route carries other meals and visits too: the kitchen packs this meal's stops, on the routes
        # that carry some (a stop's meal is its order's meal).
        ids = {o.id for o in orders}
        routes = [r for r in routes if any(s.meal_order_id in ids for s in r.stops)]
    placed: dict[int, tuple[int, int, str]] = {}  # order id -> (route number, stop number, worker)
    for route_number, route in enumerate(routes, start=1):
        meal_stops = [s for s in sorted(route.stops, key=lambda s: s.position) if s.kind == StopKind.MEAL
                      and (plan.kind != PlanKind.DAY or s.meal_order_id in ids)]
        for stop_number, stop in enumerate(meal_stops, start=1):
            if stop.meal_order_id is not None:
                placed[stop.meal_order_id] = (route_number, stop_number, route.worker.full_name)

    labels = []
    for order in orders:
        route_number, stop_number, worker_name = placed.get(order.id, (None, None, None))
        labels.append(Label(order, order.senior, route_number, stop_number, worker_name))
    by_order = {lbl.order.id: lbl for lbl in labels}

    loads = []
    for route_number, route in enumerate(routes, start=1):
        trips = sorted({s.trip for s in route.stops if s.meal_order_id in by_order}) or [0]
        for trip in trips:  # a rider who comes back to load again is packed for each load, in departure order
            stops = [s for s in route.stops if s.meal_order_id in by_order and s.trip == trip]
            leaves = route.departure_of(stops[0]) if stops else route.start_dt
            load = RouteLoad(route=route, position=route_number, trip=trip,
                             departs=leaves.astimezone(clock.zone_of(site)) if leaves else None)
            on_route = [by_order[s.meal_order_id] for s in stops]
            on_route.sort(key=lambda lbl: lbl.stop_number, reverse=True)
            load.items = [LoadingItem(i, lbl.stop_number, lbl) for i, lbl in enumerate(on_route, start=1)]
            loads.append(load)
    if any(load.trip for load in loads):
        loads.sort(key=lambda load: (load.departs is None, load.departs or datetime.min, load.position))

    # Labels print in packing order: route by route, first-loaded first; then the rest.
    def packing_key(lbl: Label):
        if lbl.route_position is None:
            return (1, 0, 0, lbl.senior.full_name)
        return (0, lbl.route_position, -(lbl.stop_number or 0), "")

    labels.sort(key=packing_key)
    return KitchenSheet(site=site, day=day, meal=meal, orders=orders, labels=labels, plan=plan, routes=loads)


def record_labels_print(sheet: KitchenSheet, *, by) -> None:
    """Labels carry names and allergies: note who printed them."""
    audit.record(
        "kitchen.labels", user=by, entity_type="meal_site", entity_id=sheet.site.id,
        detail={"date": sheet.day.isoformat(), "meal": sheet.meal.value, "labels": len(sheet.labels)},
    )
    db.session.flush()
