"""The canteen counter: scan a meal card (or search) and record the meal in one step; print meal cards.

A keyboard-wedge scanner types the card's code into the focused search field
and presses Enter, so the search form posts: a genuine card code records the
meal at once, anything else lists matching seniors, each with the price,
subsidy and co-pay and a one-tap record button.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.models.site import MealSite, MealType
from dispatch.platform import clock
from dispatch.platform.access import get_senior_or_404, role_required
from dispatch.platform.errors import FieldError
from dispatch.services.meals import dine_in
from dispatch.web.staff import bp
from dispatch.web.staff.board import pick_site, visible_sites


def _meal(site: MealSite) -> MealType:
    try:
        return MealType(request.args.get("meal", ""))
    except ValueError:
        return dine_in.current_meal(site)


def _page(site: MealSite, meal: MealType, *, q: str = "", seniors=(), outcome=None, refusal=None, error=None,
          status: int = 200):
    day = clock.local_today(site)
    quotes = [dine_in.quote(s, site, day, meal) for s in seniors]
    return render_template(
        "staff/counter/page.html", site=site, sites=visible_sites(), meal=meal, meals=list(MealType), day=day,
        q=q, quotes=quotes, outcome=outcome, refusal=refusal, error=error, searched=bool(q),
        new_client_id=dine_in.new_client_id,
    ), status


def _record(site: MealSite, meal: MealType, senior, *, client_id: str, reason: str | None = None):
    try:
        done = dine_in.record_meal(senior, site, meal, client_id=client_id, by=current_user,
                                   override_reason=reason)
    except dine_in.AlreadyServed as refused:
        quote = dine_in.quote(senior, site, clock.local_today(site), meal)
        return _page(site, meal, refusal={"quote": quote, "message": refused.message,
                                          "reason_error": refused.message if reason is not None else None},
                     status=409)
    except FieldError as error:
        return _page(site, meal, error=error.message, status=422)
    return _page(site, meal, outcome=done)


@bp.route("/counter", methods=["GET", "POST"])
@role_required("admin", "staff")
def counter():
    """Scan a meal card or search by name, phone tail or number; a card scan records the meal."""
    site = pick_site()
    meal = _meal(site)
    q = (request.form.get("q") if request.method == "POST" else request.args.get("q", "")) or ""
    q = q.strip()[:100]
    if request.method == "POST" and q:
        senior = dine_in.senior_by_card(current_user, q)
        if senior is not None:
            return _record(site, meal, senior, client_id=request.form.get("client_id", ""))
    return _page(site, meal, q=q, seniors=dine_in.search(current_user, site, q))


@bp.route("/counter/record", methods=["POST"])
@role_required("admin", "staff")
def counter_record():
    """Record one canteen meal for the chosen senior (a second one needs a reason)."""
    site = pick_site()
    meal = _meal(site)
    senior = get_senior_or_404(request.form.get("senior_id"), current_user)
    reason = request.form.get("override_reason")
    if reason is not None and not reason.strip():
        quote = dine_in.quote(senior, site, clock.local_today(site), meal)
        message = _("Say why this senior may have another meal.")
        return _page(site, meal, refusal={"quote": quote, "message": message, "reason_error": message},
                     status=422)
    return _record(site, meal, senior, client_id=request.form.get("client_id", ""), reason=reason)


@bp.route("/seniors/<id:senior_id>/meal-card")
@role_required("admin", "staff")
def meal_card(senior_id: int):
    """A printable meal card with the senior's QR code for the counter's scanner."""
    senior = get_senior_or_404(senior_id, current_user)
    dine_in.record_card_print(senior, by=current_user)
    return render_template("staff/counter/card.html", senior=senior, code=dine_in.card_code(senior),
                           svg=dine_in.card_svg(senior))
