"""Administrators' security pages: API tokens, the audit log and the unusual-access report.

Every view re-checks the admin role; issuing or revoking a token needs a
recent password entry, like the account actions.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.forms.errors import show_error
from dispatch.forms.security import ApiTokenForm, AuditFilterForm, UnusualAccessForm
from dispatch.models.user import RoleName, User
from dispatch.platform import audit_names, audit_review, clock
from dispatch.platform.access import role_required
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import parse_page
from dispatch.services.people import api_tokens
from dispatch.web.admin.accounts import reauthenticate_unless_fresh

bp = Blueprint("admin_security", __name__, url_prefix="/admin")


@bp.context_processor
def _helpers() -> dict:
    return {"local_dt": lambda dt: dt.astimezone(clock.zone_of(None)) if dt else None, "now": clock.now()}


@bp.route("/api-tokens", methods=["GET", "POST"])
@role_required(RoleName.ADMIN)
def api_tokens_page():
    """List API tokens and issue a new one (its secret is shown once, on this page)."""
    form = ApiTokenForm()
    secret = None
    if request.method == "POST":
        if (stale := reauthenticate_unless_fresh(url_for("admin_security.api_tokens_page"))) is not None:
            return stale
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == form.email.data.strip().lower()))
        try:
            if user is None:
                raise FieldError("email", _("No account has this email."))
            issued = api_tokens.issue(user, role=form.role.data, name=form.name.data, days=form.days.data,
                                      site_ids=form.sites.data or (), by=current_user)
        except FieldError as error:
            show_error(form, error, fields={"site_ids": "sites"})
        else:
            secret = issued.secret
            flash(_("Token created. Copy it now: it will not be shown again."), "success")
            form = ApiTokenForm(formdata=None)
    status = 422 if form.errors else 200
    return render_template("admin/api_tokens.html", form=form, tokens=api_tokens.all_tokens(), secret=secret), status


@bp.route("/api-tokens/<id:token_id>/revoke", methods=["POST"])
@role_required(RoleName.ADMIN)
def revoke_api_token(token_id: int):
    """Revoke a token at once; calls with it are refused from now on."""
    token = api_tokens.get_token_or_404(token_id)
    if (stale := reauthenticate_unless_fresh(url_for("admin_security.api_tokens_page"))) is not None:
        return stale
    api_tokens.revoke(token, by=current_user)
    flash(_("Token revoked."), "success")
    return redirect(url_for("admin_security.api_tokens_page"))


@bp.route("/audit")
@role_required(RoleName.ADMIN)
def audit_log():
    """The audit trail, newest first, filtered by user, senior and days."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    filters = audit_review.AuditFilters(
        user_id=form.user_id.data if valid else None, senior_id=form.senior_id.data if valid else None,
        day_from=form.day_from.data if valid else None, day_to=form.day_to.data if valid else None)
    page = audit_review.search_events(filters, page=parse_page(request.args.get("page")),
                                      per_page=current_app.config.get("PAGE_SIZE", 25))
    args = {k: v for k, v in request.args.items() if k != "page" and v and valid}
    names = audit_names.names_for(page.items, current_user)
    return render_template("admin/audit.html", form=form, page=page, filters=args, names=names), \
        200 if valid else 422


@bp.route("/audit/unusual")
@role_required(RoleName.ADMIN)
def unusual_access():
    """Who read unusually many seniors' files on a day, and workers acting on stops not theirs."""
    form = UnusualAccessForm(request.args)
    day = form.day.data if form.validate() and form.day.data else clock.local_today()
    form.day.data = day
    return render_template("admin/unusual_access.html", form=form, report=audit_review.unusual_access(day))
