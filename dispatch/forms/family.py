"""Forms of the family pages: ask for a service, pause meals, accept an invitation.

Kept to few, large fields; the services check every rule again, so the
forms only parse and say what is missing.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from dispatch.forms.fields import DayField
from dispatch.platform.labels import label
from dispatch.services.care.family_requests import MEAL_DELIVERY, SERVICES


def service_choices() -> list[SelectChoice]:
    words = {MEAL_DELIVERY: _l("Meal delivery (ask to enrol)")}
    return [SelectChoice(s, str(words.get(s) or label(s))) for s in SERVICES]


class RequestForm(FlaskForm):
    """A service for one linked senior; ``idempotency_key`` is made by the page, once per form."""

    senior_id = SelectField(_l("For whom"), coerce=int, validators=[DataRequired()])
    service = RadioField(_l("Service"), validators=[DataRequired(message=_l("Choose a service."))])
    day = DayField(_l("Preferred date"), validators=[DataRequired(message=_l("Choose a date."))])
    window_start = TimeField(_l("From"), validators=[Optional()])
    window_end = TimeField(_l("Until"), validators=[Optional()])
    weekly = BooleanField(_l("Repeat every week"))
    notes = TextAreaField(_l("Notes for the staff"), validators=[Optional(), Length(max=1000)])
    idempotency_key = HiddenField()


class RescheduleForm(FlaskForm):
    day = DayField(_l("New date"), validators=[DataRequired()])
    window_start = TimeField(_l("From"), validators=[DataRequired()])
    window_end = TimeField(_l("Until"), validators=[DataRequired()])
    version = HiddenField()


class HoldForm(FlaskForm):
    """Pause meals; ``away`` also keeps home visits off those days, ``visits`` answers what to do with them."""

    start = DayField(_l("First day without meals"), validators=[DataRequired()])
    end = DayField(_l("Last day without meals"), validators=[DataRequired()])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=255)])
    # Checked on a new form: a pause is most often a hospital stay or a stay with family.
    away = BooleanField(_l("Away from home on those days (hospital, travel): no home visits either"),
                        default=True)
    # Asked only when visits fall on the away days (the page lists them first).
    visits = RadioField(_l("Visits on those days"), validators=[Optional()], choices=[
        SelectChoice("cancel", _l("Cancel them")),
        SelectChoice("keep", _l("Keep them for the meal site to move (they are not planned while away)")),
    ])


class AcceptInvitationForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Choose a password"), validators=[DataRequired()])
    password_confirm = PasswordField(_l("Repeat the password"),
                                     validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class InviteForm(FlaskForm):
    """Staff: invite a relative of one senior."""

    email = StringField(_l("E-mail of the family member"), validators=[DataRequired(), Email(), Length(max=255)])
    relation = StringField(_l("Relation (daughter, son, niece...)"), validators=[DataRequired(), Length(max=60)])


class NotificationSettingsForm(FlaskForm):
    """How news about my relatives reaches me; the service checks that each chosen channel has an address."""

    email_enabled = BooleanField(_l("Send me e-mail"))
    email = StringField(_l("E-mail address (leave empty for your account's address)"),
                        validators=[Optional(), Length(max=255)], render_kw={"type": "email", "autocomplete": "email"})
    sms_enabled = BooleanField(_l("Send me text messages"))
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=32)],
                        render_kw={"type": "tel", "autocomplete": "tel"})
    wechat_enabled = BooleanField(_l("Send me WeChat messages"))
    wechat_id = StringField(_l("WeChat ID"), validators=[Optional(), Length(max=64)], render_kw={"autocomplete": "off"})
    locale = SelectField(_l("Language of the messages"))
