"""Administrators' visitation pages: the one rules table (district and site rows) and what reached the district.

A change names the tier and the scope (the district or one site); bad days (zero, negative, over 366)
are refused with the field named and nothing changes. A site row can be dropped so the district's
applies again. Level-2 escalations (dues still overdue days after their latest date) are listed here.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.models.site import MealSite
from dispatch.models.user import RoleName
from dispatch.models.visitation import TIERS, MealCheckCounts, VisitationRule
from dispatch.platform import clock, transaction
from dispatch.platform.access import role_required
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import id_or_none
from dispatch.services.visitation import due as due_service
from dispatch.services.visitation import rules
from dispatch.web.admin import bp


def _counts_labels() -> dict:
    return {MealCheckCounts.NOTHING: _("Nothing"), MealCheckCounts.CALL: _("A call"),
            MealCheckCounts.VISIT: _("A home visit")}


def _page(*, errors: dict | None = None, form: dict | None = None, status: int = 200):
    sites = list(db.session.scalars(sa.select(MealSite).order_by(MealSite.name)))
    names = {s.id: s for s in sites}
    district = rules.district_rules()  # a tier never edited reads as its default
    own = db.session.scalars(sa.select(VisitationRule).where(VisitationRule.site_id.is_not(None))).all()
    rows = [district[t] for t in TIERS] + sorted(own, key=lambda r: (names[r.site_id].name, r.tier))
    return render_template("admin/visitation/rules.html", rows=rows, sites=sites, site_names=names, tiers=TIERS,
                           tier_names=rules.TIER_NAMES, counts=list(MealCheckCounts), counts_labels=_counts_labels(),
                           escalated=due_service.district_escalations(), errors=errors or {}, form=form or {},
                           kind_labels=due_service.KIND_LABELS, reason_text=due_service.reason_text,
                           today=clock.local_today(), max_days=rules.MAX_DAYS), status


@bp.route("/visitation/rules", methods=["GET", "POST"])
@role_required(RoleName.ADMIN)
def visitation_rules():
    """The visitation rules, one table; change a tier's days and what a meal check counts as."""
    if request.method == "GET":
        return _page()
    form = {k: request.form.get(k, "") for k in ("scope", "tier", "visit_days", "call_days", "meal_check_counts")}
    try:
        scope = form["scope"]
        site_id = None
        if scope not in ("", "district"):
            site_id = id_or_none(scope)
            if site_id is None or db.session.get(MealSite, site_id) is None:
                raise FieldError("scope", _("Choose the district or one of its sites."))
        if request.form.get("intent") == "clear":
            if site_id is None:
                raise FieldError("scope", _("The district's rules can be changed but not removed."))
            tier = id_or_none(form["tier"])
            if tier not in TIERS:
                raise FieldError("tier", _("Unknown tier."))
            if rules.clear_site_rule(tier, site_id, by=current_user):
                flash(_("The site follows the district's rule for this tier again."), "success")
            else:
                flash(_("The site had no rule of its own for this tier."), "info")
        else:
            rules.set_rule(form["tier"], site_id=site_id, visit_days=form["visit_days"],
                           call_days=form["call_days"], meal_check_counts=form["meal_check_counts"], by=current_user)
            flash(_("Rule saved."), "success")
    except FieldError as error:
        transaction.doom()
        known = ("scope", "tier", "visit_days", "call_days", "meal_check_counts")
        return _page(errors={error.field if error.field in known else "form": str(error.message)}, form=form,
                     status=422)
    return redirect(url_for("admin.visitation_rules"))
