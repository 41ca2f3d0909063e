"""Staff page to onboard a worker: send an invitation link, record certificates that unlock skills."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.forms.errors import show_error
from dispatch.forms.onboarding import CertificateForm, InviteWorkerForm
from dispatch.platform import clock
from dispatch.platform.access import get_worker_or_404, role_required
from dispatch.platform.errors import FieldError
from dispatch.services.volunteers import onboarding as service
from dispatch.web.staff import bp


@bp.route("/workers/<id:worker_id>/onboarding", methods=["GET", "POST"])
@role_required("admin", "staff", hide=True)
def worker_onboarding(worker_id: int):
    """Invite the worker by link and keep their certificates."""
    worker = get_worker_or_404(worker_id, current_user, for_edit=True)
    invite_form = InviteWorkerForm(prefix="invite")
    cert_form = CertificateForm(prefix="cert")
    link = None
    status = 200
    action = request.form.get("action")
    if action == "invite" and invite_form.validate_on_submit():
        try:
            _invitation, token = service.invite(worker, invite_form.email.data, by=current_user)
        except FieldError as error:
            show_error(invite_form, error)
        else:
            # Shown once: only its hash is kept.
            link = url_for("worker.join", token=token, _external=True)
    elif action == "certificate" and cert_form.validate_on_submit():
        try:
            service.record_certificate(worker, skill=cert_form.skill.data, name=cert_form.name.data,
                                       issued_on=cert_form.issued_on.data, expires_on=cert_form.expires_on.data,
                                       by=current_user)
        except FieldError as error:
            show_error(cert_form, error)
        else:
            flash(_("Certificate recorded."), "success")
            return redirect(url_for("staff.worker_onboarding", worker_id=worker.id))
    if invite_form.errors or cert_form.errors:
        status = 422
    today = clock.local_today()
    return render_template("staff/workers/onboarding.html", worker=worker, invite_form=invite_form,
                           cert_form=cert_form, link=link, certificates=service.certificates_of(worker),
                           today=today, planned_skills=service.skills_on(worker, today)), status
