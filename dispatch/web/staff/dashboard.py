"""The dashboard (pictures first, each with its table) and the volunteers' time-bank export."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from dispatch.models.service_request import ServiceType
from dispatch.platform import clock
from dispatch.platform.access import get_site_or_404, role_required
from dispatch.platform.datefmt import day_short, month_text
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import label, shown_name, yuan
from dispatch.platform.validation import parse_day
from dispatch.services.money import dashboard as dashboard_service
from dispatch.services.money.statements import parse_month
from dispatch.services.visitation import dashboard as visitation_figures
from dispatch.services.visitation.rules import TIER_NAMES
from dispatch.services.volunteers import hours as hours_service
from dispatch.web.charts import Chart, Series
from dispatch.web.staff import bp
from dispatch.web.staff.board import visible_sites


def _pct(v: float) -> str:
    return f"{v:.0f}%"


def _hours(v: float) -> str:
    return f"{v:.1f} h"


def _count(v: float) -> str:
    return f"{v:.0f}"


def charts(d: dashboard_service.Dashboard) -> list[Chart]:
    """The dashboard's charts, in reading order."""
    days = [day_short(day) for day in d.days]
    meals = Chart(
        "meals", _("Meals served per day"), "bars", days,
        [Series(_("Delivered"), [d.delivered.get(x, 0) for x in d.days]),
         Series(_("Ate at the canteen"), [d.dined.get(x, 0) for x in d.days])],
        fmt=_count, category_header=_("Day"),
        summary=ngettext("%(num)s meal served in %(days)s days.", "%(num)s meals served in %(days)s days.",
                         sum(d.delivered.values()) + sum(d.dined.values()), days=len(d.days)))
    on_time = Chart(
        "on-time", _("Deliveries on time (within the meal window)"), "lines", days,
        [Series(_("On time"), [d.on_time_pct(x) for x in d.days])], fmt=_pct, y_max=100, category_header=_("Day"),
        summary=_("%(pct)s of deliveries on time over the period.",
                  pct=_pct(d.on_time_overall) if d.on_time_overall is not None else "–"))
    covered = Chart(
        "coverage", _("Seniors covered by a site with room"), "hbars",
        [name for name, _c, _n in d.coverage] + [_("All shown sites")],
        [Series(_("Covered"), [100.0 * c / n if n else 0 for _name, c, n in d.coverage]
                + [d.coverage_pct or 0])], fmt=_pct, y_max=100, category_header=_("Meal site"),
        summary=_("%(pct)s of seniors are covered inside the circle of a site with room.",
                  pct=_pct(d.coverage_pct) if d.coverage_pct is not None else "–"))
    missed = Chart(
        "missed", _("Missed deliveries and welfare alerts"), "lines", days,
        [Series(_("Missed deliveries"), [d.missed.get(x, 0) for x in d.days]),
         Series(_("Welfare alerts raised"), [d.alerts.get(x, 0) for x in d.days])],
        fmt=_count, category_header=_("Day"),
        summary=_("%(missed)s and %(alerts)s.",
                  missed=ngettext("%(num)s missed delivery", "%(num)s missed deliveries", sum(d.missed.values())),
                  alerts=ngettext("%(num)s welfare alert", "%(num)s welfare alerts", sum(d.alerts.values()))))
    services = [s for s in ServiceType if d.visit_minutes.get(s)]
    visits = Chart(
        "visits", _("Home-visit hours by service"), "hbars", [label(s) for s in services],
        [Series(_("Hours"), [d.visit_minutes[s] / 60 for s in services])], fmt=_hours, category_header=_("Service"),
        summary=_("%(h)s of home visits.", h=_hours(sum(d.visit_minutes.values()) / 60)))
    top = d.volunteers[:10]
    volunteers = Chart(
        "volunteers", _("Volunteer hours"), "hbars", [shown_name(h.worker) for h in top],
        [Series(_("Hours"), [h.minutes / 60 for h in top])], fmt=_hours, category_header=_("Volunteer"),
        summary=ngettext("%(num)s volunteer gave %(h)s.", "%(num)s volunteers gave %(h)s.", len(d.volunteers),
                  h=_hours(sum(h.minutes for h in d.volunteers) / 60)))
    bands = list(d.spend_by_band)
    spend = Chart(
        "spend", _("Subsidy spent in %(month)s by band, against the budget", month=month_text(d.month)), "hbars",
        [b or _("No rule") for b in bands] + [_("Total")],
        [Series(_("Subsidy"), [d.spend_by_band[b] / 100 for b in bands] + [d.spend_total / 100])],
        fmt=lambda v: yuan(round(v * 100)), category_header=_("Band"),
        reference=(d.budget / 100, _("Budget %(v)s", v=yuan(d.budget))) if d.budget is not None else None,
        summary=(_("%(spent)s spent of a %(budget)s budget (%(pct)s).", spent=yuan(d.spend_total),
                   budget=yuan(d.budget), pct=_pct(100.0 * d.spend_total / d.budget) if d.budget else "–")
                 if d.budget is not None else _("%(spent)s spent; no budget set.", spent=yuan(d.spend_total))),
        extra_rows=[[_("Budget"), yuan(d.budget)]] if d.budget is not None else [])
    return [meals, on_time, covered, missed, visits, volunteers, spend]


