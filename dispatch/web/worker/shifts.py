"""A volunteer's shifts on their phone: offers of freed places, their own shifts, open shifts to sign up for."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.forms.shifts import ButtonForm
from dispatch.platform import clock
from dispatch.platform.access import role_required, worker_for
from dispatch.platform.errors import FieldError
from dispatch.services.volunteers import shifts as service
from dispatch.web.worker import bp


def _worker_or_404():
    worker = worker_for(current_user)
    if worker is None:
        abort(404)
    return worker


@bp.route("/shifts")
@role_required("worker")
def shifts():
    """Offers, my shifts and open shifts at my sites."""
    worker = worker_for(current_user)
    now = clock.now()
    board = service.board_for(worker, now) if worker is not None else None
    return render_template("worker/shifts.html", worker=worker, board=board, form=ButtonForm(), now=now,
                           start_dt=service.start_dt, is_late=service.is_late)


def _act(action, *args, done: str):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = action(*args)
    except FieldError as error:
        flash(str(error.message), "error")
    else:
        flash(done if not callable(done) else done(result), "success")
    return redirect(url_for("worker.shifts"))


@bp.route("/shifts/<id:shift_id>/signup", methods=["POST"])
@role_required("worker")
def shift_signup(shift_id: int):
    """Take a place on a shift."""
    return _act(service.sign_up, shift_id, _worker_or_404(), done=_("You are signed up. Thank you!"))


@bp.route("/shifts/<id:shift_id>/cancel", methods=["POST"])
@role_required("worker")
def shift_cancel(shift_id: int):
    """Give a place up (late: others are asked to take it)."""
    return _act(service.cancel, shift_id, _worker_or_404(),
                done=lambda offers: _("Cancelled. Your place is being offered to others.") if offers
                else _("Cancelled."))


@bp.route("/offers/<id:offer_id>/accept", methods=["POST"])
@role_required("worker")
def offer_accept(offer_id: int):
    """Take a freed place offered to me (the first to accept gets it)."""
    return _act(service.accept_offer, offer_id, _worker_or_404(), done=_("The shift is yours. Thank you!"))
