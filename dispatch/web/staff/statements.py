"""Monthly statements: per site and per senior, CSV/XLSX downloads, close and (admins) re-open."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.models.site import MealSite
from dispatch.platform import clock, transaction
from dispatch.platform.access import get_senior_or_404, get_site_or_404, is_admin, role_required
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.services.money import statement_exports
from dispatch.services.money import statements as statement_service
from dispatch.services.money import subsidies as subsidy_service
from dispatch.services.rounds import evv
from dispatch.web.staff import bp
from dispatch.web.staff.board import pick_site, visible_sites


def _args() -> tuple[MealSite, date, str | None]:
    site = pick_site()
    try:
        month = statement_service.parse_month(request.args.get("month"), default=clock.local_today(site))
        return site, month, None
    except FieldError as error:
        return site, statement_service.parse_month(None, default=clock.local_today(site)), str(error.message)


def _senior_id() -> int | None:
    raw = request.args.get("senior")
    if not raw:
        return None
    return get_senior_or_404(raw, current_user).id


@bp.route("/statements")
@role_required("admin", "staff")
def statements():
    """A site's monthly statement: totals by band and by senior, and whether the month is closed."""
    site, month, error = _args()
    st = statement_service.statement(site, month)
    return render_template("staff/statements/page.html", st=st, sites=visible_sites(), error=error,
                           is_admin=is_admin(current_user), can_close=month < clock.local_today(site).replace(day=1),
                           budget=subsidy_service.budget_for(site.id, month)), (400 if error else 200)


@bp.route("/statements/senior/<id:senior_id>")
@role_required("admin", "staff")
def statement_senior(senior_id: int):
    """One senior's meals of the month at a site, each with its proof and its price split."""
    senior = get_senior_or_404(senior_id, current_user)
    site, month, error = _args()
    st = statement_service.statement(site, month, senior_id=senior.id)
    visits = evv.month_visits(site.id, senior.id, st.month, subsidy_service.month_end(st.month))
    return render_template("staff/statements/senior.html", st=st, senior=senior, error=error, visits=visits,
                           zone=clock.zone_of(site)), \
        (400 if error else 200)


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _export(kind: str):
    site, month, error = _args()
    if error:
        abort(400)
    senior_id = _senior_id()
    st = statement_service.statement(site, month, senior_id=senior_id)
    statement_service.record_export(st, kind, by=current_user, senior_id=senior_id)
    stem = f"statement-site{site.id}-{month:%Y-%m}" + (f"-senior{senior_id}" if senior_id else "")
    if kind == "csv":
        return _download(statement_exports.statement_csv(st), "text/csv; charset=utf-8", stem + ".csv")
    return _download(statement_exports.statement_xlsx(st),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", stem + ".xlsx")


@bp.route("/statements.csv")
@role_required("admin", "staff")
def statement_csv():
    """Download the month's statement (a site's, or one senior's) as CSV."""
    return _export("csv")


@bp.route("/statements.xlsx")
@role_required("admin", "staff")
def statement_xlsx():
    """Download the month's statement as an Excel workbook."""
    return _export("xlsx")


@bp.route("/statements/close", methods=["POST"])
@role_required("admin", "staff")
def statement_close():
    """Close a finished month: its lines are frozen from now on."""
    site = get_site_or_404(request.args.get("site"), current_user, for_edit=True)
    month = statement_service.parse_month(request.args.get("month"), default=clock.local_today(site))
    try:
        statement_service.close_month(site, month, by=current_user, today=clock.local_today(site))
    except FieldError as error:
        flash(str(error.message), "error")
    except StaleRecord as error:
        transaction.doom()
        flash(str(error), "error")
    else:
        flash(_("%(month)s closed.", month=f"{month:%Y-%m}"), "success")
    return redirect(url_for("staff.statements", site=site.id, month=f"{month:%Y-%m}"))


@bp.route("/statements/reopen", methods=["POST"])
@role_required("admin")
def statement_reopen():
    """Re-open a closed month (administrators), with the reason written to the audit trail."""
    site = get_site_or_404(request.args.get("site"), current_user, for_edit=True)
    month = statement_service.parse_month(request.args.get("month"), default=clock.local_today(site))
    try:
        statement_service.reopen_month(site, month, reason=request.form.get("reason", ""), by=current_user)
    except FieldError as error:
        flash(str(error.message), "error")
        return redirect(url_for("staff.statements", site=site.id, month=f"{month:%Y-%m}")), 303
    except StaleRecord as error:
        transaction.doom()
        flash(str(error), "error")
    else:
        flash(_("%(month)s re-opened.", month=f"{month:%Y-%m}"), "success")
    return redirect(url_for("staff.statements", site=site.id, month=f"{month:%Y-%m}"))


@bp.route("/statements/budget", methods=["POST"])
@role_required("admin")
def statement_budget():
    """Set the site's subsidy budget for the month (administrators), drawn on the dashboard."""
    site = get_site_or_404(request.args.get("site"), current_user)
    month = statement_service.parse_month(request.args.get("month"), default=clock.local_today(site))
    raw = (request.form.get("amount") or "").strip().replace(",", "")
    try:
        amount = Decimal(raw)
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
        subsidy_service.set_budget(site.id, month, int(amount * 100), by=current_user)
    except InvalidOperation:
        flash(_("Enter the budget in yuan, e.g. 12000 or 12000.50."), "error")
        return redirect(url_for("staff.statements", site=site.id, month=f"{month:%Y-%m}")), 303
    except FieldError as error:
        flash(str(error.message), "error")
        return redirect(url_for("staff.statements", site=site.id, month=f"{month:%Y-%m}")), 303
    flash(_("Budget for %(month)s saved.", month=f"{month:%Y-%m}"), "success")
    return redirect(url_for("staff.statements", site=site.id, month=f"{month:%Y-%m}"))
