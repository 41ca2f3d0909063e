"""What a family may know of the welfare visits (探访关爱): the last one's date and a summary in plain words.

Read straight from the visit records (this context does not reach into visitation's use cases). Items the
visitor or staff marked confidential, the visitor's own free text and anything about signs of abuse or
neglect (which a family member may be part of) never reach the family; nor do the alerts such items raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.visitation import CheckItem, CheckStatus, FollowUp, VisitRecord
from dispatch.platform import clock

# Plain words for the family, in checklist order; the three home-safety items read as one.
FAMILY_WORDS: dict[CheckItem, Any] = {
    CheckItem.HEALTH_MOOD: _l("health and mood"),
    CheckItem.FOOD: _l("food in the house"),
    CheckItem.MEDICINES: _l("medicines"),
    CheckItem.FALLS: _l("home safety"),
    CheckItem.GAS_FIRE: _l("home safety"),
    CheckItem.HEATING_COOLING: _l("home safety"),
    CheckItem.HYGIENE: _l("hygiene"),
    CheckItem.FAMILY_SUPPORT: _l("support from the family"),
    CheckItem.NEEDS: _l("other needs"),
}
NEVER_SHOWN = frozenset({CheckItem.ABUSE_NEGLECT})


@dataclass(frozen=True)
class LastVisit:
    day: date
    seen: bool
    noted: tuple[str, ...]  # plain words of the non-confidential items that were not fine

    @property
    def summary(self) -> str:
        if not self.seen:
            return str(_l("Not found at home; staff followed up."))
        if self.noted:
            chinese = str(get_locale() or "").startswith("zh")
            return str(_l("Seen at home; the visitor noted: %(items)s.",
                          items=("、" if chinese else ", ").join(self.noted)))
        return str(_l("Seen at home; all checks were fine."))


def _shown(key: str, value: dict[str, Any]) -> bool:
    try:
        item = CheckItem(key)
    except ValueError:
        return False
    return item not in NEVER_SHOWN and not value.get("confidential")


def last_visit(senior_id: int, zone: tzinfo) -> LastVisit | None:
    """The senior's latest visit record as the family may read it (None: no visit yet)."""
    record = db.session.scalar(sa.select(VisitRecord).where(VisitRecord.senior_id == senior_id)
                               .order_by(VisitRecord.received_dt.desc(), VisitRecord.id.desc()).limit(1))
    if record is None:
        return None
    items = record.items or {}
    hidden = {f.item.value for f in db.session.scalars(
        sa.select(FollowUp).where(FollowUp.visit_record_id == record.id, FollowUp.confidential.is_(True)))
        if f.item is not None}
    noted: list[str] = []
    for item in CheckItem:
        value = items.get(item.value)
        if (value is None or value.get("status") == CheckStatus.FINE.value or item.value in hidden
                or not _shown(item.value, value)):
            continue
        words = str(FAMILY_WORDS[item])
        if words not in noted:
            noted.append(words)
    return LastVisit(day=clock.local(record.received_dt, zone).date(), seen=record.seen, noted=tuple(noted))


def confidential_alert_ids(senior_id: int) -> set[int]:
    """Alerts raised by findings the family may not see (confidential, or about abuse or neglect)."""
    rows = db.session.execute(sa.select(FollowUp.alert_id, FollowUp.confidential, FollowUp.item)
                              .where(FollowUp.senior_id == senior_id, FollowUp.alert_id.is_not(None)))
    return {alert_id for alert_id, confidential, item in rows
            if confidential or item == CheckItem.ABUSE_NEGLECT}
