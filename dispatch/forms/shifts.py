"""Forms for volunteer shifts: staff publish one; volunteers' buttons carry only the CSRF token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import IntegerField, SelectField, TimeField
from wtforms.validators import InputRequired, NumberRange

from dispatch.forms.fields import DayField
from dispatch.models.volunteer_shift import ShiftRole
from dispatch.platform.labels import choices


class PublishShiftForm(FlaskForm):
    service_date = DayField(_l("Date"), validators=[InputRequired(message=_l("Enter a date as YYYY-MM-DD."))])
    start_time = TimeField(_l("Start"), validators=[InputRequired()])
    end_time = TimeField(_l("End"), validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=choices(ShiftRole), default=ShiftRole.DRIVER.value)
    needed = IntegerField(_l("People needed"), default=1, validators=[InputRequired(), NumberRange(1, 100)])


class ButtonForm(FlaskForm):
    """A single button (sign up, cancel, accept): the CSRF token is its only field."""
