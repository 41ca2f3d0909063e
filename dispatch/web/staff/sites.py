"""Staff pages for meal sites: list and search, detail, create (admins) and edit (own sites)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.forms.errors import show_error
from dispatch.forms.sites import SiteForm
from dispatch.models.site import MealType
from dispatch.platform import clock
from dispatch.platform.access import get_site_or_404, is_admin, role_required
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import parse_page
from dispatch.services.people import sites as site_service
from dispatch.services.rural import points as point_service
from dispatch.web.staff import bp

MAX_PAGE = 10_000
MAX_QUERY = 100


def page_arg() -> int:
    """The ``page`` query argument, clamped so a hostile number cannot overflow OFFSET."""
    return min(parse_page(request.args.get("page")), MAX_PAGE)


def labels() -> dict:
    return {"meals": list(MealType)}


@bp.route("/sites")
@role_required("admin", "staff")
def sites():
    """List the meal sites the user may see, searchable by name, address or neighbourhood."""
    q = request.args.get("q", "", type=str)[:MAX_QUERY]
    listing = site_service.list_sites(current_user, q=q, page=page_arg(),
                                      per_page=current_app.config.get("PAGE_SIZE", 25))
    return render_template("staff/sites/list.html", listing=listing, q=q, can_create=is_admin(current_user),
                           **labels())


@bp.route("/sites/<id:site_id>")
@role_required("admin", "staff")
def site_detail(site_id: int):
    """Show one site's settings, windows and head counts."""
    site = get_site_or_404(site_id, current_user)
    seniors, workers = site_service.site_counts(site)
    can_edit = site_service.can_edit(current_user, site)
    created_local = clock.local(site.created_dt, clock.zone_of(site))
    return render_template("staff/sites/detail.html", site=site, seniors=seniors, workers=workers,
                           can_edit=can_edit, created_local=created_local,
                           village_points=point_service.count_points(site), **labels())


@bp.route("/sites/new", methods=["GET", "POST"])
@role_required("admin")
def site_new():
    """Create a meal site (administrators only)."""
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = site_service.create_site(form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Site %(name)s created.", name=site.name), "success")
            return redirect(url_for("staff.site_detail", site_id=site.id))
    return render_template("staff/sites/form.html", form=form, site=None, **labels()), _status(form)


@bp.route("/sites/<id:site_id>/edit", methods=["GET", "POST"])
@role_required("admin", "staff")
def site_edit(site_id: int):
    """Change a site's settings and meal windows (staff: their own sites only)."""
    site = get_site_or_404(site_id, current_user, for_edit=True)
    # A post is read on its own: a field left out is empty, not silently kept from the record.
    form = SiteForm() if request.method == "POST" else SiteForm(obj=site)
    if request.method == "GET":
        form.fill_windows(site.windows)
    if form.validate_on_submit():
        try:
            site_service.update_site(site, form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
            site = get_site_or_404(site_id, current_user, for_edit=True)
        else:
            flash(_("Site %(name)s saved.", name=site.name), "success")
            return redirect(url_for("staff.site_detail", site_id=site.id))
    return render_template("staff/sites/form.html", form=form, site=site, **labels()), _status(form)


def _status(form) -> int:
    """422 for a rejected submission, so clients and tests can tell it from a fresh form."""
    return 422 if request.method == "POST" and form.errors else 200
