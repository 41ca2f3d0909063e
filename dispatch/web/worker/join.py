"""The invitation link a volunteer opens on their phone: set a name, password and travel mode, and you are in."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from dispatch.forms.errors import show_error
from dispatch.forms.onboarding import JoinAsWorkerForm
from dispatch.platform.errors import FieldError
from dispatch.services.volunteers import onboarding as service
from dispatch.web.worker import bp


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """Join as a worker from an invitation link (no app to install)."""
    try:
        invitation = service.find_usable(token)
    except service.LinkUnusable as error:
        return render_template("family/join_refused.html", message=error.message), 410
    form = JoinAsWorkerForm()
    if form.validate_on_submit():
        try:
            service.accept(token, form.display_name.data, form.password.data, form.travel_mode.data)
        except service.LinkUnusable as error:
            return render_template("family/join_refused.html", message=error.message), 410
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Welcome! Sign in with your e-mail address and the password you chose."), "success")
            return redirect(url_for("security.login"))
    status = 422 if form.errors else 200
    return render_template("worker/join.html", form=form, invitation=invitation), status
