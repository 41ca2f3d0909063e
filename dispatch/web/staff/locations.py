"""Staff pages for where seniors live: geocoding progress, the addresses to check, and dropping a pin by hand."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from dispatch.extensions import db
from dispatch.forms.errors import show_error
from dispatch.forms.locations import LocateForm, PinForm
from dispatch.models.senior import GeocodeStatus, Senior
from dispatch.platform import jobs, transaction
from dispatch.platform.access import get_senior_or_404, role_required, seniors_editable_by, seniors_visible_to
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.maps import tile_spec
from dispatch.services.people import geocoding
from dispatch.web.staff import bp

# Without Redis the button geocodes in the request: keep that to a batch a person will wait for.
IN_PROCESS_BATCH = 20
SHOW = 100


@bp.route("/locations")
@role_required("admin", "staff")
def locations():
    """How many seniors are located, and which addresses staff should check."""
    visible = seniors_visible_to(current_user)
    counts = geocoding.status_counts(visible)
    to_check = db.session.scalars(
        visible.where(Senior.is_active.is_(True),
                      Senior.geocode_status.in_([GeocodeStatus.DOUBTFUL, GeocodeStatus.FAILED, GeocodeStatus.PENDING]))
        .order_by(Senior.geocode_status, Senior.full_name).limit(SHOW)).all()
    job = jobs.fetch(request.args.get("job", "")) if request.args.get("job") else None
    running = job is not None and job.status in ("queued", "started", "deferred", "scheduled")
    return render_template("staff/locations/list.html", counts=counts, to_check=to_check, form=LocateForm(),
                           job=job, running=running, pending=counts[GeocodeStatus.PENDING], geocoder=current_app.config.get("GEOCODER"))


@bp.route("/locations/run", methods=["POST"])
@role_required("admin", "staff")
def locations_run():
    """Start geocoding the pending addresses of the seniors this user may edit."""
    form = LocateForm()
    if not form.validate_on_submit():
        return redirect(url_for("staff.locations"))
    query = seniors_editable_by(current_user).with_only_columns(Senior.id).where(
        Senior.geocode_status == GeocodeStatus.PENDING, Senior.is_active.is_(True)).order_by(Senior.id)
    in_process = not current_app.config.get("REDIS_URL")
    ids = list(db.session.scalars(query.limit(IN_PROCESS_BATCH) if in_process else query))
    if not ids:
        flash(_("No address is waiting to be located."), "info")
        return redirect(url_for("staff.locations"))
    handle = geocoding.start_geocoding(ids)
    if handle.status == "failed":
        flash(_("Locating failed: %(error)s", error=handle.error or ""), "error")
    elif handle.status == "finished" and handle.result:
        result = handle.result
        if result.get("outage"):
            flash(ngettext("The geocoder did not answer; %(num)s address stays flagged and will be tried again.",
                           "The geocoder did not answer; %(num)s addresses stay flagged and will be tried again.",
                           result.get("remaining", 0)), "error")
        else:
            flash(ngettext("%(num)s address located.", "%(num)s addresses located.", result.get("done", 0)), "success")
        return redirect(url_for("staff.locations"))
    return redirect(url_for("staff.locations", job=handle.id))


@bp.route("/seniors/<id:senior_id>/location", methods=["GET", "POST"])
@role_required("admin", "staff", hide=True)
def senior_location(senior_id: int):
    """Drop or drag the senior's pin on the map to where they live."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=True)
    form = PinForm(obj=senior if request.method == "GET" else None)
    status = 200
    if request.method == "GET":
        form.version.data = senior.version
    elif form.validate_on_submit():
        try:
            geocoding.place_pin(senior, form.lat.data, form.lon.data, by=current_user,
                                expected_version=form.version.data)
        except FieldError as error:
            show_error(form, error, fields={error.field or "": "lat"})  # the pin's errors show at its latitude
        except StaleRecord:
            transaction.doom()
            form.form_errors.append(_("This senior was changed by someone else meanwhile — reload the page and "
                                      "place the pin again."))
            status = 409
        else:
            flash(_("Location saved."), "success")
            return redirect(url_for("staff.senior_detail", senior_id=senior.id))
    if form.errors and status == 200:
        status = 422
    site = senior.home_site
    center = ([senior.lat, senior.lon] if senior.lat is not None else
              [site.lat, site.lon] if site is not None else None)
    spec = {"tiles": tile_spec(), "center": center, "zoom": 17 if senior.lat is not None else 15, "fit": False,
            "layers": [] if site is None else [{"type": "markers", "name": _("Home site"), "style": {"marker": "symbol"},
                                                "items": [{"lat": site.lat, "lon": site.lon, "label": site.name,
                                                           "symbol": "S", "className": "site"}]}],
            "pin": {"lat": senior.lat, "lon": senior.lon, "label": senior.full_name,
                    "latInput": form.lat.id, "lonInput": form.lon.id}}
    if center is None:
        spec["center"], spec["zoom"] = [float(x) for x in current_app.config["DEMO_CENTER"].split(",")], 12
    return render_template("staff/locations/pin.html", form=form, senior=senior, spec=spec), status
