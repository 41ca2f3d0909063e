"""Administrators' pages: find, create, disable and sign out user accounts.

Every view re-checks the admin role. Changing an account needs a recent
password entry ("freshness", Flask-Security's ``SECURITY_FRESHNESS``): an admin
who left a laptop open for a while is asked for the password again before
anything changes. Each change writes an audit event in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import url_for_security
from flask_security.utils import check_and_update_authn_fresh
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.forms.accounts import SERVICE_FIELDS, CreateUserForm, UserActionForm, UserSearchForm
from dispatch.forms.errors import show_error
from dispatch.models.user import RoleName, User
from dispatch.platform import audit, clock
from dispatch.platform.access import role_required
from dispatch.platform.errors import FieldError
from dispatch.platform.validation import parse_page
from dispatch.services.people import accounts, user_directory
from dispatch.web.admin import bp


@bp.context_processor
def _helpers() -> dict:
    return {"local_dt": _local_dt}


def _local_dt(dt: datetime | None) -> datetime | None:
    """Flask-Security stores login times as naive UTC; show them in the app's timezone."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(clock.zone_of(None))


def _as_timedelta(value, default_minutes: int) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if value is None:
        return timedelta(minutes=default_minutes)
    return timedelta(minutes=float(value))


def reauthenticate_unless_fresh(next_url: str) -> Response | None:
    """None when the admin entered their password recently, else a redirect to confirm it."""
    within = _as_timedelta(current_app.config.get("SECURITY_FRESHNESS"), 10)
    grace = _as_timedelta(current_app.config.get("SECURITY_FRESHNESS_GRACE_PERIOD"), 2)
    if check_and_update_authn_fresh(within, grace):
        return None
    flash(_("For your safety, confirm your password, then repeat the action."), "info")
    return redirect(url_for_security("verify", next=next_url))


@bp.route("/users")
@role_required(RoleName.ADMIN)
def users():
    """List accounts, searchable by email or name and filterable by role and status."""
    form = UserSearchForm(request.args)
    valid = form.validate()
    page = user_directory.search_users(
        form.q.data if valid else None,
        form.role.data if valid else None,
        form.status.data if valid else None,
        page=parse_page(request.args.get("page")),
        per_page=current_app.config.get("PAGE_SIZE", 25),
    )
    filters = {k: v for k, v in (("q", form.q.data), ("role", form.role.data), ("status", form.status.data))
               if valid and v}
    return render_template("admin/users.html", form=form, page=page, filters=filters)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(RoleName.ADMIN)
def create_user():
    """Create an account with one role and its sites (staff) or seniors (family)."""
    if (stale := reauthenticate_unless_fresh(url_for("admin.create_user"))) is not None:
        return stale
    form = CreateUserForm()
    form.sites.choices = user_directory.site_choices()
    form.worker_id.choices = [SelectChoice("", _("No worker record"))] + user_directory.unlinked_worker_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.password.data, form.role.data, form.display_name.data,
                site_ids=form.sites.data or (), senior_ids=form.seniors.data or (),
                worker_id=form.worker_id.data, relation=(form.relation.data or "family").strip(),
            )
        except FieldError as error:
            show_error(form, error, fields=SERVICE_FIELDS)
        else:
            # In the same unit as the account: the request commits both, or neither.
            audit.record("user.create", user=current_user, entity_type="user", entity_id=user.id,
                         detail={"role": form.role.data, "sites": len(form.sites.data or ()),
                                 "seniors": len(form.seniors.data or ())})
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


@bp.route("/users/<id:user_id>")
@role_required(RoleName.ADMIN)
def user(user_id: int):
    """Show one account: roles, scope, sign-in record, and the actions on it."""
    record = user_directory.get_user_or_404(user_id)
    return _render_user(record)


def _render_user(record: User, *, action_error: str | None = None, status: int = 200):
    return render_template(
        "admin/user.html", user=record, scope=user_directory.account_scope(record),
        action_form=UserActionForm(), action_error=action_error,
    ), status


def _user_action(user_id: int, action: str, apply, done: str, *, refuse_self: str | None = None):
    """Load -> authorise (role, freshness, CSRF) -> audit and act -> back to the user's page."""
    record = user_directory.get_user_or_404(user_id)
    if (stale := reauthenticate_unless_fresh(url_for("admin.user", user_id=record.id))) is not None:
        return stale
    form = UserActionForm()
    if not form.validate_on_submit():
        return _render_user(record, action_error=_("The form expired. Reload the page and try again."), status=400)
    if refuse_self and record.id == current_user.id:
        return _render_user(record, action_error=refuse_self, status=422)
    # Recorded first so the service's commit saves the event with the change.
    audit.record(f"user.{action}", user=current_user, entity_type="user", entity_id=record.id)
    apply(record)
    flash(done, "success")
    return redirect(url_for("admin.user", user_id=record.id))


@bp.route("/users/<id:user_id>/disable", methods=["POST"])
@role_required(RoleName.ADMIN)
def disable(user_id: int):
    """Stop an account from signing in and end its open sessions."""
    return _user_action(user_id, "disable", accounts.disable_user, _("Account disabled; its sessions have ended."),
                        refuse_self=_("You cannot disable your own account."))


@bp.route("/users/<id:user_id>/enable", methods=["POST"])
@role_required(RoleName.ADMIN)
def enable(user_id: int):
    """Let a disabled account sign in again."""
    return _user_action(user_id, "enable", accounts.enable_user, _("Account enabled."))


@bp.route("/users/<id:user_id>/log-out-everywhere", methods=["POST"])
@role_required(RoleName.ADMIN)
def log_out_everywhere(user_id: int):
    """End every session and API token of an account (a lost phone, a shared computer)."""
    return _user_action(user_id, "log_out_everywhere", accounts.log_out_everywhere,
                        _("All sessions of this account have ended."))


@bp.route("/users/<id:user_id>/reset-two-factor", methods=["POST"])
@role_required(RoleName.ADMIN)
def reset_two_factor(user_id: int):
    """Forget an account's authenticator so they set up a new one at next login."""
    return _user_action(user_id, "reset_two_factor", accounts.reset_two_factor,
                        _("Two-factor was reset; they will set up a new authenticator at next login."))