# The visitor's checklist items, as the figures name them.
ITEM_NAMES = {
    "health_mood": _l("Health and mood"), "food": _l("Food in the house"), "medicines": _l("Medicines"),
    "falls": _l("Falls"), "gas_fire": _l("Gas and fire"), "heating_cooling": _l("Heating and cooling"),
    "hygiene": _l("Hygiene"), "abuse_neglect": _l("Signs of abuse or neglect"),
    "family_support": _l("Family support"), "needs": _l("Needs"), None: _l("Not tied to an item"),
}
BAND_NAMES = {"0-7": _l("0–7 days"), "8-14": _l("8–14 days"), "15-30": _l("15–30 days"),
              "31-90": _l("31–90 days"), "over-90": _l("Over 90 days or never")}


def item_name(item) -> str:
    return str(ITEM_NAMES.get(item.value if item is not None else None, item))


def _pct_or_dash(v: float | None) -> str:
    return _pct(v) if v is not None else "–"


def visitation_charts(v: visitation_figures.Figures) -> list[Chart]:
    """The Visitation section's charts: the monthly rate first (the field's headline figure)."""
    tiers = v.by_tier()
    total = v.total()
    tier_names = [str(TIER_NAMES[t]) for t in tiers] + [_("All tiers")]
    rate = Chart(
        "visit-rate", _("Monthly visitation rate in %(month)s, by tier", month=month_text(v.month)), "hbars",
        tier_names, [Series(_("Seniors contacted this month"),
                            [c.monthly_rate_pct or 0 for c in tiers.values()] + [total.monthly_rate_pct or 0])],
        fmt=_pct, y_max=100, category_header=_("Tier"), reference=(100, _("Target 100%")),
        summary=_("%(pct)s of %(n)s seniors on the list had a contact that counts this month.",
                  pct=_pct_or_dash(total.monthly_rate_pct), n=total.seniors))
    interval = Chart(
        "visit-interval", _("Contacted within their interval, by tier"), "hbars", tier_names,
        [Series(_("Within interval"), [c.in_interval_pct or 0 for c in tiers.values()]
                + [total.in_interval_pct or 0])], fmt=_pct, y_max=100, category_header=_("Tier"),
        summary=_("%(pct)s were visited and called as often as their tier asks.",
                  pct=_pct_or_dash(total.in_interval_pct)))
    per_site = v.by_site()
    overdue = Chart(
        "visit-overdue", _("Overdue visits and calls by site"), "hbars", [shown_name(s) for s in v.sites],
        [Series(_("Overdue"), [per_site[s.id].overdue for s in v.sites])], fmt=_count, category_header=_("Meal site"),
        summary=ngettext("%(num)s visit or call overdue.", "%(num)s visits or calls overdue.", total.overdue))
    keys = visitation_figures.BAND_KEYS
    bands = Chart(
        "visit-days", _("Days since the last contact"), "bars", [str(BAND_NAMES[k]) for k in keys],
        [Series(_("Seniors"), [total.bands[k] for k in keys])], fmt=_count, category_header=_("Days"),
        summary=ngettext("%(num)s senior not contacted for over 90 days, or never.",
                         "%(num)s seniors not contacted for over 90 days, or never.", total.bands[keys[-1]]))
    items = finding_rows(v)
    median = _days(total.median_close_days)
    findings = Chart(
        "visit-findings", _("Findings by checklist item"), "hbars", [item_name(f.item) for f in items],
        [Series(_("Findings"), [f.count for f in items])], fmt=_count, category_header=_("Checklist item"),
        summary=ngettext("%(num)s finding this month, %(open)s still open; closed in a median of %(days)s days.",
                         "%(num)s findings this month, %(open)s still open; closed in a median of %(days)s days.",
                         total.findings, open=total.findings_open, days=median))
    return [rate, interval, overdue, bands, findings]


