"""Subsidy rules: list what prices a site's meals, add a rule, start a new version of one."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.forms.errors import show_error
from dispatch.forms.subsidies import SubsidyRuleForm
from dispatch.platform.access import is_admin, role_required
from dispatch.platform.datefmt import date_text
from dispatch.platform.errors import FieldError
from dispatch.services.money import subsidies as subsidy_service
from dispatch.web.staff import bp
from dispatch.web.staff.board import visible_sites


def _form(rule=None) -> SubsidyRuleForm:
    form = SubsidyRuleForm() if request.method == "POST" or rule is None else SubsidyRuleForm(obj=rule)
    if request.method == "GET" and rule is not None:
        form.fill(rule)
        form.valid_from.data = None
        form.valid_to.data = None
    form.set_choices(visible_sites(), district_wide=is_admin(current_user))
    if rule is not None:
        form.site_id.choices = [c for c in form.site_id.choices if (c.value or None) == rule.site_id]
    return form


@bp.route("/subsidies")
@role_required("admin", "staff")
def subsidy_rules():
    """List the subsidy rules for the user's sites and the district, newest versions first."""
    sites = {s.id: s for s in visible_sites()}
    rules = subsidy_service.list_rules(current_user)
    return render_template("staff/subsidies/list.html", rules=rules, sites=sites,
                           can_edit=lambda r: subsidy_service.can_edit(current_user, r.site_id))


@bp.route("/subsidies/new", methods=["GET", "POST"])
@role_required("admin", "staff")
def subsidy_rule_new():
    """Add a subsidy rule (staff: for their own sites; admins: also district-wide)."""
    form = _form()
    if form.validate_on_submit():
        try:
            rule = subsidy_service.create_rule(form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Rule %(name)s added.", name=rule.name), "success")
            return redirect(url_for("staff.subsidy_rules"))
    return render_template("staff/subsidies/form.html", form=form, rule=None), _status(form)


@bp.route("/subsidies/<id:rule_id>/new-version", methods=["GET", "POST"])
@role_required("admin", "staff")
def subsidy_rule_version(rule_id: int):
    """Start a new version of a rule from a later date (the old one ends the day before)."""
    rule = subsidy_service.get_rule_or_404(rule_id, current_user)
    if not subsidy_service.can_edit(current_user, rule.site_id):
        abort(403)
    form = _form(rule)
    if form.validate_on_submit():
        try:
            new = subsidy_service.supersede_rule(rule, form.to_data(), by=current_user)
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_("Rule %(name)s: new version from %(day)s.", name=new.name, day=date_text(new.valid_from)),
                  "success")
            return redirect(url_for("staff.subsidy_rules"))
    return render_template("staff/subsidies/form.html", form=form, rule=rule), _status(form)


def _status(form) -> int:
    return 422 if request.method == "POST" and form.errors else 200
