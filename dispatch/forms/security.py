"""Forms of the administrators' security pages: API tokens and the audit log filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import EmailField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from dispatch.forms.accounts import IdListField
from dispatch.forms.fields import DayField, FilterForm
from dispatch.models.user import RoleName
from dispatch.platform.labels import choices
from dispatch.platform.validation import MAX_ID


class ApiTokenForm(FlaskForm):
    name = StringField(_l("What will use it"), validators=[InputRequired(), Length(max=80)],
                       description=_l("E.g. the call centre or the civil-affairs data platform."))
    email = EmailField(_l("Account it acts for"), validators=[InputRequired(), Length(max=255)])
    role = SelectField(_l("Role"), choices=choices(RoleName), validators=[InputRequired()])
    sites = IdListField(_l("Sites (staff tokens)"), description=_l("Site ids, e.g. 3, 7. Staff tokens only."))
    days = IntegerField(_l("Days until it expires"), default=90, validators=[InputRequired(), NumberRange(1, 366)])


class AuditFilterForm(FilterForm):
    user_id = IntegerField(_l("User id"), validators=[Optional(), NumberRange(1, MAX_ID)])
    senior_id = IntegerField(_l("Senior id"), validators=[Optional(), NumberRange(1, MAX_ID)])
    day_from = DayField(_l("From"), validators=[Optional()])
    day_to = DayField(_l("To"), validators=[Optional()])


class UnusualAccessForm(FilterForm):
    day = DayField(_l("Day"), validators=[Optional()])
