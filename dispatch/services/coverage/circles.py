"""Service-circle coverage: who is inside a 15-minute circle, each senior's best home site, and gaps.

The district is always computed whole (every active site, every active
senior with coordinates), because a site's capacity is shared by everyone it
could serve; what a user is *shown* is then cut down by the access rules:
staff see their own sites and the seniors homed there. Coverage gaps are
computed on the fly, never stored, so moving a site or changing its circle
changes them at once. A senior is *covered* only when the assignment homes
them inside the circle of a site with room for them (``Assignment.served``):
each site covers at most its daily capacity, so a senior inside only full
circles is a gap, like one outside every circle. Writing the assignment (``apply_assignment``) keeps
staff overrides (``Senior.home_site_overridden``), which also use up their
site's capacity.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.senior import Senior, SeniorCategoryType
from dispatch.models.site import MealSite
from dispatch.platform import audit, clock
from dispatch.platform import travel as app_travel
from dispatch.platform.access import is_admin, seniors_visible_to, sites_visible_to
from dispatch.routing.circles import APPROXIMATION_NOTE, CircleSite, Person, circle_polygon
from dispatch.routing.coverage_solver import FIXED, IN_CIRCLE, OUTSIDE, UNASSIGNED, Assignment, assign
from dispatch.services.coverage.points import through_points

__all__ = ["APPROXIMATION_NOTE", "FIXED", "IN_CIRCLE", "OUTSIDE", "UNASSIGNED", "District", "Report",
           "compute_district", "coverage_report", "gaps_csv", "apply_assignment", "need_weight", "travel"]


def travel():
    """The app's travel-time provider (``platform.travel``): circles are measured on it."""
    return app_travel.provider()


def need_weight(senior: Senior, today: date) -> int:
    """1, plus one each for living alone, being 80 or older, and disability: who a new site should reach first."""
    categories = senior.category_values
    weight = 1
    weight += bool(senior.lives_alone or SeniorCategoryType.LIVING_ALONE_PRIORITY in categories)
    weight += bool(senior.age_on(today) >= 80 or SeniorCategoryType.AGED_80_PLUS in categories)
    weight += bool(SeniorCategoryType.DISABLED in categories)
    return weight


def circle_site(site: MealSite) -> CircleSite:
    return CircleSite(site.id, site.lat, site.lon, minutes=site.circle_minutes, mode=str(site.circle_mode),
                      capacity=site.daily_capacity)


@dataclass
class District:
    """The whole district's sites, located seniors and the optimal assignment between them."""

    sites: list[MealSite]
    seniors: list[Senior]
    weights: list[int]
    result: Assignment
    unlocated: int  # active seniors without coordinates: neither covered nor gaps

    def site_of(self, i: int) -> MealSite | None:
        j = int(self.result.site[i])
        return self.sites[j] if j >= 0 else None


def compute_district() -> District:
    """Load every active site and located senior and solve the assignment (reads only)."""
    sites = list(db.session.scalars(sa.select(MealSite).where(MealSite.is_active.is_(True)).order_by(MealSite.id)))
    seniors = list(db.session.scalars(
        sa.select(Senior).where(Senior.is_active.is_(True), Senior.lat.is_not(None))
        .options(selectinload(Senior.categories)).order_by(Senior.id)
    ))
    unlocated = db.session.scalar(sa.select(sa.func.count()).select_from(Senior)
                                  .where(Senior.is_active.is_(True), Senior.lat.is_(None))) or 0
    active_ids = {s.id for s in sites}
    today = clock.local_today()
    weights = [need_weight(s, today) for s in seniors]
    people = [Person(s.id, s.lat, s.lon, weight=w,
                     fixed_site=s.home_site_id if s.home_site_overridden and s.home_site_id in active_ids else None)
              for s, w in zip(seniors, weights)]
    result = assign([circle_site(s) for s in sites], people, travel())
    return District(sites, seniors, weights, result, unlocated)


# The report a user sees ------------------------------------------------------

@dataclass
class SeniorRow:
    id: int
    name: str
    neighbourhood: str | None
    lat: float
    lon: float
    covered: bool  # served inside a circle by a site with room for them
    status: str
    site: MealSite | None
    current_site_id: int | None
    minutes: int
    weight: int
    overridden: bool
    in_circle: bool = False  # some circle holds them, full or not
    through: Any = None  # the village point that covers them when no site's circle does (``coverage.points``)
    name_zh: str | None = None  # so ``local_name`` shows the Chinese name in the Chinese UI


@dataclass
class SiteRow:
    site: MealSite
    load: int
    in_circle: int
    polygon: list[tuple[float, float]]
    served: int = 0  # seniors it covers: inside its circle and within its capacity

    @property
    def full(self) -> bool:
        return self.load >= self.site.daily_capacity

    @property
    def over(self) -> bool:
        return self.load > self.site.daily_capacity


