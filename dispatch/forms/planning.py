"""Forms of the daily planning pages: request review and moving a stop."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from dispatch.forms.fields import DayField
from dispatch.services.care.requests import MAX_REASON


class VersionedForm(FlaskForm):
    """Carries the version the user saw, for the optimistic check."""

    version = HiddenField()

    def version_value(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class DeclineForm(VersionedForm):
    reason = StringField(_l("Reason (the family will see it)"),
                         validators=[DataRequired(_l("Say why the request is declined.")), Length(max=MAX_REASON)])


class RescheduleForm(VersionedForm):
    day = DayField(_l("Day"), validators=[InputRequired(_l("Choose a day."))])
    window_start = TimeField(_l("From"), validators=[InputRequired(_l("Give a start time."))])
    window_end = TimeField(_l("Until"), validators=[InputRequired(_l("Give an end time."))])


class MoveForm(VersionedForm):
    stop = SelectField(_l("Stop"), validators=[DataRequired()], validate_choice=True)
    worker = SelectField(_l("Move to"), validate_choice=True)
    position = IntegerField(_l("Position on that route (1 = first)"), default=1,
                            validators=[InputRequired(), NumberRange(min=1, max=1000)])
    confirm = BooleanField(_l("Save even though it breaks the rules shown"))
