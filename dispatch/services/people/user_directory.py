"""Finding accounts for the administrators' pages: search, filter, and what to pick from.

Read-only queries; creating and changing accounts is ``services.accounts``.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.site import MealSite
from dispatch.models.user import Role, StaffSite, User
from dispatch.models.worker import Worker
from dispatch.platform.labels import shown_name
from dispatch.platform.validation import id_or_none


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_users(
    q: str | None = None, role: str | None = None, status: str | None = None, *, page: int = 1, per_page: int = 25
) -> Pagination:
    """Users whose email or display name contains ``q``, with ``role``, by email; one page."""
    query = sa.select(User).options(selectinload(User.roles)).order_by(User.email, User.id)
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip().lower())}%"
        query = query.where(sa.or_(
            sa.func.lower(User.email).like(pattern, escape="\\"),
            sa.func.lower(User.display_name).like(pattern, escape="\\"),
        ))
    if role:
        query = query.where(User.roles.any(Role.name == role))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "disabled":
        query = query.where(User.active.is_(False))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def get_user_or_404(user_id: Any) -> User:
    """The account with this id, or 404 (admins only reach this; the check is the view's)."""
    record_id = id_or_none(user_id)
    if record_id is None:
        raise NotFound()
    user = db.session.get(User, record_id)
    if user is None:
        raise NotFound()
    return user


def site_choices() -> list[SelectChoice]:
    """Active meal sites, by name, for a staff account's checkboxes."""
    return [SelectChoice(s.id, shown_name(s)) for s in db.session.scalars(
        sa.select(MealSite).where(MealSite.is_active.is_(True)).order_by(MealSite.name)
    )]


def unlinked_worker_choices() -> list[SelectChoice]:
    """Active workers without a login yet, by name, to attach a new worker account to."""
    return [SelectChoice(w.id, f"{w.full_name} (#{w.id})") for w in db.session.scalars(
        sa.select(Worker).where(Worker.user_id.is_(None), Worker.is_active.is_(True)).order_by(Worker.full_name)
    )]


def account_scope(user: User) -> dict[str, list]:
    """What an account reaches: staff sites, family seniors (with relation), worker record."""
    sites = list(db.session.scalars(
        sa.select(MealSite).join(StaffSite, StaffSite.site_id == MealSite.id)
        .where(StaffSite.user_id == user.id).order_by(MealSite.name)
    ))
    seniors = list(db.session.execute(
        sa.select(Senior, FamilyLink.relation).join(FamilyLink, FamilyLink.senior_id == Senior.id)
        .where(FamilyLink.user_id == user.id).order_by(Senior.full_name)
    ))
    workers = list(db.session.scalars(sa.select(Worker).where(Worker.user_id == user.id)))
    return {"sites": sites, "seniors": seniors, "workers": workers}