@dataclass
class Report:
    sites: list[SiteRow]
    seniors: list[SeniorRow]
    unlocated: int
    gaps_by_neighbourhood: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.seniors)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.seniors if r.covered)

    @property
    def gaps(self) -> list[SeniorRow]:
        return [r for r in self.seniors if not r.covered]

    @property
    def through_points(self) -> list[SeniorRow]:
        """Seniors covered through a village point rather than a site's circle."""
        return [r for r in self.seniors if r.through is not None]

    @property
    def in_full_circles(self) -> int:
        """Gaps that some circle holds, but whose circles' sites have no room left for them."""
        return sum(1 for r in self.seniors if not r.covered and r.in_circle)

    @property
    def unplaced(self) -> int:
        return sum(1 for r in self.seniors if r.status == UNASSIGNED)

    @property
    def pct(self) -> float | None:
        return 100.0 * self.covered / self.total if self.total else None

    @property
    def changes(self) -> int:
        """Seniors whose proposed home site differs from the stored one."""
        return sum(1 for r in self.seniors if not r.overridden and (r.site.id if r.site else None) != r.current_site_id)


def coverage_report(user, district: District | None = None) -> Report:
    """What ``user`` may see of the district's coverage: their sites and their seniors."""
    district = district or compute_district()
    site_ids = set(db.session.scalars(sites_visible_to(user).with_only_columns(MealSite.id)))
    senior_ids = set(db.session.scalars(seniors_visible_to(user).with_only_columns(Senior.id)))
    geo = travel()
    result = district.result
    reached = result.reach.reached_by_site()
    served = result.served_by_site()
    site_rows = [SiteRow(site, int(result.load[j]), int(reached[j]), circle_polygon(circle_site(site), geo),
                         int(served[j]))
                 for j, site in enumerate(district.sites) if site.id in site_ids]
    rows = []
    for i, senior in enumerate(district.seniors):
        if senior.id not in senior_ids:
            continue
        site = district.site_of(i)
        rows.append(SeniorRow(
            senior.id, senior.full_name, senior.neighbourhood, senior.lat, senior.lon,
            bool(result.served[i]), result.status[i], site, senior.home_site_id,
            int(round(int(result.seconds[i]) / 60)), district.weights[i], senior.home_site_overridden,
            bool(result.covered[i]), name_zh=senior.full_name_zh,
        ))
    _cover_through_points(rows, district, geo)
    totals, gaps = Counter(), Counter()
    for row in rows:
        key = row.neighbourhood or ""
        totals[key] += 1
        gaps[key] += not row.covered
    by_hood = sorted(((k, gaps[k], totals[k]) for k in totals if gaps[k]), key=lambda t: (-t[1], t[0]))
    unlocated = district.unlocated if is_admin(user) else 0
    return Report(site_rows, rows, unlocated, by_hood)


def _cover_through_points(rows: list[SeniorRow], district: District, geo) -> None:
    """Gaps a village point is within walking minutes of are covered through that point."""
    gaps = [r for r in rows if not r.covered]
    if not gaps:
        return
    minutes = {s.id: s.circle_minutes for s in district.sites}
    homes = {s.id: s.home_site_id for s in district.seniors}
    found = through_points([(r.lat, r.lon, minutes.get(homes.get(r.id))) for r in gaps], geo)
    for row, point in zip(gaps, found):
        if point is not None:
            row.covered, row.through = True, point


GAP_COLUMNS = ("senior_id", "name", "neighbourhood", "lat", "lon", "need_weight", "assigned_site_id",
               "assigned_site", "minutes_to_site", "status")


def gaps_csv(report: Report) -> str:
    """The coverage gaps as CSV (UTF-8, header row). Cells that a spreadsheet would run as a
    formula are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GAP_COLUMNS)
    for row in report.gaps:
        writer.writerow([row.id, _cell(row.name), _cell(row.neighbourhood or ""), f"{row.lat:.6f}", f"{row.lon:.6f}",
                         row.weight, row.site.id if row.site else "", _cell(row.site.name) if row.site else "",
                         row.minutes if row.site else "", row.status])
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# Writing the assignment --------------------------------------------------------

@dataclass(frozen=True)
class Applied:
    changed: int
    kept_overrides: int
    unplaced: int


def apply_assignment(*, by) -> Applied:
    """Store the optimal home site of every senior staff have not pinned; one unit, audited."""
    district = compute_district()
    changed = kept = 0
    for i, senior in enumerate(district.seniors):
        if district.result.status[i] == FIXED:
            kept += 1
            continue
        site = district.site_of(i)
        new_id = site.id if site else None
        if senior.home_site_overridden:  # pinned to an inactive site: leave it to staff
            kept += 1
            continue
        if senior.home_site_id != new_id:
            senior.home_site_id = new_id
            changed += 1
    applied = Applied(changed, kept, district.result.status.count(UNASSIGNED))
    audit.record("coverage.assign", user=by, entity_type="meal_site", entity_id=None,
                 detail={"changed": changed, "kept_overrides": kept, "unplaced": applied.unplaced})
    db.session.flush()
    return applied
