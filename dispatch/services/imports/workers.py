"""Importing workers (drivers, caregivers, volunteers) from a spreadsheet, and exporting them alike.

The same three steps as the senior import (see ``senior_import``). A worker
has no date of birth here, so the same person is the same name and phone
number at the same home site (the phone compared by its digits only).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.site import TravelMode
from dispatch.models.worker import Skill, Worker, WorkerKind
from dispatch.platform import audit
from dispatch.platform.access import sites_editable_by, workers_visible_to
from dispatch.platform.errors import FieldError
from dispatch.platform.fields import clean_phone, clean_text
from dispatch.services.imports.columns import (
    Column,
    EnumReader,
    ImportPreview,
    ImportResult,
    RowResult,
    mark_duplicates,
    normal_text,
    read_int,
)
from dispatch.services.imports.commit import add_new_rows
from dispatch.services.imports.rows import RowReader
from dispatch.services.imports.tabular import Table, neutralise
from dispatch.services.people.workers import WorkerData, apply_data

COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Full name", ("name", "姓名", "名字"), required=True),
    Column("full_name_zh", "Name in Chinese", ("中文名", "中文姓名")),
    Column("phone", "Phone", ("telephone", "mobile", "电话", "手机")),
    Column("kind", "Kind", ("role", "type", "job", "类型", "岗位"), required=True),
    Column("travel_mode", "Travel mode", ("mode", "vehicle", "出行方式")),
    Column("capacity_meals", "Meals carried", ("capacity", "capacity meals", "运送份数")),
    Column("max_minutes_per_day", "Minutes per day", ("max minutes", "每日分钟")),
    Column("skills", "Skills", ("skill", "技能")),
    Column("home_site", "Home site", ("site", "meal site", "站点", "助餐点")),
)


def column_label(key: str) -> str:
    return {
        "full_name": _("Full name"), "full_name_zh": _("Name in Chinese"), "phone": _("Phone"), "kind": _("Kind"),
        "travel_mode": _("Travel mode"), "capacity_meals": _("Meals carried"),
        "max_minutes_per_day": _("Minutes per day"), "skills": _("Skills"), "home_site": _("Home site"),
    }.get(key, key)


def duplicate_key(full_name: str, phone: str | None, home_site_id: int) -> tuple[str, str, int]:
    return normal_text(full_name), "".join(c for c in (phone or "") if c.isdigit()), home_site_id


def _row(cells, line, mapping, readers, default_site_id) -> RowResult:
    row = RowReader(cells, line, mapping)
    cell, take = row.cell, row.take

    def kind():
        member = readers["kind"].one(cell("kind"), "kind")
        if member is None:
            raise FieldError("kind", _("This field is required."))
        return member

    take("full_name", lambda: clean_text(cell("full_name"), "full_name", required=True))
    take("full_name_zh", lambda: clean_text(cell("full_name_zh"), "full_name_zh"))
    take("phone", lambda: clean_phone(cell("phone"), "phone"))
    take("kind", kind)
    take("travel_mode", lambda: readers["mode"].one(cell("travel_mode"), "travel_mode") or TravelMode.E_BIKE)
    take("capacity_meals", lambda: read_int(cell("capacity_meals"), "capacity_meals") or 0)
    take("max_minutes_per_day", lambda: read_int(cell("max_minutes_per_day"), "max_minutes_per_day") or 480)
    take("skills", lambda: readers["skill"].many(cell("skills"), "skills"))
    take("home_site_id", lambda: row.home_site(readers["sites"], default_site_id))
    return row.finish(lambda values: WorkerData(**values),
                      lambda data: duplicate_key(data.full_name, data.phone, data.home_site_id))


def preview(table: Table, mapping: dict[str, int | None], *, by, default_site_id: int | None = None,
            today=None) -> ImportPreview:
    """Check every row against the mapping; write nothing."""
    missing = [c.key for c in COLUMNS if c.required and mapping.get(c.key) is None]
    if missing:
        return ImportPreview(rows=[], missing=missing)
    sites = db.session.scalars(sites_editable_by(by)).all()
    if default_site_id is not None and default_site_id not in {s.id for s in sites}:
        raise FieldError("default_site", _("Not a valid choice."))
    readers = {"sites": {normal_text(s.name): s.id for s in sites}, "kind": EnumReader(WorkerKind),
               "mode": EnumReader(TravelMode), "skill": EnumReader(Skill)}
    rows = [_row(cells, line, mapping, readers, default_site_id) for cells, line in zip(table.rows, table.lines)]
    site_ids = {r.data.home_site_id for r in rows if r.data is not None}
    existing = {duplicate_key(*row) for row in db.session.execute(
        sa.select(Worker.full_name, Worker.phone, Worker.home_site_id).where(Worker.home_site_id.in_(site_ids)))}
    mark_duplicates(rows, existing, "full_name")
    return ImportPreview(rows=rows, missing=[])


def run_import(table: Table, mapping: dict[str, int | None], *, by, default_site_id: int | None = None,
               file_digest: str = "") -> ImportResult:
    """Add the valid new rows in one transaction; audit ``worker.import`` with counts."""

    def build(data) -> Worker:
        worker = Worker()
        apply_data(worker, data)
        return worker

    return add_new_rows("worker", lambda: preview(table, mapping, by=by, default_site_id=default_site_id), build,
                        by=by, file_digest=file_digest)


def export_rows(*, by) -> tuple[list[str], list[list[str]]]:
    """Headings and rows of the active workers ``by`` may see, in the import's columns; audited."""
    query = (workers_visible_to(by).where(Worker.is_active.is_(True))
             .options(selectinload(Worker.skills), selectinload(Worker.home_site))
             .order_by(Worker.full_name, Worker.id))
    rows = []
    for w in db.session.scalars(query):
        values = {
            "full_name": w.full_name, "full_name_zh": w.full_name_zh, "phone": w.phone, "kind": w.kind.value,
            "travel_mode": w.travel_mode.value, "capacity_meals": w.capacity_meals,
            "max_minutes_per_day": w.max_minutes_per_day,
            "skills": "; ".join(sorted(s.skill.value for s in w.skills)), "home_site": w.home_site.name,
        }
        rows.append([neutralise(str(values[c.key] if values[c.key] is not None else "")) for c in COLUMNS])
    audit.record("worker.export", user=by, entity_type="worker", entity_id=None, detail={"rows": len(rows)})
    db.session.flush()
    return [c.heading for c in COLUMNS], rows
