"""Coverage pages: the district's service circles on a map, gaps, home-site assignment and what-if siting."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from dispatch.forms.coverage import SitingForm
from dispatch.forms.errors import show_error
from dispatch.forms.sites import SiteForm
from dispatch.models.site import MealType, TravelMode
from dispatch.platform.access import is_admin, role_required
from dispatch.platform.errors import FieldError
from dispatch.platform.maps import tile_spec
from dispatch.services.coverage import circles as coverage_service
from dispatch.services.coverage import siting as coverage_siting
from dispatch.services.people import sites as site_service
from dispatch.web.coverage_map import circle_note, map_spec

bp = Blueprint("coverage", __name__, url_prefix="/coverage")


def _page(form: SitingForm, *, siting=None, status: int = 200, report=None):
    report = report or coverage_service.coverage_report(current_user)
    spec = map_spec(report, siting, tile_spec())
    return render_template("coverage/index.html", report=report, form=form, siting=siting, map_spec=spec,
                           circle_note=circle_note(), can_assign=is_admin(current_user), can_create=is_admin(current_user)), status


@bp.route("/")
@role_required("admin", "staff")
def index():
    """Coverage at a glance: map, per-site load, gaps by neighbourhood, and the siting form."""
    return _page(SitingForm(formdata=None))


@bp.route("/gaps.csv")
@role_required("admin", "staff")
def gaps_csv():
    """The coverage gaps the user may see, as CSV."""
    report = coverage_service.coverage_report(current_user)
    body = "\ufeff" + coverage_service.gaps_csv(report)  # BOM: spreadsheets then read the Chinese names right
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=coverage-gaps.csv", "Cache-Control": "no-store"})


@bp.route("/assign", methods=["POST"])
@role_required("admin")
def assign():
    """Store every senior's optimal home site; staff overrides stay."""
    applied = coverage_service.apply_assignment(by=current_user)
    flash(_("Home sites assigned: %(changed)s changed, %(kept)s chosen by staff kept, %(unplaced)s without room.",
            changed=applied.changed, kept=applied.kept_overrides, unplaced=applied.unplaced), "success")
    return redirect(url_for("coverage.index"))


@bp.route("/suggest", methods=["POST"])
@role_required("admin", "staff")
def suggest():
    """Choose k new places that bring the most need inside a circle; reads only, stores nothing."""
    form = SitingForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    upload = form.candidates.data
    try:
        candidates = coverage_siting.parse_candidates(upload.read()) if upload and upload.filename else None
        siting = coverage_siting.suggest_sites(current_user, form.k.data, candidates=candidates,
                                               minutes=form.minutes.data, mode=form.mode.data)
    except FieldError as error:
        show_error(form, error, fields={"file": "candidates"})
        return _page(form, status=422)
    return _page(form, siting=siting)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    form = SitingForm(formdata=None)
    form.candidates.errors = [_("The file is larger than %(mb)s MB; send at most 5,000 candidate places.",
                                mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))]
    return _page(form, status=413)


@bp.route("/new-site", methods=["GET", "POST"])
@role_required("admin")
def new_site():
    """Open a chosen place as a meal site, through the same rules as any new site (administrators only)."""
    if request.method == "POST":
        form = SiteForm()
    else:
        lat = request.args.get("lat", type=float)
        lon = request.args.get("lon", type=float)
        minutes = request.args.get("minutes", type=int)
        mode = request.args.get("mode", type=str)
        form = SiteForm(formdata=None, data={
            "lat": lat, "lon": lon, "name": (request.args.get("name") or "")[:120] or None,
            "circle_minutes": minutes if minutes and 1 <= minutes <= 60 else 15,
            "circle_mode": mode if mode in {m.value for m in TravelMode} else TravelMode.WALK.value,
            "kind": "canteen", "timezone": current_app.config.get("TIMEZONE", "Asia/Shanghai"),
            "is_active": True, "daily_capacity": 0, "hold_limit_minutes": 45,
        })
    if form.validate_on_submit():
        try:
            site = site_service.create_site(form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Site %(name)s created.", name=site.name), "success")
            return redirect(url_for("coverage.index"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("staff/sites/form.html", form=form, site=None, meals=list(MealType)), status
