"""Worker forms: the edit form with skills and weekly shift rows, and the list's filter bar."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from dispatch.forms.fields import FilterForm, MultiCheckboxField, optional_int, phone_field, text_field
from dispatch.models.site import TravelMode
from dispatch.models.worker import Skill, WorkerKind
from dispatch.platform.labels import WEEKDAYS, choices, shown_name
from dispatch.services.people.workers import (
    CAPACITY_MEALS_RANGE,
    MAX_MINUTES_RANGE,
    MAX_SHIFTS,
    ShiftTimes,
    WorkerData,
    WorkerFilters,
)

SHIFT_ROWS = 7  # rows offered on the form: the stored shifts plus empty ones, up to MAX_SHIFTS


def _minutes(start, end) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _raw_value(field) -> str:
    """What was typed, even if it did not parse (so 'abc' is not mistaken for an empty row)."""
    return (field.raw_data[0] if field.raw_data else "") or ""


class ShiftForm(Form):
    """One weekly shift row; a row with no weekday and no times is ignored."""

    weekday = SelectField(_l("Day"), choices=[SelectChoice("", _l("No shift"))]
                          + [SelectChoice(str(i), label) for i, label in enumerate(WEEKDAYS)])
    site_id = SelectField(_l("Site"), coerce=int, choices=[])
    start = TimeField(_l("Starts"), validators=[Optional()])
    end = TimeField(_l("Ends"), validators=[Optional()])
    break_minutes = IntegerField(_l("Break (minutes)"), default=0, validators=[Optional(), NumberRange(0, 240)])

    @property
    def is_blank(self) -> bool:
        return not self.weekday.data and not _raw_value(self.start) and not _raw_value(self.end)

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank:
            return True  # an unused row: nothing to check, nothing to store
        valid = super().validate(extra_validators)
        for required in (self.weekday, self.start, self.end):
            if not required.errors and required.data in (None, ""):
                required.errors.append(_("This field is required."))
                valid = False
        if valid and self.end.data <= self.start.data:
            self.end.errors.append(_("The end must be after the start."))
            valid = False
        if valid and self.break_minutes.data and self.break_minutes.data >= _minutes(self.start.data, self.end.data):
            self.break_minutes.errors.append(_("The break must be shorter than the shift."))
            valid = False
        return valid


class WorkerForm(FlaskForm):
    full_name = text_field(_l("Full name"), 120, required=True)
    full_name_zh = text_field(_l("Name in Chinese"), 120)
    phone = phone_field(_l("Phone"))
    kind = SelectField(_l("Kind"), choices=choices(WorkerKind))
    travel_mode = SelectField(_l("Travels by"), default=TravelMode.E_BIKE.value,
                              choices=choices(TravelMode))
    capacity_meals = IntegerField(_l("Meals carried at once"), default=0,
                                  validators=[InputRequired(), NumberRange(*CAPACITY_MEALS_RANGE)],
                                  render_kw={"min": CAPACITY_MEALS_RANGE[0], "max": CAPACITY_MEALS_RANGE[1]})
    home_site_id = SelectField(_l("Home site"), coerce=int, choices=[])
    # Set apart from ``to_data``: the village point whose walking volunteer this worker is.
    village_point_id = SelectField(_l("Walking volunteer of village point"), coerce=optional_int, choices=[],
                                   validators=[Optional()],
                                   description=_l("A volunteer who walks meals from a village point of the home "
                                                  "site to the doors. Empty: none."))
    max_minutes_per_day = IntegerField(
        _l("Most minutes of work per day"), default=480, validators=[InputRequired(), NumberRange(*MAX_MINUTES_RANGE)],
        render_kw={"min": MAX_MINUTES_RANGE[0], "max": MAX_MINUTES_RANGE[1]},
    )
    skills = MultiCheckboxField(_l("Skills"), choices=choices(Skill))
    is_active = BooleanField(_l("Active"), default=True)
    shifts = FieldList(FormField(ShiftForm), label=_l("Weekly shifts"), max_entries=MAX_SHIFTS)

    def __init__(self, *args, sites=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.site_choices = [SelectChoice(site.id, shown_name(site)) for site in sites]
        self.home_site_id.choices = self.site_choices
        self._set_shift_choices()

    def _set_shift_choices(self) -> None:
        for entry in self.shifts:
            entry.form.site_id.choices = self.site_choices

    def add_blank_shift_rows(self, rows: int = SHIFT_ROWS) -> None:
        """Offer empty rows for new shifts (call on GET)."""
        while len(self.shifts) < min(max(rows, len(self.shifts) + 2), MAX_SHIFTS):
            self.shifts.append_entry({"site_id": self.home_site_id.data})
        self._set_shift_choices()

    def fill_shifts(self, shifts) -> None:
        for shift in shifts:
            self.shifts.append_entry({"weekday": str(shift.weekday), "site_id": shift.site_id,
                                      "start": shift.start_time, "end": shift.end_time,
                                      "break_minutes": shift.break_minutes})
        self._set_shift_choices()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        rows = [(i, entry.form) for i, entry in enumerate(self.shifts)
                if not entry.form.is_blank and not any(f.errors for f in entry.form)]
        rows.sort(key=lambda pair: (pair[1].weekday.data, pair[1].start.data))
        for (_i, earlier), (_j, later) in zip(rows, rows[1:]):
            if later.weekday.data == earlier.weekday.data and later.start.data < earlier.end.data:
                later.start.errors.append(_("Overlaps another shift on the same day."))
                valid = False
        self._refresh_errors()
        return valid

    def _refresh_errors(self) -> None:
        """``Form.errors`` and ``FieldList.errors`` are computed once; recompute them after adding messages."""
        for entry in self.shifts.entries:
            entry.form._errors = None
        entry_errors = [entry.errors for entry in self.shifts.entries]
        self.shifts.errors = entry_errors if any(entry_errors) else []
        self._errors = None

    def to_data(self) -> WorkerData:
        """The validated input as a ``WorkerData`` (call only after ``validate_on_submit``)."""
        shifts = tuple(
            ShiftTimes(weekday=int(row.weekday.data), site_id=row.site_id.data, start=row.start.data,
                       end=row.end.data, break_minutes=row.break_minutes.data or 0, row=i)
            for i, entry in enumerate(self.shifts) if not (row := entry.form).is_blank
        )
        return WorkerData(
            full_name=self.full_name.data, full_name_zh=self.full_name_zh.data, phone=self.phone.data,
            kind=WorkerKind(self.kind.data), travel_mode=TravelMode(self.travel_mode.data),
            capacity_meals=self.capacity_meals.data, home_site_id=self.home_site_id.data,
            max_minutes_per_day=self.max_minutes_per_day.data, is_active=self.is_active.data,
            skills=frozenset(Skill(s) for s in self.skills.data or ()), shifts=shifts,
        )

    def blame(self, field: str, message) -> None:
        """Show a service's ``FieldError`` next to its field (``shifts-2-start`` for a shift row)."""
        parts = field.split("-")
        if len(parts) == 3 and parts[0] == "shifts" and parts[1].isdigit() and int(parts[1]) < len(self.shifts):
            self.shifts[int(parts[1])].form[parts[2]].errors.append(message)
        elif field in self._fields and field != "shifts":
            self[field].errors = [*self[field].errors, message]
        else:
            self.form_errors.append(message)
        self._refresh_errors()


