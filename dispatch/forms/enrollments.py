"""Forms for meal enrollments and holds."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from dispatch.forms.fields import DayField, FilterForm, MultiCheckboxField, optional_int
from dispatch.models.meals import MealMode
from dispatch.models.site import MealType
from dispatch.platform.labels import WEEKDAYS_SHORT, choices
from dispatch.platform.validation import MAX_ID

DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD.")


class EnrollmentForm(FlaskForm):
    """Create or edit an enrollment. Set ``site_id.choices`` before validating."""

    senior_id = IntegerField(_l("Senior number"), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)],
                             description=_l("Find the senior above, or type the number shown on their page."))
    site_id = SelectField(_l("Site"), coerce=optional_int, choices=[], validators=[InputRequired()])
    meal = SelectField(_l("Meal"), choices=choices(MealType), default=MealType.LUNCH.value)
    weekdays = MultiCheckboxField(_l("Weekdays"), coerce=int,
                                  choices=[SelectChoice(i, day) for i, day in enumerate(WEEKDAYS_SHORT)],
                                  default=[0, 1, 2, 3, 4])
    mode = SelectField(_l("How"), choices=choices(MealMode), default=MealMode.DELIVERY.value)
    start_date = DayField(_l("First day"), validators=[InputRequired(message=DATE_MESSAGE)])
    end_date = DayField(_l("Last day"), validators=[Optional()], description=_l("Leave empty if open-ended."))
    is_active = BooleanField(_l("Active"), default=True)

    def service_data(self) -> dict[str, Any]:
        return {name: self[name].data for name in (
            "senior_id", "site_id", "meal", "weekdays", "mode", "start_date", "end_date", "is_active")}


class EnrollmentSearchForm(FilterForm):
    """List filters (GET, no CSRF)."""

    site = SelectField(_l("Site"), coerce=optional_int, choices=[], validators=[Optional()])
    meal = SelectField(_l("Meal"), choices=choices(MealType, blank=_l("Any")), validators=[Optional()])
    mode = SelectField(_l("How"), choices=choices(MealMode, blank=_l("Any")), validators=[Optional()])
    active = SelectField(_l("Status"), choices=[SelectChoice("yes", _l("Active")), SelectChoice("no", _l("Inactive")),
                                                SelectChoice("", _l("All"))],
                         default="yes", validators=[Optional()])


class HoldForm(FlaskForm):
    """Pause all of a senior's meals between two dates (both included)."""

    start_date = DayField(_l("Hold from"), validators=[InputRequired(message=DATE_MESSAGE)])
    end_date = DayField(_l("Hold until"), validators=[InputRequired(message=DATE_MESSAGE)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)],
                         description=_l("e.g. hospital stay, family visit"))
    away = BooleanField(_l("Away from home on those days: leave their home visits out of planning too"),
                        default=True)

    def service_data(self) -> dict[str, Any]:
        return {"start_date": self.start_date.data, "end_date": self.end_date.data, "reason": self.reason.data,
                "away": bool(self.away.data)}
