"""Staff daily planning: today's orders and requests per site, plan pages, adjust and publish."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.forms.planning import MoveForm, VersionedForm
from dispatch.models.plan import Plan, PlanKind
from dispatch.models.site import MealSite, MealType
from dispatch.platform import clock, transaction
from dispatch.platform.access import get_site_or_404, role_required, sites_editable_by
from dispatch.platform.datefmt import date_text
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.labels import label
from dispatch.platform.validation import parse_day
from dispatch.services import planning as planning_service
from dispatch.services.care import requests as request_service
from dispatch.services.meals import orders as order_service
from dispatch.services.planning.changes import RETIMED_MINUTES, changes_for
from dispatch.services.planning.view import JOB_STATES, plan_view
from dispatch.services.rural import county as rural_county
from dispatch.services.rural import plans as rural_plans
from dispatch.services.visitation import planning as visitation_planning
from dispatch.web.staff import bp


def refuse(error: Exception):
    """Show why an action was refused (409 for someone else's save or a frozen plan, 422 for bad input).

    The unit is doomed: nothing the service flushed before it refused is committed.
    """
    transaction.doom()
    conflict = isinstance(error, (StaleRecord, planning_service.PlanNotEditable, request_service.InvalidTransition))
    message = getattr(error, "message", None) or str(error)
    return render_template("staff/planning/refused.html", message=message,
                           back=request.referrer or url_for("staff.today")), 409 if conflict else 422


def _day_arg(raw: str | None) -> date:
    try:
        return parse_day(raw, "date", default=clock.local_today())
    except FieldError as error:
        abort(400, str(error.message))


def _plan_or_404(plan_id: int) -> Plan:
    """Load a plan of a site the user manages (staff of other sites get 404)."""
    plan = planning_service.load_plan(plan_id)
    if plan is None:
        abort(404)
    get_site_or_404(plan.site_id, current_user, for_edit=True)
    return plan


@bp.route("/today")
@role_required("admin", "staff")
def today():
    """Today's work for one site: meal orders, requests to review, plans and the buttons that make them."""
    sites = db.session.scalars(sites_editable_by(current_user).where(MealSite.is_active.is_(True))
                               .order_by(MealSite.name)).all()
    day = _day_arg(request.args.get("date"))
    site = None
    if request.args.get("site"):
        site = get_site_or_404(request.args.get("site"), current_user, for_edit=True)
    else:
        site = planning_service.site_to_open(sites, day)
    context = {"sites": sites, "site": site, "day": day}
    if site is not None:
        context.update(
            counts=order_service.day_counts(site, day),
            awaiting=request_service.awaiting_review(site, from_day=day),
            visits=request_service.visits_for(site, day),
            away_visits=request_service.away_visits_for(site, day),
            plans=planning_service.plans_for_day(site, day),
            meals=[m for m in MealType if site.window_for(m) is not None],
        )
        on_day = {r.id for r in context["visits"]} | {r.id for r in context["away_visits"]}
        # Due welfare visits not yet on the day as a request: the visits plan brings them in.
        context["due_visits"] = [d for d in visitation_planning.dues_for_day(site, day)
                                 if d.service_request_id not in on_day]
        context["nothing_planned"] = not (context["plans"] or context["counts"].generated or context["visits"]
                                          or context["due_visits"])
        # Opened without a site, an empty one means every site is empty (site_to_open prefers a busy one).
        context["nothing_anywhere"] = context["nothing_planned"] and not request.args.get("site") and len(sites) > 1
    return render_template("staff/planning/today.html", label=label, job_states=JOB_STATES, **context)


@bp.route("/today/orders", methods=["POST"])
@role_required("admin", "staff")
def generate_orders():
    """Make (or bring up to date) the day's meal orders from enrollments and holds."""
    site = get_site_or_404(request.form.get("site"), current_user, for_edit=True)
    day = _day_arg(request.form.get("date"))
    result = order_service.generate_orders(site, day, by=current_user)
    flash(_("Orders for %(day)s: %(created)s new, %(cancelled)s cancelled (holds), %(same)s unchanged.",
            day=date_text(day), created=result.created + result.reopened, cancelled=result.cancelled,
            same=result.unchanged), "success")
    return redirect(url_for("staff.today", site=site.id, date=day.isoformat()))


@bp.route("/today/plan", methods=["POST"])
@role_required("admin", "staff")
def plan_start():
    """Plan a site's meal window or visit shift in the background; show the new version's page."""
    site = get_site_or_404(request.form.get("site"), current_user, for_edit=True)
    day = _day_arg(request.form.get("date"))
    try:
        kind = PlanKind(request.form.get("kind", ""))
        meal = MealType(request.form["meal"]) if kind == PlanKind.MEALS else None
    except (ValueError, KeyError):
        return refuse(FieldError("kind", _("Choose lunch, dinner, visits or the whole day.")))
    try:
        if kind == PlanKind.MEALS and rural_county.is_county(site):
            # A kitchen with village points: both legs (trunk runs, village rounds) planned and checked together,
            # in the background job like every plan; bad input is refused here, before anything is queued.
            plan = rural_plans.start_county(site, day, meal, by=current_user)
        else:
            plan = planning_service.start_planning(site, day, kind, meal, by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    return redirect(url_for("staff.plan_detail", plan_id=plan.id))


@bp.route("/plans/<id:plan_id>")
@role_required("admin", "staff")
def plan_detail(plan_id: int):
    """Review a plan version: figures, routes as lists and on a map, unassigned stops, adjust and publish."""
    plan = _plan_or_404(plan_id)
    state = planning_service.job_state(plan)
    view = plan_view(plan) if state.get("state") == "done" else None
    form = _move_form(plan, view) if view is not None and plan.is_editable else None
    newer = planning_service.latest_plan(plan.site, plan.service_date, plan.kind, plan.meal)
    changes = changes_for(plan) if view is not None else None
    parts = planning_service.window_parts(plan) if plan.kind == PlanKind.DAY and view is not None else []
    return render_template("staff/planning/plan.html", plan=plan, view=view, state=state, form=form, changes=changes, retimed_minutes=RETIMED_MINUTES,
                           window_parts=parts, meal_type=MealType,
                           job_states=JOB_STATES, label=label, newer=newer if newer.id != plan.id else None,
                           action=VersionedForm(version=plan.version))


def _move_form(plan: Plan, view, formdata=None) -> MoveForm:
    form = MoveForm(formdata=formdata, version=plan.version)
    choices = []
    for row in view.routes:
        for n, s in enumerate(row.stops, start=1):
            choices.append(SelectChoice(s.key, f"{row.route.worker.full_name} #{n}: {s.senior.full_name}"))
    for u in view.unassigned:
        name = u["senior"].full_name if u.get("senior") else u["stop"]
        choices.append(SelectChoice(u["stop"], _("Unassigned: %(name)s", name=name)))
    form.stop.choices = choices
    form.worker.choices = ([SelectChoice(w["key"], w["name"]) for w in view.workers]
                           + [SelectChoice("none", _("Off every route"))])
    return form


@bp.route("/plans/<id:plan_id>/status")
@role_required("admin", "staff")
def plan_status(plan_id: int):
    """The planning job's progress, for the page's polling script."""
    plan = _plan_or_404(plan_id)
    state = planning_service.job_state(plan)
    return jsonify(state=state.get("state"), message=str(JOB_STATES.get(state.get("state"), "")),
                   error=state.get("error"), version=plan.version)


@bp.route("/plans/<id:plan_id>/move", methods=["POST"])
@role_required("admin", "staff")
def plan_move(plan_id: int):
    """Move a stop to another route or position; a move that breaks a rule is shown before it is saved."""
    plan = _plan_or_404(plan_id)
    if not plan.is_editable:
        return refuse(planning_service.PlanNotEditable(_("This plan version is published and frozen; "
                                                         "re-plan to change it.")))
    view = plan_view(plan)
    form = _move_form(plan, view, formdata=request.form)
    if not form.validate():
        return refuse(FieldError("stop", "; ".join(e for errs in form.errors.values() for e in map(str, errs))))
    worker = None if form.worker.data == "none" else form.worker.data
    try:
        preview = planning_service.apply_move(plan, form.stop.data, worker, form.position.data - 1,
                                              version=request.form.get("version"), by=current_user,
                                              confirm=form.confirm.data)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    if preview.violations and not form.confirm.data:
        names = {w["key"]: w["name"] for w in view.workers}
        return render_template("staff/planning/preview.html", plan=plan, preview=preview, form=form,
                               names=names, zone=view.zone, frame=preview.built.frame), 422
    flash(_("Stop moved; ETAs recomputed.") if not preview.violations else
          _("Stop moved. The plan now breaks %(n)s rule(s); fix them before publishing.", n=len(preview.violations)),
          "success" if not preview.violations else "warning")
    return redirect(url_for("staff.plan_detail", plan_id=plan.id))


@bp.route("/plans/<id:plan_id>/stops/<id:stop_id>/lock", methods=["POST"])
@role_required("admin", "staff")
def plan_lock(plan_id: int, stop_id: int):
    """Lock a stop to its worker, or release it."""
    plan = _plan_or_404(plan_id)
    stop = next((s for r in plan.routes for s in r.stops if s.id == stop_id), None)
    if stop is None:
        abort(404)
    try:
        planning_service.set_lock(plan, stop, request.form.get("locked") == "1",
                                  version=request.form.get("version"), by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    return redirect(url_for("staff.plan_detail", plan_id=plan.id, _anchor=f"stop-{stop.id}"))


@bp.route("/plans/<id:plan_id>/rerun", methods=["POST"])
@role_required("admin", "staff")
def plan_rerun(plan_id: int):
    """Solve again as a new draft, keeping locked stops with their workers."""
    plan = _plan_or_404(plan_id)
    try:
        new = planning_service.rerun_keeping_locks(plan, version=request.form.get("version"), by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    return redirect(url_for("staff.plan_detail", plan_id=new.id))


@bp.route("/plans/<id:plan_id>/publish", methods=["POST"])
@role_required("admin", "staff")
def plan_publish(plan_id: int):
    """Freeze the draft and show its routes to the workers."""
    plan = _plan_or_404(plan_id)
    try:
        if rural_plans.is_county_plan(plan):
            rural_plans.publish_county(plan, version=request.form.get("version"), by=current_user)
        else:
            planning_service.publish(plan, version=request.form.get("version"), by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    flash(_("Plan published: workers see their routes now."), "success")
    return redirect(url_for("staff.plan_detail", plan_id=plan.id))


@bp.route("/plans/<id:plan_id>/replan", methods=["POST"])
@role_required("admin", "staff")
def plan_replan(plan_id: int):
    """Re-plan a published day: served stops stay, the rest move as little as possible."""
    plan = _plan_or_404(plan_id)
    try:
        new = planning_service.replan_published(plan, by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    return redirect(url_for("staff.plan_detail", plan_id=new.id))


@bp.route("/plans/<id:plan_id>/replan-window", methods=["POST"])
@role_required("admin", "staff")
def plan_replan_window(plan_id: int):
    """A new version of a day plan with one window (a meal, or the visits) solved again, the rest kept."""
    plan = _plan_or_404(plan_id)
    try:
        new = planning_service.replan_window(plan, request.form.get("part", ""), by=current_user)
    except (FieldError, StaleRecord) as error:
        return refuse(error)
    return redirect(url_for("staff.plan_detail", plan_id=new.id))
