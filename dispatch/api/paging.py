"""Pages of results: ``{items, page, per_page, total}``."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from dispatch.extensions import db


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item)),
        "page": ma.fields.Integer(), "per_page": ma.fields.Integer(), "total": ma.fields.Integer(),
    }, name=name)


def page_of(query: sa.Select, args: dict[str, Any]) -> dict[str, Any]:
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return {"items": items, "page": page, "per_page": per_page, "total": total}
