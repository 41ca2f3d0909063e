"""Whether the visitation programme works: the administrators' figures per site and tier for one month.

For every site the user may see (staff their own, administrators all) and each tier, over the seniors
on the list (active, with that home site, by their tier as of the month's last day or today):

* **seniors** on the list;
* **contacted within their interval**: as of that day, every interval the tier's rule sets is met by a
  contact of a kind that counts for it (``rules.counting_kinds``): a counting contact for in-person
  visits within ``visit_days`` and one for calls within ``call_days``;
* the **monthly visitation rate** (月探访率): the share with at least one counting contact in the month;
* **overdue** due visits and calls as of that day (open, latest date passed);
* **days since the last contact**, as a distribution (0-7, 8-14, 15-30, 31-90, over 90 or never);
* **findings** (follow-ups opened in the month), by checklist item: how many, how many still open, and
  the median days from opening to closing.

Days are calendar days in each site's zone, so a contact at 23:30 on the month's last evening in
Shanghai belongs to that month although it is the next month's first day in UTC.
"""
from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.models.visitation import (
    OPEN_DUE_STATUSES,
    TIERS,
    CheckItem,
    Contact,
    ContactKind,
    DueKind,
    DueStatus,
    DueVisit,
    FollowUp,
    FollowUpStatus,
)
from dispatch.platform import clock
from dispatch.platform.access import sites_visible_to
from dispatch.services.visitation import rules, tiers

# Days since the last contact: (key, first day, last day); the last band is "over 90 or never".
BANDS = (("0-7", 0, 7), ("8-14", 8, 14), ("15-30", 15, 30), ("31-90", 31, 90))
OVER = "over-90"
BAND_KEYS = tuple(k for k, _a, _b in BANDS) + (OVER,)
LOOK_BACK_DAYS = 367  # longest interval a rule may set (366) and the day itself


def band_of(days: int | None) -> str:
    if days is None:
        return OVER
    return next((key for key, first, last in BANDS if first <= days <= last), OVER)


@dataclass
class Cell:
    """One site's seniors of one tier."""

    site_id: int
    tier: int
    seniors: int = 0
    in_interval: int = 0
    contacted_in_month: int = 0
    overdue: int = 0
    bands: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAND_KEYS, 0))
    findings: int = 0
    findings_open: int = 0
    close_days: list[float] = field(default_factory=list)

    @property
    def findings_closed(self) -> int:
        return len(self.close_days)

    @property
    def in_interval_pct(self) -> float | None:
        return 100.0 * self.in_interval / self.seniors if self.seniors else None

    @property
    def monthly_rate_pct(self) -> float | None:
        return 100.0 * self.contacted_in_month / self.seniors if self.seniors else None

    @property
    def median_close_days(self) -> float | None:
        return statistics.median(self.close_days) if self.close_days else None

    def add(self, other: Cell) -> None:
        self.seniors += other.seniors
        self.in_interval += other.in_interval
        self.contacted_in_month += other.contacted_in_month
        self.overdue += other.overdue
        for key in BAND_KEYS:
            self.bands[key] += other.bands[key]
        self.findings += other.findings
        self.findings_open += other.findings_open
        self.close_days += other.close_days


@dataclass
class ItemFigures:
    """Findings about one checklist item (``None``: not tied to an item)."""

    item: CheckItem | None
    count: int = 0
    open: int = 0
    close_days: list[float] = field(default_factory=list)

    @property
    def closed(self) -> int:
        return len(self.close_days)

    @property
    def median_close_days(self) -> float | None:
        return statistics.median(self.close_days) if self.close_days else None