class WorkerFilterForm(FilterForm):
    """The list's search and filters, read from the query string; a bad value is ignored, not an error page."""

    q = text_field(_l("Search"), 100, description=_l("Name, or the last digits of the phone number."))
    site = SelectField(_l("Home site"), coerce=str, choices=[])
    kind = SelectField(_l("Kind"), choices=choices(WorkerKind, blank=_l("Any")))
    skill = SelectField(_l("Skill"), choices=choices(Skill, blank=_l("Any")))
    mode = SelectField(_l("Travels by"), choices=choices(TravelMode, blank=_l("Any")))
    active = SelectField(_l("Status"), default="yes", choices=[
        SelectChoice("yes", _l("Active")), SelectChoice("no", _l("Inactive")), SelectChoice("", _l("Any")),
    ])

    def __init__(self, *args, sites=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.site.choices = [SelectChoice("", _l("Any"))] + [SelectChoice(str(s.id), shown_name(s)) for s in sites]

    def to_filters(self) -> WorkerFilters:
        """Filters from the fields that validated; the rest are left at 'any'."""
        self.validate()
        ok = {name: not field.errors for name, field in self._fields.items()}
        active = self.active.data if ok["active"] else ""
        return WorkerFilters(
            q=(self.q.data or "") if ok["q"] else "",
            site_id=int(self.site.data) if ok["site"] and self.site.data else None,
            kind=WorkerKind(self.kind.data) if ok["kind"] and self.kind.data else None,
            skill=Skill(self.skill.data) if ok["skill"] and self.skill.data else None,
            travel_mode=TravelMode(self.mode.data) if ok["mode"] and self.mode.data else None,
            is_active={"yes": True, "no": False}.get(active),
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the pagination links."""
        return {name: field.data for name, field in self._fields.items() if field.data}
