"""Staff pages to bring seniors and workers in from a spreadsheet and take them out again.

Upload -> preview (columns matched by header, adjustable; every row checked)
-> import the valid rows in one go. The file stays on the server between the
steps so the import is of exactly what was previewed.
"""
from __future__ import annotations

import re

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.forms.imports import UploadForm, mapping_form
from dispatch.models.site import MealSite
from dispatch.platform import jobs, uploads
from dispatch.platform.access import is_admin, role_required, sites_editable_by
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import shown_name
from dispatch.services.imports import background
from dispatch.services.imports import seniors as senior_import
from dispatch.services.imports import workers as worker_import
from dispatch.services.imports.columns import auto_map, parse_mapping
from dispatch.services.imports.tabular import FileRefused, digest, read_table, write_csv, write_xlsx
from dispatch.services.people import geocoding
from dispatch.web.staff import bp

SHOW_NEW_ROWS = 20
IMPORTERS = {"seniors": senior_import, "workers": worker_import}


def _importer(kind: str):
    if kind not in IMPORTERS:
        abort(404)
    return IMPORTERS[kind]


def site_choices() -> list[SelectChoice]:
    sites = db.session.scalars(sites_editable_by(current_user).order_by(MealSite.name)).all()
    first = [SelectChoice(None, _("None: admins assign it later"))] if is_admin(current_user) else []
    if not first and len(sites) != 1:
        first = [SelectChoice(None, _("None: each row names its site"))]
    return first + [SelectChoice(s.id, shown_name(s)) for s in sites]


@bp.route("/import/<kind>", methods=["GET", "POST"])
@role_required("admin", "staff")
def import_upload(kind: str):
    """Upload a CSV or XLSX of seniors or workers to preview."""
    service = _importer(kind)
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            read_table(data, upload.filename or "")
        except FileRefused as error:
            form.file.errors.append(error.message)
        else:
            token = uploads.keep(data, upload.filename or "", user_id=current_user.id)
            return redirect(url_for("staff.import_preview", kind=kind, token=token))
    if form.errors:
        status = 422
    limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return render_template("staff/imports/upload.html", form=form, limit_mb=limit_mb, kind=kind,
                           headings=[c.heading for c in service.COLUMNS]), status