@dataclass
class Figures:
    sites: list[MealSite]
    month: date
    as_of: dict[int, date] = field(default_factory=dict)  # per site: the month's last day, or today
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    items: dict[CheckItem | None, ItemFigures] = field(default_factory=dict)

    def cell(self, site_id: int, tier: int) -> Cell:
        return self.cells.setdefault((site_id, tier), Cell(site_id, tier))

    def rows(self) -> list[tuple[MealSite, Cell]]:
        """One row per site and tier, sites in the order shown."""
        return [(s, self.cell(s.id, t)) for s in self.sites for t in TIERS]

    def by_tier(self) -> dict[int, Cell]:
        out = {t: Cell(0, t) for t in TIERS}
        for (_site, tier), cell in self.cells.items():
            out[tier].add(cell)
        return out

    def by_site(self) -> dict[int, Cell]:
        out = {s.id: Cell(s.id, 0) for s in self.sites}
        for (site_id, _tier), cell in self.cells.items():
            out[site_id].add(cell)
        return out

    def total(self) -> Cell:
        out = Cell(0, 0)
        for cell in self.cells.values():
            out.add(cell)
        return out


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_last(day: date) -> date:
    return (month_first(day) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def build(user, *, month: date, site: MealSite | None = None) -> Figures:
    """The figures of ``month`` for ``site`` (which the caller checked the user may see) or every site they
    may see."""
    sites = [site] if site is not None else list(db.session.scalars(
        sites_visible_to(user).where(MealSite.is_active.is_(True)).order_by(MealSite.name)))
    first = month_first(month)
    figures = Figures(sites=sites, month=first)
    table = rules.rules_for_sites([s.id for s in sites])
    for s in sites:
        _site(figures, s, first, table)
    return figures


def _site(figures: Figures, site: MealSite, first: date, table) -> None:
    zone = clock.zone_of(site)
    as_of = min(month_last(first), clock.local_today(site))
    figures.as_of[site.id] = as_of
    for tier in TIERS:
        figures.cell(site.id, tier)
    if as_of < first:  # a month still to come: nobody is on its list yet
        return
    seniors = list(db.session.scalars(sa.select(Senior).where(
        Senior.home_site_id == site.id, Senior.is_active.is_(True)).order_by(Senior.id)))
    if not seniors:
        return
    ids = [s.id for s in seniors]
    tier_of = {sid: view.tier for sid, view in tiers.tiers_for(seniors, today=as_of).items()}
    end = clock.day_bounds(as_of, zone)[1]
    start = clock.day_bounds(min(first, as_of - timedelta(days=LOOK_BACK_DAYS)), zone)[0]
    days: dict[int, dict[ContactKind, list[date]]] = defaultdict(lambda: defaultdict(list))
    for sid, kind, at in db.session.execute(sa.select(Contact.senior_id, Contact.kind, Contact.contact_dt).where(
            Contact.senior_id.in_(ids), Contact.contact_dt >= start, Contact.contact_dt < end)):
        days[sid][ContactKind(kind)].append(clock.local(at, zone).date())
    for senior in seniors:
        tier = tier_of[senior.id]
        rule = rules.pick(table, site.id, tier)
        cell = figures.cell(site.id, tier)
        cell.seniors += 1
        counting = {kind for kind in ContactKind if rules.satisfies(kind, rule)}
        seen = [d for kind in counting for d in days[senior.id].get(kind, [])]
        last = max(seen, default=None)
        cell.bands[band_of((as_of - last).days if last is not None else None)] += 1
        cell.contacted_in_month += any(first <= d <= as_of for d in seen)
        cell.in_interval += _in_interval(days[senior.id], rule, as_of)
    _overdue(figures, site, ids, tier_of, as_of, end)
    _findings(figures, site, ids, tier_of, first, zone, end)


def _in_interval(seen: dict[ContactKind, list[date]], rule, as_of: date) -> bool:
    """Every interval the rule sets is met as of ``as_of`` by a contact of a kind that counts for it."""
    for due, limit in ((DueKind.HOME_VISIT, rule.visit_days), (DueKind.CALL, rule.call_days)):
        if limit is None:
            continue
        last = max((d for kind in rules.counting_kinds(due, rule) for d in seen.get(kind, [])), default=None)
        if last is None or (as_of - last).days > limit:
            return False
    return True


def _overdue(figures: Figures, site: MealSite, ids: list[int], tier_of: dict[int, int], as_of: date,
             end: datetime) -> None:
    """Due visits and calls whose latest date passed before ``as_of`` and that were still open then."""
    rows = db.session.execute(sa.select(DueVisit.senior_id, DueVisit.status, DueVisit.closed_dt).where(
        DueVisit.senior_id.in_(ids), DueVisit.latest_date < as_of, DueVisit.created_dt < end,
        sa.or_(DueVisit.status.in_(OPEN_DUE_STATUSES),
               sa.and_(DueVisit.status == DueStatus.DONE, DueVisit.closed_dt >= end))))
    for sid, _status, _closed in rows:
        figures.cell(site.id, tier_of[sid]).overdue += 1


def _findings(figures: Figures, site: MealSite, ids: list[int], tier_of: dict[int, int], first: date, zone,
              end: datetime) -> None:
    start = clock.day_bounds(first, zone)[0]
    rows = db.session.execute(sa.select(FollowUp.senior_id, FollowUp.item, FollowUp.status, FollowUp.created_dt,
                                        FollowUp.closed_dt).where(
        FollowUp.senior_id.in_(ids), FollowUp.created_dt >= start, FollowUp.created_dt < end))
    for sid, item, status, created, closed in rows:
        item = CheckItem(item) if item else None
        cell = figures.cell(site.id, tier_of[sid])
        found = figures.items.setdefault(item, ItemFigures(item))
        cell.findings += 1
        found.count += 1
        if status == FollowUpStatus.CLOSED and closed is not None:
            took = round((closed - created).total_seconds() / 86400, 1)
            cell.close_days.append(took)
            found.close_days.append(took)
        else:
            cell.findings_open += 1
            found.open += 1


# --- the export ---------------------------------------------------------------------------------

CSV_COLUMNS = (
    "month", "site_id", "site", "tier", "as_of", "seniors", "contacted_within_interval", "within_interval_pct",
    "contacted_in_month", "monthly_visitation_rate_pct", "overdue_dues",
    *(f"days_since_contact_{key}" for key in BAND_KEYS),
    "findings", "findings_closed", "findings_open", "median_days_to_close",
)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def figures_csv(figures: Figures) -> str:
    """One row per site and tier (no personal data): UTF-8, CRLF, formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for site, c in figures.rows():
        median = c.median_close_days
        writer.writerow([
            figures.month.strftime("%Y-%m"), site.id, _cell(site.name), c.tier,
            figures.as_of[site.id].isoformat() if site.id in figures.as_of else "",
            c.seniors, c.in_interval, _pct(c.in_interval_pct), c.contacted_in_month, _pct(c.monthly_rate_pct),
            c.overdue, *(c.bands[key] for key in BAND_KEYS), c.findings, c.findings_closed, c.findings_open,
            "" if median is None else f"{median:.1f}",
        ])
    return out.getvalue()
