"""The meal-site form: every field labelled, every bad value explained next to its field."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import BooleanField, FloatField, FormField, IntegerField, SelectField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from dispatch.forms.fields import finite, phone_field, text_field
from dispatch.models.site import MealType, SiteKind, TravelMode
from dispatch.platform.labels import choices, label
from dispatch.services.people.sites import (
    CIRCLE_MINUTES_RANGE,
    DAILY_CAPACITY_MAX,
    HOLD_LIMIT_RANGE,
    INSULATED_HOLD_RANGE,
    LOAD_MINUTES_RANGE,
    PACKING_RATE_RANGE,
    READY_LEAD_RANGE,
    RELOAD_TRIPS_RANGE,
    SHIFT_CUTOFF_RANGE,
    TRUNK_TRIP_RANGE,
    SiteData,
    WindowTimes,
    known_timezones,
)


class WindowForm(Form):
    """One meal's window: both times or neither."""

    start = TimeField(_l("Starts"), validators=[Optional()])
    end = TimeField(_l("Ends"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Not ``validate_end``: Optional() stops the chain on an empty field before it would run.
        valid = super().validate(extra_validators)
        start, end = self.start, self.end
        if start.errors or end.errors or (start.data is None and end.data is None):
            return valid
        if start.data is None or end.data is None:
            (end if end.data is None else start).errors.append(_("Give both times, or neither."))
            return False
        if end.data <= start.data:
            end.errors.append(_("The end must be after the start."))
            return False
        return valid


class SiteForm(FlaskForm):
    name = text_field(_l("Name"), 120, required=True)
    name_zh = text_field(_l("Name in Chinese"), 120)
    kind = SelectField(_l("Kind"), choices=choices(SiteKind),
                       default=SiteKind.CANTEEN.value)
    address = text_field(_l("Address"), 255, required=True)
    address_zh = text_field(_l("Address in Chinese"), 255)
    district = text_field(_l("District"), 80)
    neighbourhood = text_field(_l("Neighbourhood"), 80)
    lat = FloatField(_l("Latitude"), validators=[InputRequired(), finite, NumberRange(-90, 90)],
                     render_kw={"inputmode": "decimal", "step": "any"})
    lon = FloatField(_l("Longitude"), validators=[InputRequired(), finite, NumberRange(-180, 180)],
                     render_kw={"inputmode": "decimal", "step": "any"})
    phone = phone_field(_l("Phone"))
    daily_capacity = IntegerField(_l("Meals per day"), default=0,
                                  validators=[InputRequired(), NumberRange(0, DAILY_CAPACITY_MAX)],
                                  render_kw={"min": 0, "max": DAILY_CAPACITY_MAX})
    hold_limit_minutes = IntegerField(
        _l("Hot-meal hold limit (minutes)"), default=45, validators=[InputRequired(), NumberRange(*HOLD_LIMIT_RANGE)],
        description=_l("Longest time from leaving the kitchen to the door."),
        render_kw={"min": HOLD_LIMIT_RANGE[0], "max": HOLD_LIMIT_RANGE[1]},
    )
    reload_trips = IntegerField(
        _l("Loads per rider per meal"), default=1, validators=[Optional(), NumberRange(*RELOAD_TRIPS_RANGE)],
        description=_l("1: each rider loads once. More: a rider with a small box comes back to the kitchen to load "
                       "again, and each load's meals are held from its own departure."),
        render_kw={"min": RELOAD_TRIPS_RANGE[0], "max": RELOAD_TRIPS_RANGE[1]},
    )
    load_minutes = IntegerField(
        _l("Minutes to load again at the kitchen"), default=5, validators=[Optional(), NumberRange(*LOAD_MINUTES_RANGE)],
        render_kw={"min": LOAD_MINUTES_RANGE[0], "max": LOAD_MINUTES_RANGE[1]},
    )
    packing_rate = IntegerField(
        _l("Meals the kitchen hands out per 10 minutes"), validators=[Optional(), NumberRange(*PACKING_RATE_RANGE)],
        description=_l("Empty: as fast as riders come. Set: riders' departures are staggered so the kitchen can "
                       "pack every box in time."),
        render_kw={"min": PACKING_RATE_RANGE[0], "max": PACKING_RATE_RANGE[1]},
    )
    insulated_hold_minutes = IntegerField(
        _l("Insulated-box hold limit for village points (minutes)"),
        validators=[Optional(), NumberRange(*INSULATED_HOLD_RANGE)],
        description=_l("A kitchen that supplies village points: longest time from the car leaving the kitchen to "
                       "the table or the door, longer than the hot-meal limit. Empty: the hot-meal limit."),
        render_kw={"min": INSULATED_HOLD_RANGE[0], "max": INSULATED_HOLD_RANGE[1]},
    )
    trunk_trip_meals = IntegerField(
        _l("Meals per car trip to the village points"),
        validators=[Optional(), NumberRange(*TRUNK_TRIP_RANGE, message=_l("A trip must carry at least one meal and at "
                                                                          "most %(max)s."))],
        description=_l("What the car's insulated boxes hold. Empty: what each driver's record says they carry."),
        render_kw={"min": TRUNK_TRIP_RANGE[0], "max": TRUNK_TRIP_RANGE[1]},
    )
    ready_lead_minutes = IntegerField(
        _l("Cooking ends (minutes before a meal window opens)"), default=30,
        validators=[Optional(), NumberRange(*READY_LEAD_RANGE)],
        description=_l("No hot meal leaves before then."),
        render_kw={"min": READY_LEAD_RANGE[0], "max": READY_LEAD_RANGE[1]},
    )
    shift_cancel_cutoff_hours = IntegerField(
        _l("Late cancellation of a volunteer shift (hours before)"), default=24,
        validators=[Optional(), NumberRange(*SHIFT_CUTOFF_RANGE)],
        description=_l("A volunteer cancelling later than this is replaced: the place is offered to volunteers "
                       "who know the route."),
        render_kw={"min": SHIFT_CUTOFF_RANGE[0], "max": SHIFT_CUTOFF_RANGE[1]},
    )
    circle_minutes = IntegerField(
        _l("Service circle (minutes)"), default=15, validators=[InputRequired(), NumberRange(*CIRCLE_MINUTES_RANGE)],
        render_kw={"min": CIRCLE_MINUTES_RANGE[0], "max": CIRCLE_MINUTES_RANGE[1]},
    )
    circle_mode = SelectField(_l("Service circle measured by"),
                              choices=choices(TravelMode),
                              default=TravelMode.WALK.value)
    timezone = text_field(_l("Timezone"), 64, required=True, default="Asia/Shanghai",
                          description=_l("An IANA name such as Asia/Shanghai; meal windows are in this local time."))
    is_active = BooleanField(_l("Active"), default=True)
    breakfast = FormField(WindowForm, label=_l("Breakfast"))
    lunch = FormField(WindowForm, label=_l("Lunch"))
    dinner = FormField(WindowForm, label=_l("Dinner"))

    WINDOW_FIELDS = ("breakfast", "lunch", "dinner")

    def validate_timezone(self, field) -> None:
        if field.data and field.data not in known_timezones():
            raise ValidationError(_("Unknown timezone; use a name like Asia/Shanghai."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Look at field errors, not ``sub.errors``: that property caches and would hide what is added here.
        windows = [(name, sub) for name in self.WINDOW_FIELDS
                   if (sub := self[name].form).start.data and sub.end.data
                   and not sub.start.errors and not sub.end.errors]
        windows.sort(key=lambda pair: pair[1].start.data)
        for (earlier_name, earlier), (_name, later) in zip(windows, windows[1:]):
            if later.start.data < earlier.end.data:
                later.start.errors.append(_("Overlaps the %(meal)s window.", meal=label(MealType(earlier_name))))
                valid = False
        return valid

    def fill_windows(self, windows) -> None:
        """Show a site's stored windows (call on GET, before rendering)."""
        for window in windows:
            sub = self[window.meal.value].form
            sub.start.data, sub.end.data = window.start_time, window.end_time

    def to_data(self) -> SiteData:
        """The validated input as a ``SiteData`` (call only after ``validate_on_submit``)."""
        windows = tuple(
            WindowTimes(MealType(name), sub.start.data, sub.end.data)
            for name in self.WINDOW_FIELDS
            if (sub := self[name].form).start.data and sub.end.data
        )
        return SiteData(
            name=self.name.data, name_zh=self.name_zh.data, kind=SiteKind(self.kind.data),
            address=self.address.data, address_zh=self.address_zh.data, district=self.district.data,
            neighbourhood=self.neighbourhood.data, lat=self.lat.data, lon=self.lon.data, phone=self.phone.data,
            daily_capacity=self.daily_capacity.data, hold_limit_minutes=self.hold_limit_minutes.data,
            reload_trips=1 if self.reload_trips.data is None else self.reload_trips.data,
            load_minutes=5 if self.load_minutes.data is None else self.load_minutes.data,
            packing_rate=self.packing_rate.data,
            insulated_hold_minutes=self.insulated_hold_minutes.data, trunk_trip_meals=self.trunk_trip_meals.data,
            ready_lead_minutes=30 if self.ready_lead_minutes.data is None else self.ready_lead_minutes.data,
            circle_minutes=self.circle_minutes.data, circle_mode=TravelMode(self.circle_mode.data),
            timezone=self.timezone.data, is_active=self.is_active.data, windows=windows,
            shift_cancel_cutoff_hours=24 if self.shift_cancel_cutoff_hours.data is None
            else self.shift_cancel_cutoff_hours.data,
        )

    def blame(self, field: str, message) -> None:
        """Show a service's ``FieldError`` next to the field it names (``lunch-start`` for a window)."""
        meal, _sep, part = field.partition("-")
        if meal in self.WINDOW_FIELDS and part in ("start", "end"):
            self[meal].form[part].errors.append(message)
        elif field in self._fields and field not in self.WINDOW_FIELDS:
            self[field].errors = [*self[field].errors, message]
        else:
            self.form_errors.append(message)
        self._errors = None  # ``errors`` is cached; recompute it with this message
