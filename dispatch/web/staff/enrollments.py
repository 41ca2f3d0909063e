"""Staff pages for meal enrollments, and the holds added from a senior's page."""
from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.forms.enrollments import EnrollmentForm, EnrollmentSearchForm, HoldForm
from dispatch.forms.errors import show_error
from dispatch.forms.seniors import ConfirmForm
from dispatch.models.senior import Senior
from dispatch.platform.access import (
    get_enrollment_or_404,
    get_hold_or_404,
    get_senior_or_404,
    role_required,
    sites_editable_by,
    sites_visible_to,
)
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import label
from dispatch.platform.validation import id_or_none, is_id
from dispatch.services.care import away
from dispatch.services.meals import enrollments as service
from dispatch.services.people.seniors import search_seniors
from dispatch.web.staff import bp
from dispatch.web.staff.seniors import page_number, render_detail, site_choices, valid_or_none


@bp.route("/enrollments")
@role_required("admin", "staff")
def enrollments():
    """List the enrollments of the seniors this user may see, filtered, one page at a time."""
    form = EnrollmentSearchForm(formdata=request.args)
    form.site.choices = [SelectChoice(None, _("All my sites"))] + site_choices(sites_visible_to(current_user))
    form.validate()
    ok = partial(valid_or_none, form)
    filters = service.EnrollmentFilters(
        site_id=ok("site"), meal=ok("meal") or None, mode=ok("mode") or None,
        active={"yes": True, "no": False}.get(ok("active") or ""),
    )
    page = db.paginate(service.search_enrollments(current_user, filters), page=page_number(),
                       per_page=current_app.config.get("PAGE_SIZE", 25), error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v and k in form._fields}
    return render_template("staff/enrollments/list.html", form=form, page=page, args=args)


def _render_form(form: EnrollmentForm, enrollment=None, status: int = 200):
    """The form page, with a senior finder (``?q=``) and the chosen senior's name."""
    q = (request.args.get("q") or "").strip()[:100]
    matches = list(db.session.scalars(search_seniors(current_user, q).limit(10))) if q else []
    chosen = None
    if is_id(form.senior_id.data):
        chosen = db.session.get(Senior, form.senior_id.data)
        if chosen is not None and not _can_edit(chosen):
            chosen = None
    return render_template("staff/enrollments/form.html", form=form, enrollment=enrollment, q=q,
                           matches=matches, chosen=chosen), status


def _can_edit(senior: Senior) -> bool:
    try:
        get_senior_or_404(senior.id, current_user, for_edit=True, audit_refusal=False)
    except NotFound:
        return False
    return True


def _enrollment_form(**kwargs) -> EnrollmentForm:
    form = EnrollmentForm(**kwargs)
    form.site_id.choices = site_choices(sites_editable_by(current_user))
    return form


@bp.route("/enrollments/new", methods=["GET", "POST"])
@role_required("admin", "staff")
def enrollment_new():
    """Enroll a senior for a meal (``?senior_id=`` pre-fills the senior, ``?q=`` finds one)."""
    form = _enrollment_form()
    if request.method == "GET":
        form.senior_id.data = id_or_none(request.args.get("senior_id"))
        senior_site = None
        if form.senior_id.data:
            senior = db.session.get(Senior, form.senior_id.data)
            senior_site = senior.home_site_id if senior is not None and _can_edit(senior) else None
        if senior_site is not None:
            form.site_id.data = senior_site
    if form.validate_on_submit():
        try:
            enrollment = service.create_enrollment({**form.service_data(), "is_active": True}, by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Enrollment saved."), "success")
            return redirect(url_for("staff.senior_detail", senior_id=enrollment.senior_id))
    return _render_form(form, status=422 if form.errors else 200)


@bp.route("/enrollments/<id:enrollment_id>/edit", methods=["GET", "POST"])
@role_required("admin", "staff")
def enrollment_edit(enrollment_id: int):
    """Change an enrollment's site, meal, days, mode or dates, or stop it."""
    enrollment = get_enrollment_or_404(enrollment_id, current_user, for_edit=True)
    form = _enrollment_form(obj=enrollment)
    if request.method == "GET":
        form.weekdays.data = enrollment.weekday_list
    if form.validate_on_submit():
        try:
            service.update_enrollment(enrollment, form.service_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Enrollment saved."), "success")
            return redirect(url_for("staff.senior_detail", senior_id=enrollment.senior_id))
    return _render_form(form, enrollment, status=422 if form.errors else 200)


@bp.route("/seniors/<id:senior_id>/holds", methods=["POST"])
@role_required("admin", "staff")
def hold_new(senior_id: int):
    """Pause a senior's meals between two dates."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=True)
    form = HoldForm()
    if form.validate_on_submit():
        try:
            hold = service.add_hold(senior, form.service_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Meals are on hold for these dates."), "success")
            visits = away.visits_during(senior, hold.start_date, hold.end_date)
            if visits and hold.away:
                flash(ngettext("%(num)s visit falls on those days: it will not be planned while the senior is "
                               "away. Move or cancel it: %(list)s",
                               "%(num)s visits fall on those days: they will not be planned while the senior is "
                               "away. Move or cancel them: %(list)s", len(visits), list=_visit_list(visits)),
                      "error")
            elif visits:
                flash(ngettext("%(num)s visit on those days stays planned (the senior is at home): %(list)s",
                               "%(num)s visits on those days stay planned (the senior is at home): %(list)s",
                               len(visits), list=_visit_list(visits)), "info")
            return redirect(url_for("staff.senior_detail", senior_id=senior.id) + "#holds")
    return render_detail(senior, form, status=422)


def _visit_list(visits: list[away.VisitOnDay]) -> str:
    return "; ".join(f"{format_date(v.day, 'medium')} {label(v.request.service_type)} "
                     f"{v.request.window_start:%H:%M}–{v.request.window_end:%H:%M}" for v in visits)


@bp.route("/seniors/<id:senior_id>/holds/<id:hold_id>/end", methods=["POST"])
@role_required("admin", "staff")
def hold_end(senior_id: int, hold_id: int):
    """End a hold early: meals resume tomorrow (a hold not yet started is removed)."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=True)
    hold = get_hold_or_404(senior, hold_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.end_hold(hold, by=current_user)
        except FieldError as error:
            flash(error.message, "error")
        else:
            flash(_("The hold is ended; meals resume tomorrow."), "success")
    return redirect(url_for("staff.senior_detail", senior_id=senior.id) + "#holds")
