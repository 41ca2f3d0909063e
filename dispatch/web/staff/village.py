"""Staff pages for a kitchen's village points: list, add, edit, deactivate and bring back.

Anyone who may see the site sees its points; changing them takes the right to edit the site (as the
site pages). ``services.rural.points.save_point`` refuses a point no car reaches within the kitchen's
insulated hold limit; that refusal is shown on the form next to the location.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.forms.errors import show_error
from dispatch.forms.village import PointActiveForm, PointForm
from dispatch.models.site import MealSite
from dispatch.models.village import VillagePoint
from dispatch.platform import transaction
from dispatch.platform.access import get_site_or_404, role_required
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import shown_name
from dispatch.services.people import sites as site_service
from dispatch.services.rural import points as point_service
from dispatch.web.staff import bp


def _point_or_404(site: MealSite, point_id: int) -> VillagePoint:
    point = db.session.get(VillagePoint, point_id)
    if point is None or point.site_id != site.id:
        abort(404)
    return point


@bp.route("/sites/<id:site_id>/points")
@role_required("admin", "staff")
def village_points(site_id: int):
    """A kitchen's village points, active first, with their car time from the kitchen."""
    site = get_site_or_404(site_id, current_user)
    points = point_service.points_of(site, active_only=False)
    points.sort(key=lambda p: (not p.is_active, p.name))
    minutes = {p.id: point_service.car_minutes(site, p.lat, p.lon) + p.unload_minutes for p in points}
    return render_template("staff/village/list.html", site=site, points=points, minutes=minutes,
                           limit=point_service.hold_minutes(site), can_edit=site_service.can_edit(current_user, site),
                           action=PointActiveForm())


@bp.route("/sites/<id:site_id>/points/new", methods=["GET", "POST"])
@role_required("admin", "staff")
def village_point_new(site_id: int):
    """Add a village point to a kitchen (staff: their own sites only)."""
    site = get_site_or_404(site_id, current_user, for_edit=True)
    form = PointForm()
    if form.validate_on_submit():
        try:
            point = point_service.save_point(site, form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Village point %(name)s added.", name=shown_name(point)), "success")
            return redirect(url_for("staff.village_points", site_id=site.id))
    return render_template("staff/village/form.html", form=form, site=site, point=None), _status(form)


@bp.route("/sites/<id:site_id>/points/<id:point_id>/edit", methods=["GET", "POST"])
@role_required("admin", "staff")
def village_point_edit(site_id: int, point_id: int):
    """Change a village point (staff: of their own sites only)."""
    site = get_site_or_404(site_id, current_user, for_edit=True)
    point = _point_or_404(site, point_id)
    # A post is read on its own: a field left out is empty, not silently kept from the record.
    form = PointForm() if request.method == "POST" else PointForm(obj=point)
    if form.validate_on_submit():
        try:
            point_service.save_point(site, form.to_data(), by=current_user, point=point)
        except FieldError as error:
            show_error(form, error)
            point = _point_or_404(site, point_id)
        else:
            flash(_("Village point %(name)s saved.", name=shown_name(point)), "success")
            return redirect(url_for("staff.village_points", site_id=site.id))
    return render_template("staff/village/form.html", form=form, site=site, point=point), _status(form)


@bp.route("/sites/<id:site_id>/points/<id:point_id>/active", methods=["POST"])
@role_required("admin", "staff")
def village_point_active(site_id: int, point_id: int):
    """Deactivate a point (left out of county plans) or bring it back."""
    site = get_site_or_404(site_id, current_user, for_edit=True)
    point = _point_or_404(site, point_id)
    form = PointActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        point_service.set_active(point, active, by=current_user)
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
    else:
        flash(_("Village point %(name)s is active again.", name=shown_name(point)) if active
              else _("Village point %(name)s deactivated: county plans leave it out.", name=shown_name(point)),
              "success")
    return redirect(url_for("staff.village_points", site_id=site.id), code=303)


def _status(form) -> int:
    """422 for a rejected submission, so clients and tests can tell it from a fresh form."""
    return 422 if request.method == "POST" and form.errors else 200
