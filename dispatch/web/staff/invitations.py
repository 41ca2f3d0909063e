"""Staff pages for family invitations: invite a relative of a senior, see the links, revoke one."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.forms.errors import show_error
from dispatch.forms.family import InviteForm
from dispatch.models.invitation import Invitation
from dispatch.platform import clock, transaction
from dispatch.platform.access import get_senior_or_404, role_required
from dispatch.platform.errors import FieldError
from dispatch.services.family import invitations as service
from dispatch.web.staff import bp


@bp.route("/seniors/<id:senior_id>/invitations", methods=["GET", "POST"])
@role_required("admin", "staff")
def senior_invitations(senior_id: int):
    """List a senior's family invitations and invite someone new; the link is shown once."""
    senior = get_senior_or_404(senior_id, current_user, for_edit=True)
    form = InviteForm()
    link = None
    status = 200
    if form.validate_on_submit():
        try:
            _invitation, token = service.invite(senior, form.email.data, form.relation.data, by=current_user)
        except FieldError as error:
            show_error(form, error, fields={"": "email"})  # a refusal naming no field shows at the e-mail
            status = 422
        else:
            link = url_for("family.join", token=token, _external=True)
            form = InviteForm(formdata=None)
    elif form.is_submitted():
        status = 422
    return render_template("staff/invitations/list.html", senior=senior, form=form, link=link,
                           invitations=service.for_senior(senior), now=clock.now()), status


@bp.post("/invitations/<id:invitation_id>/revoke")
@role_required("admin", "staff")
def revoke_invitation(invitation_id: int):
    """Withdraw an unused invitation link."""
    invitation = db.get_or_404(Invitation, invitation_id)
    get_senior_or_404(invitation.senior_id, current_user, for_edit=True)
    try:
        service.revoke(invitation, by=current_user)
    except FieldError as error:
        transaction.doom()
        flash(str(error.message), "error")
    else:
        flash(_("The invitation link no longer works."), "success")
    return redirect(url_for(".senior_invitations", senior_id=invitation.senior_id))
