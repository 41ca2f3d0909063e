"""The kitchen page: what to cook for one meal window, how to load it, and labels to print."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.models.site import MealSite, MealType
from dispatch.platform.access import role_required
from dispatch.platform.labels import label
from dispatch.services.meals import kitchen as kitchen_service
from dispatch.web.staff import bp
from dispatch.web.staff.board import pick_day, pick_site, visible_sites


def pick_meal(site: MealSite) -> tuple[MealType, str | None]:
    """The ``meal`` argument, else lunch (or the site's first window); with an error when unknown."""
    raw = request.args.get("meal", "").strip()
    served = [w.meal for w in site.windows]
    default = MealType.LUNCH if MealType.LUNCH in served or not served else served[0]
    if not raw:
        return default, None
    try:
        return MealType(raw), None
    except ValueError:
        return default, _("Choose breakfast, lunch or dinner.")


def _sheet_args():
    site = pick_site()
    day, date_error = pick_day(site)
    meal, meal_error = pick_meal(site)
    errors = {k: v for k, v in (("date", date_error), ("meal", meal_error)) if v}
    return site, day, meal, errors


@bp.route("/kitchen")
@role_required("admin", "staff")
def kitchen():
    """Show production counts by diet and texture, and each route's meals in loading order."""
    site, day, meal, errors = _sheet_args()
    sheet = kitchen_service.kitchen_sheet(site, day, meal)
    return render_template("staff/kitchen/page.html", sheet=sheet, sites=visible_sites(), meals=list(MealType),
                           errors=errors, label=label), (400 if errors else 200)


@bp.route("/kitchen/labels")
@role_required("admin", "staff")
def kitchen_labels():
    """An A4 sheet of meal labels (name, diet, allergens, route and stop), in packing order."""
    site, day, meal, errors = _sheet_args()
    if errors:
        sheet = kitchen_service.kitchen_sheet(site, day, meal)
        return render_template("staff/kitchen/page.html", sheet=sheet, sites=visible_sites(),
                               meals=list(MealType), errors=errors, label=label), 400
    sheet = kitchen_service.kitchen_sheet(site, day, meal)
    kitchen_service.record_labels_print(sheet, by=current_user)
    return render_template("staff/kitchen/labels.html", sheet=sheet, label=label)