def _days(value: float | None) -> str:
    return "–" if value is None else format(value, ".1f")


def finding_rows(v: visitation_figures.Figures) -> list[visitation_figures.ItemFigures]:
    """The month's findings by checklist item, the most frequent first."""
    return sorted(v.items.values(), key=lambda f: (-f.count, item_name(f.item)))


def _period():
    errors = {}
    site = get_site_or_404(request.args["site"], current_user) if request.args.get("site") else None
    days = min(max(request.args.get("days", 7, type=int) or 7, 1), dashboard_service.MAX_DAYS)
    last = clock.local_today() - timedelta(days=1)
    try:
        last = parse_day(request.args.get("end"), "end", default=last)
    except FieldError as error:
        errors["end"] = str(error.message)
    return site, days, last, errors


@bp.route("/dashboard")
@role_required("admin", "staff")
def dashboard():
    """Meals, punctuality, coverage, missed meals and alerts, visits, volunteers and subsidy spend."""
    site, days, last, errors = _period()
    d = dashboard_service.build(current_user, last=last, days=days, site=site)
    v = visitation_figures.build(current_user, month=last, site=site)
    return render_template("staff/dashboard/page.html", d=d, charts=charts(d), sites=visible_sites(),
                           site=site, days=days, errors=errors, v=v, v_charts=visitation_charts(v),
                           v_items=finding_rows(v), item_name=item_name, tier_names=TIER_NAMES, pct=_pct_or_dash,
                           days_text=_days), (400 if errors else 200)


@bp.route("/dashboard/visitation.csv")
@role_required("admin", "staff")
def visitation_csv():
    """The month's visitation figures, one row per site and tier (no personal data)."""
    site = get_site_or_404(request.args["site"], current_user) if request.args.get("site") else None
    try:
        month = parse_month(request.args.get("month"), default=clock.local_today(site))
    except FieldError as error:
        return jsonify(error="invalid", field=error.field, message=str(error.message)), 422
    body = visitation_figures.figures_csv(visitation_figures.build(current_user, month=month, site=site))
    response = Response(body, mimetype="text/csv; charset=utf-8")
    name = f"visitation-{month:%Y-%m}" + (f"-site{site.id}" if site is not None else "")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _month():
    try:
        return parse_month(request.args.get("month"), default=clock.local_today()), None
    except FieldError as error:
        return parse_month(None, default=clock.local_today()), str(error.message)


@bp.route("/volunteer-hours")
@role_required("admin", "staff")
def volunteer_hours():
    """Hours each volunteer gave in a month (the time bank), from route times and visit check-in/out."""
    month, error = _month()
    first, last = hours_service.month_bounds(month)
    rows = hours_service.volunteer_hours(current_user, first, last)
    return render_template("staff/dashboard/volunteers.html", rows=rows, month=month, error=error), \
        (400 if error else 200)


@bp.route("/volunteer-hours.csv")
@role_required("admin", "staff")
def volunteer_hours_csv():
    """Download the month's volunteer hours as CSV (the time-bank record)."""
    month, error = _month()
    first, last = hours_service.month_bounds(month)
    body = hours_service.hours_csv(hours_service.volunteer_hours(current_user, first, last), month)
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="volunteer-hours-{month:%Y-%m}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