@bp.route("/import/<kind>/<token>", methods=["GET", "POST"])
@role_required("admin", "staff")
def import_preview(kind: str, token: str):
    """Match columns, see every row's problems, then import the valid rows."""
    service = _importer(kind)
    stored = uploads.load(token, user_id=current_user.id)
    if stored is None:
        abort(404)
    data, filename = stored
    try:
        table = read_table(data, filename)
    except FileRefused:
        abort(404)  # it was readable when kept; a changed file is not ours to import
    form = mapping_form(table.headers, service.COLUMNS, service.column_label, site_choices(),
                        formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "GET":
        for key, index in auto_map(table.headers, service.COLUMNS).items():
            form[f"map_{key}"].data = "" if index is None else str(index)
        choices = form.default_site.choices
        form.default_site.data = choices[0].value if choices else None
    checked = None
    if request.method == "GET" or form.validate_on_submit():
        try:
            mapping = parse_mapping({k: form[k].data for k in form._fields if k.startswith("map_")},
                                    table.headers, service.COLUMNS)
            if request.method == "POST" and request.form.get("action") == "import" \
                    and len(table.rows) > background.BACKGROUND_ROWS:
                return _import_in_background(kind, token, mapping, form.default_site.data)
            if request.method == "POST" and request.form.get("action") == "import":
                result = service.run_import(table, mapping, by=current_user, default_site_id=form.default_site.data,
                                            file_digest=digest(data))
                uploads.discard(token, user_id=current_user.id)
                if kind == "seniors" and result.ids:
                    _locate_later(list(result.ids))
                flash(_("%(created)s imported; %(existing)s already recorded; %(errors)s.", created=result.created,
                        existing=result.existing,
                        errors=ngettext("%(num)s row had errors and was left out",
                                        "%(num)s rows had errors and were left out", result.errors)), "success")
                return redirect(url_for("staff.seniors" if kind == "seniors" else "staff.workers"))
            checked = service.preview(table, mapping, by=current_user, default_site_id=form.default_site.data)
        except FieldError as error:
            target = form._fields.get(error.field or "")
            (target.errors if target is not None and isinstance(target.errors, list) else form.form_errors).append(
                error.message)
    if form.errors:
        status = 422
    return render_template("staff/imports/preview.html", form=form, token=token, kind=kind, filename=filename, table=table,
                           checked=checked, columns=service.COLUMNS, column_label=service.column_label,
                           show_new=SHOW_NEW_ROWS), status


def _import_in_background(kind: str, token: str, mapping: dict, default_site_id: int | None):
    """Queue a big import (RQ, or a thread of this process without Redis) and show its progress page.

    The job starts once this request has committed (``platform.jobs.enqueue``); it commits on its own."""
    handle = jobs.enqueue("dispatch.jobs.import_job", kind, token, current_user.id, mapping, default_site_id,
                          job_timeout=1800, meta={"user_id": current_user.id})
    if handle.status == "finished":  # run inline (JOBS_INLINE): it ran while this request waited
        return _import_done(kind, handle.result or {})
    if handle.status == "failed":
        flash(_("The import failed; nothing was added. Try again."), "error")
        return redirect(url_for("staff.import_preview", kind=kind, token=token))
    return redirect(url_for("staff.import_job", kind=kind, job=handle.id))


def _import_done(kind: str, result: dict):
    if result.get("error"):
        flash(_("The import stopped; nothing was added: %(reason)s", reason=result["error"]), "error")
        return redirect(url_for("staff.import_upload", kind=kind))
    if kind == "seniors" and result.get("ids"):
        _locate_later(list(result["ids"]))
    flash(_("%(created)s imported; %(existing)s were already recorded; %(errors)s rows had "
            "errors and were left out.", created=result.get("created", 0), existing=result.get("existing", 0),
            errors=result.get("errors", 0)), "success")
    return redirect(url_for("staff.seniors" if kind == "seniors" else "staff.workers"))


@bp.route("/import/<kind>/job/<job>")
@role_required("admin", "staff")
def import_job(kind: str, job: str):
    """A background import's progress (the page refreshes itself), then its result."""
    _importer(kind)
    handle = jobs.fetch(job) if re.fullmatch(r"[0-9a-f-]{1,64}", job) else None
    if handle is None:
        abort(404)
    owner = (handle.result or {}).get("user_id") if isinstance(handle.result, dict) else handle.meta.get("user_id")
    if owner != current_user.id:  # the one who uploaded watches it; nobody else learns it exists
        abort(404)
    if handle.status == "finished" and isinstance(handle.result, dict):
        return _import_done(kind, handle.result)
    running = handle.status in ("queued", "started", "deferred", "scheduled")
    return render_template("staff/imports/progress.html", job=handle, running=running, kind=kind)


def _locate_later(senior_ids: list[int]) -> None:
    """Geocode the new seniors on an RQ worker; without Redis, staff start it from the Locations page
    (a thousand addresses at Nominatim's one a second would hold the request for a quarter of an hour)."""
    if current_app.config.get("REDIS_URL"):
        geocoding.start_geocoding(senior_ids)
        flash(_("The new addresses are being located in the background: see Locations for progress."), "info")
    else:
        flash(_("Open Locations to locate the new addresses on the map."), "info")


@bp.route("/<kind>/export.<fmt>")
@role_required("admin", "staff")
def export_records(kind: str, fmt: str):
    """Download the seniors or workers this user may see, in the columns the import reads."""
    service = _importer(kind)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    headings, rows = service.export_rows(by=current_user)
    if fmt == "csv":
        body, mimetype = write_csv(headings, rows), "text/csv; charset=utf-8"
    else:
        body = write_xlsx(headings, rows, title=kind.title())
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
