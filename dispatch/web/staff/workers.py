"""Staff pages for workers: list with search and filters, detail with weekly shifts, create and edit."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.forms.errors import show_error
from dispatch.forms.workers import WorkerFilterForm, WorkerForm
from dispatch.platform import clock
from dispatch.platform.access import get_worker_or_404, role_required
from dispatch.platform.errors import FieldError
from dispatch.services.people import workers as worker_service
from dispatch.services.rural import points as point_service
from dispatch.web.staff import bp
from dispatch.web.staff.seniors import set_point_choices
from dispatch.web.staff.sites import page_arg


@bp.route("/workers")
@role_required("admin", "staff")
def workers():
    """List the workers the user may see, by name or phone tail, filtered by site, kind, skill, mode, status."""
    filters = WorkerFilterForm(formdata=request.args, sites=worker_service.visible_sites(current_user))
    page = worker_service.list_workers(current_user, filters.to_filters(), page=page_arg(),
                                       per_page=current_app.config.get("PAGE_SIZE", 25))
    return render_template("staff/workers/list.html", page=page, filters=filters, query_args=filters.query_args())


@bp.route("/workers/<id:worker_id>")
@role_required("admin", "staff")
def worker_detail(worker_id: int):
    """Show one worker with skills and weekly shifts."""
    worker = get_worker_or_404(worker_id, current_user)
    tz = clock.zone_of(worker.home_site)
    return render_template("staff/workers/detail.html", worker=worker,
                           can_edit=worker_service.can_edit(current_user, worker),
                           shift_sites=worker_service.shift_site_names(worker),
                           created_local=worker.created_dt.astimezone(tz) if worker.created_dt else None)


@bp.route("/workers/new", methods=["GET", "POST"])
@role_required("admin", "staff")
def worker_new():
    """Add a worker based at one of the user's sites."""
    form = WorkerForm(sites=worker_service.editable_sites(current_user))
    if form.validate_on_submit():
        try:
            worker = worker_service.create_worker(form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Worker %(name)s added.", name=worker.full_name), "success")
            return redirect(url_for("staff.worker_detail", worker_id=worker.id))
    elif request.method == "GET":
        form.add_blank_shift_rows()
    return render_template("staff/workers/form.html", form=form, worker=None), _status(form)


@bp.route("/workers/<id:worker_id>/edit", methods=["GET", "POST"])
@role_required("admin", "staff")
def worker_edit(worker_id: int):
    """Change a worker's details, skills and weekly shifts (staff: workers of their sites only)."""
    worker = get_worker_or_404(worker_id, current_user, for_edit=True)
    sites = worker_service.editable_sites(current_user)
    if request.method == "POST":
        form = WorkerForm(sites=sites)  # a field left out is empty, not silently kept
    else:
        # WTForms reads ``obj`` before keyword data: hide the worker's own shifts and skills, else the stored
        # shifts were added twice (a worker with six shifts overflowed the form's ten rows: a 500).
        form = WorkerForm(obj=_Overlay(worker, skills=[s.skill.value for s in worker.skills], shifts=[]), sites=sites)
        form.fill_shifts(worker.shifts)
        form.add_blank_shift_rows()
    set_point_choices(form, worker.home_site, worker.village_point)
    if form.validate_on_submit():
        try:
            worker_service.update_worker(worker, form.to_data(), by=current_user)
            point_service.set_worker_point(worker, form.village_point_id.data, by=current_user)
        except FieldError as error:
            show_error(form, error)
            worker = get_worker_or_404(worker_id, current_user, for_edit=True)
        else:
            flash(_("Worker %(name)s saved.", name=worker.full_name), "success")
            return redirect(url_for("staff.worker_detail", worker_id=worker.id))
    return render_template("staff/workers/form.html", form=form, worker=worker), _status(form)


class _Overlay:
    """``obj`` for a form: the record's attributes, with some replaced."""

    def __init__(self, record, **replaced) -> None:
        self._record, self._replaced = record, replaced

    def __getattr__(self, name):
        replaced = self.__dict__.get("_replaced", {})
        return replaced[name] if name in replaced else getattr(self._record, name)


def _status(form) -> int:
    return 422 if request.method == "POST" and form.errors else 200
