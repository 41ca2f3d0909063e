"""Staff pages for seniors: list and search, detail, create, edit, deactivate."""
from __future__ import annotations

from functools import partial

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.forms.enrollments import HoldForm
from dispatch.forms.errors import show_error
from dispatch.forms.seniors import ConfirmForm, SeniorEditForm, SeniorForm, SeniorSearchForm
from dispatch.models.site import MealSite
from dispatch.platform import audit_names, audit_review, clock, transaction
from dispatch.platform.access import get_senior_or_404, role_required, sites_editable_by, sites_visible_to
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.labels import shown_name
from dispatch.platform.validation import parse_page
from dispatch.services.people import seniors as service
from dispatch.services.rural import points as point_service
from dispatch.web.staff import bp

MAX_PAGE = 10_000


def page_number() -> int:
    """The ``page`` query parameter, clamped to a sane range (a huge offset is a database error)."""
    page = parse_page(request.args.get("page"))
    return min(max(page, 1), MAX_PAGE)


def valid_or_none(form, name: str):
    """A filter's value if it passed validation; a bad filter is dropped, not an error page."""
    field = form[name]
    return None if field.errors else field.data


def site_choices(query) -> list[SelectChoice]:
    return [SelectChoice(s.id, shown_name(s)) for s in db.session.scalars(query.order_by(MealSite.name))]


def _form_for(form: SeniorForm, *, current_site: MealSite | None = None, new: bool = False) -> SeniorForm:
    choices = site_choices(sites_editable_by(current_user))
    if current_site is not None and current_site.id not in {c.value for c in choices}:
        choices.append(SelectChoice(current_site.id, shown_name(current_site)))
    if new:  # the default: the service picks the nearest site with room; only a choice made here is an override
        choices.insert(0, SelectChoice("", _("Nearest site with room")))
        form.home_site_id.description = _("Left as it is, the senior goes to the nearest of your sites that still "
                                          "has room (by the location above); a site chosen here is kept as your "
                                          "choice when the district is re-assigned.")
    elif current_user.has_role("admin"):
        choices.insert(0, SelectChoice(None, _("No home site yet")))
    form.home_site_id.choices = choices
    set_point_choices(form, current_site)
    return form


def set_point_choices(form, site: MealSite | None, current=None) -> None:
    """The village points a senior's or volunteer's form offers: the home site's active ones (optional)."""
    form.village_point_id.choices = [SelectChoice(None, _("None"))] + [
        SelectChoice(p.id, shown_name(p) + ("" if p.is_active else " · " + _("Inactive")))
        for p in point_service.point_choices_for(site, current)]


@bp.route("/seniors")
@role_required("admin", "staff")
def seniors():
    """List the seniors this user may see, searched and filtered, one page at a time."""
    form = SeniorSearchForm(formdata=request.args)
    form.site.choices = [SelectChoice(None, _("All my sites"))] + site_choices(sites_visible_to(current_user))
    form.validate()
    ok = partial(valid_or_none, form)
    filters = service.SeniorFilters(
        site_id=ok("site"),
        lives_alone={"yes": True, "no": False}.get(ok("lives_alone") or ""),
        diet=ok("diet") or None,
        status=ok("status") or "active",
    )
    query = service.search_seniors(current_user, ok("q"), filters)
    page = db.paginate(query, page=page_number(), per_page=current_app.config.get("PAGE_SIZE", 25),
                       error_out=False, count=True)
    service.record_listed(page.items, by=current_user, source="staff_list")
    args = {k: v for k, v in request.args.items() if k != "page" and v and k in form._fields}
    return render_template("staff/seniors/list.html", form=form, page=page, args=args,
                           today=clock.local_today(), age_on=service.age_on)


@bp.route("/seniors/<id:senior_id>")
@role_required("admin", "staff", hide=True)
def senior_detail(senior_id: int):
    """Show everything staff need about one senior (an audited read)."""
    senior = get_senior_or_404(senior_id, current_user)
    return render_detail(senior, HoldForm())


def render_detail(senior, hold_form, status: int = 200):
    """Render the detail page (the hold views re-use it to show their form's errors)."""
    overview = service.read_senior(senior, by=current_user)
    history = audit_review.senior_history(senior.id)
    zone = clock.zone_of(senior.home_site)
    return render_template("staff/seniors/detail.html", o=overview, s=senior,
                           hold_form=hold_form, confirm=ConfirmForm(), today=clock.local_today(),
                           history=[(e, clock.local(e.event_dt, zone)) for e in history],
                           names=audit_names.names_for(history, current_user)), status


@bp.route("/seniors/new", methods=["GET", "POST"])
@role_required("admin", "staff")
def senior_new():
    """Create a senior at one of the user's sites."""
    form = _form_for(SeniorForm(), new=True)
    if form.validate_on_submit():
        try:
            senior = service.create_senior(form.service_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Senior %(name)s added.", name=senior.full_name), "success")
            return redirect(url_for("staff.senior_detail", senior_id=senior.id))
    status = 422 if form.errors else 200
    return render_template("staff/seniors/form.html", form=form, senior=None), status


@bp.route("/seniors/<id:senior_id>/edit", methods=["GET", "POST"])
@role_required("admin", "staff", hide=True)
def senior_edit(senior_id: int):
    """Change a senior's facts; refuses (409) if someone else saved in between."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=True)
    form = _form_for(SeniorEditForm(obj=senior), current_site=senior.home_site)
    set_point_choices(form, senior.home_site, senior.village_point)
    if request.method == "GET":
        form.categories.data = [c.category.value for c in senior.categories]
        service.record_form_read(senior, by=current_user)
    status = 200
    if form.validate_on_submit():
        try:
            service.update_senior(senior, form.service_data(), by=current_user, expected_version=form.version.data)
            point_service.set_senior_point(senior, form.village_point_id.data, by=current_user)
        except FieldError as error:
            show_error(form, error)
        except StaleRecord:
            transaction.doom()
            form.form_errors.append(_("This senior was changed by someone else while you were editing — "
                                      "reload the page to see their changes, then edit again."))
            status = 409
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("staff.senior_detail", senior_id=senior.id))
    if form.errors and status == 200:
        status = 422
    return render_template("staff/seniors/form.html", form=form, senior=senior), status


@bp.route("/seniors/<id:senior_id>/deactivate", methods=["GET", "POST"])
@role_required("admin", "staff", hide=True)
def senior_deactivate(senior_id: int):
    """Ask, then retire a senior (kept for history, no longer planned or listed)."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.deactivate_senior(senior, by=current_user)
        flash(_("%(name)s is no longer active.", name=senior.full_name), "success")
        return redirect(url_for("staff.seniors"))
    if request.method == "POST":
        abort(400)
    return render_template("staff/seniors/deactivate.html", form=form, senior=senior)
