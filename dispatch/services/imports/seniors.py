"""Importing seniors from a spreadsheet, and exporting them in the same format.

``preview`` checks every row and says, per row, whether it is new, already in
Doorstep (same name, date of birth and address) or wrong and why; it writes
nothing. ``run_import`` repeats the check inside one transaction and adds the
new rows together or not at all, so importing the same file twice adds
nothing the second time. ``export_rows`` writes the columns the import reads,
so an export can be edited and imported back.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.senior import Diet, Gender, GeocodeStatus, Mobility, Senior, SeniorCategoryType
from dispatch.platform import audit, clock
from dispatch.platform.access import is_admin, seniors_visible_to, sites_editable_by
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
    read_bool,
    read_date,
    read_float,
)
from dispatch.services.imports.commit import add_new_rows
from dispatch.services.imports.rows import RowReader
from dispatch.services.imports.tabular import Table, neutralise
from dispatch.services.people.seniors import SeniorData, apply_data

COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Full name", ("name", "姓名", "名字"), required=True),
    Column("full_name_zh", "Name in Chinese", ("中文名", "中文姓名", "name zh")),
    Column("gender", "Gender", ("sex", "性别")),
    Column("date_of_birth", "Date of birth", ("dob", "birth date", "birthday", "born", "出生日期", "生日"), required=True),
    Column("phone", "Phone", ("telephone", "mobile", "电话", "手机", "联系电话")),
    Column("address", "Address", ("home address", "地址", "住址", "家庭住址"), required=True),
    Column("address_zh", "Address in Chinese", ("中文地址",)),
    Column("neighbourhood", "Neighbourhood", ("neighborhood", "community", "社区", "小区")),
    Column("lat", "Latitude", ("lat", "纬度")),
    Column("lon", "Longitude", ("lng", "long", "经度")),
    Column("lives_alone", "Lives alone", ("alone", "独居")),
    Column("mobility", "Mobility", ("行动能力",)),
    Column("diet", "Diet", ("饮食",)),
    Column("allergies", "Allergies", ("过敏",)),
    Column("access_notes", "Access notes", ("notes", "入户说明", "备注")),
    Column("categories", "Categories", ("category", "类别", "分类")),
    Column("home_site", "Home site", ("site", "meal site", "站点", "助餐点")),
    Column("contact_name", "Emergency contact", ("contact", "contact name", "紧急联系人", "联系人")),
    Column("contact_relation", "Contact relation", ("relation", "relationship", "关系")),
    Column("contact_phone", "Contact phone", ("emergency phone", "联系人电话", "紧急联系电话")),
)
HEADINGS = {c.key: c.heading for c in COLUMNS}
# SeniorData names a bad contact field by its form name; show the import's column instead.
_FIELD_TO_COLUMN = {"contacts-0-name": "contact_name", "contacts-0-relation": "contact_relation",
                    "contacts-0-phone": "contact_phone", "home_site_id": "home_site"}


def column_label(key: str) -> str:
    return {
        "full_name": _("Full name"), "full_name_zh": _("Name in Chinese"), "gender": _("Gender"),
        "date_of_birth": _("Date of birth"), "phone": _("Phone"), "address": _("Address"),
        "address_zh": _("Address in Chinese"), "neighbourhood": _("Neighbourhood"), "lat": _("Latitude"),
        "lon": _("Longitude"), "lives_alone": _("Lives alone"), "mobility": _("Mobility"), "diet": _("Diet"),
        "allergies": _("Allergies"), "access_notes": _("Access notes"), "categories": _("Categories"),
        "home_site": _("Home site"), "contact_name": _("Emergency contact"),
        "contact_relation": _("Contact relation"), "contact_phone": _("Contact phone"),
    }.get(key, key)


def duplicate_key(full_name: str, born: date, address: str) -> tuple[str, str, str]:
    """Who counts as the same senior: name, date of birth and address, ignoring case and spacing."""
    return normal_text(full_name), born.isoformat(), normal_text(address)


class _Readers:
    """Per-import lookups: enum words in both languages, and the sites the user may import into."""

    def __init__(self, by) -> None:
        self.gender = EnumReader(Gender)
        self.mobility = EnumReader(Mobility)
        self.diet = EnumReader(Diet)
        self.categories = EnumReader(SeniorCategoryType)
        sites = db.session.scalars(sites_editable_by(by)).all()
        self.sites = {normal_text(s.name): s.id for s in sites}
        self.site_ids = {s.id for s in sites}
        self.admin = is_admin(by)


def _build(values: dict, today: date) -> SeniorData:
    if values["date_of_birth"] is None:
        raise FieldError("date_of_birth", _("This field is required."))
    return SeniorData.from_mapping(values, today=today)


def _row(cells: tuple[str, ...], line: int, mapping: dict[str, int | None], readers: _Readers,
         default_site_id: int | None, today: date) -> RowResult:
    row = RowReader(cells, line, mapping, field_to_column=_FIELD_TO_COLUMN)
    cell, take = row.cell, row.take
    take("full_name", lambda: clean_text(cell("full_name"), "full_name", required=True))
    take("full_name_zh", lambda: clean_text(cell("full_name_zh"), "full_name_zh"))
    take("gender", lambda: readers.gender.one(cell("gender"), "gender"))
    take("date_of_birth", lambda: read_date(cell("date_of_birth"), "date_of_birth"))
    take("phone", lambda: clean_phone(cell("phone"), "phone"))
    take("address", lambda: clean_text(cell("address"), "address", required=True))
    take("address_zh", lambda: clean_text(cell("address_zh"), "address_zh"))
    take("neighbourhood", lambda: clean_text(cell("neighbourhood"), "neighbourhood"))
    take("lat", lambda: read_float(cell("lat"), "lat"))
    take("lon", lambda: read_float(cell("lon"), "lon"))
    take("lives_alone", lambda: read_bool(cell("lives_alone"), "lives_alone"))
    take("mobility", lambda: readers.mobility.one(cell("mobility"), "mobility") or Mobility.INDEPENDENT)
    take("diet", lambda: readers.diet.one(cell("diet"), "diet") or Diet.REGULAR)
    take("allergies", lambda: clean_text(cell("allergies"), "allergies"))
    take("access_notes", lambda: clean_text(cell("access_notes"), "access_notes") or "")
    take("categories", lambda: readers.categories.many(cell("categories"), "categories"))
    # An administrator may leave the site empty: the coverage rule then picks the nearest with room.
    take("home_site_id", lambda: row.home_site(readers.sites, default_site_id, required=not readers.admin))
    row.values["contacts"] = [{"name": cell("contact_name"), "relation": cell("contact_relation"),
                               "phone": cell("contact_phone")}]
    return row.finish(lambda values: _build(values, today),
                      lambda data: duplicate_key(data.full_name, data.date_of_birth, data.address))


def _existing_keys(keys: Iterable[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """The keys among ``keys`` that match a senior already recorded (at any site, active or not)."""
    births = sorted({date.fromisoformat(k[1]) for k in keys})
    found: set[tuple[str, str, str]] = set()
    for start in range(0, len(births), 500):
        chunk = births[start:start + 500]
        rows = db.session.execute(sa.select(Senior.full_name, Senior.date_of_birth, Senior.address)
                                  .where(Senior.date_of_birth.in_(chunk)))
        found.update(duplicate_key(*row) for row in rows)
    return found


def preview(table: Table, mapping: dict[str, int | None], *, by, default_site_id: int | None = None,
            today: date | None = None) -> ImportPreview:
    """Check every row against the mapping; write nothing."""
    missing = [c.key for c in COLUMNS if c.required and mapping.get(c.key) is None]
    if missing:
        return ImportPreview(rows=[], missing=missing)
    readers = _Readers(by)
    if default_site_id is not None and default_site_id not in readers.site_ids:
        raise FieldError("default_site", _("You may not assign seniors to this site."))
    today = today or clock.local_today()
    rows = [_row(cells, line, mapping, readers, default_site_id, today) for cells, line in zip(table.rows, table.lines)]
    mark_duplicates(rows, _existing_keys(r.key for r in rows if r.key), "full_name")
    return ImportPreview(rows=rows, missing=[])


def run_import(table: Table, mapping: dict[str, int | None], *, by, default_site_id: int | None = None,
               file_digest: str = "") -> ImportResult:
    """Add the valid new rows in one transaction; audit ``senior.import`` with counts (never the data)."""

    def build(data) -> Senior:
        senior = Senior()
        apply_data(senior, data)
        senior.home_site_overridden = data.home_site_id is not None
        # Coordinates from the file were placed by someone; the rest wait for the geocoder.
        senior.geocode_status = GeocodeStatus.MANUAL if data.lat is not None else GeocodeStatus.PENDING
        return senior

    return add_new_rows("senior", lambda: preview(table, mapping, by=by, default_site_id=default_site_id), build,
                        by=by, file_digest=file_digest)


# Export ------------------------------------------------------------------------

def export_rows(*, by) -> tuple[list[str], list[list[str]]]:
    """Headings and rows of the active seniors ``by`` may see, in the import's columns; audited."""
    query = (seniors_visible_to(by).where(Senior.is_active.is_(True))
             .options(selectinload(Senior.categories), selectinload(Senior.contacts), selectinload(Senior.home_site))
             .order_by(Senior.full_name, Senior.id))
    rows = []
    for s in db.session.scalars(query):
        contact = s.contacts[0] if s.contacts else None
        values = {
            "full_name": s.full_name, "full_name_zh": s.full_name_zh, "gender": s.gender and s.gender.value,
            "date_of_birth": s.date_of_birth.isoformat(), "phone": s.phone, "address": s.address,
            "address_zh": s.address_zh, "neighbourhood": s.neighbourhood,
            "lat": None if s.lat is None else repr(s.lat), "lon": None if s.lon is None else repr(s.lon),
            "lives_alone": "yes" if s.lives_alone else "no", "mobility": s.mobility.value, "diet": s.diet.value,
            "allergies": s.allergies, "access_notes": s.access_notes,
            "categories": "; ".join(sorted(c.category.value for c in s.categories)),
            "home_site": s.home_site.name if s.home_site else None,
            "contact_name": contact and contact.name, "contact_relation": contact and contact.relation,
            "contact_phone": contact and contact.phone,
        }
        rows.append([neutralise(str(values[c.key] or "")) for c in COLUMNS])
    audit.record("senior.export", user=by, entity_type="senior", entity_id=None, detail={"rows": len(rows)})
    db.session.flush()
    return [c.heading for c in COLUMNS], rows
