"""Staff pages for a site's volunteer shifts: publish dated needs, see who signed up or cancelled late."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.forms.errors import show_error
from dispatch.forms.shifts import PublishShiftForm
from dispatch.platform import clock
from dispatch.platform.access import get_site_or_404, role_required
from dispatch.platform.errors import FieldError
from dispatch.services.volunteers import shifts as service
from dispatch.web.staff import bp


@bp.route("/sites/<id:site_id>/shifts", methods=["GET", "POST"])
@role_required("admin", "staff", hide=True)
def site_shifts(site_id: int):
    """List the site's upcoming volunteer shifts and publish a new one."""
    site = get_site_or_404(site_id, current_user, for_edit=True)
    form = PublishShiftForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.publish_shift(site_id=site.id, service_date=form.service_date.data, start=form.start_time.data,
                                  end=form.end_time.data, role=form.role.data, needed=form.needed.data,
                                  by=current_user, today=clock.local_today())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Shift published: volunteers of this site can sign up for it now."), "success")
            return redirect(url_for("staff.site_shifts", site_id=site.id))
    if form.errors:
        status = 422
    return render_template("staff/shifts/list.html", site=site, form=form,
                           shifts=service.upcoming_shifts(site.id, clock.local_today())), status
