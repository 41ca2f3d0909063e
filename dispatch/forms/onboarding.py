"""Forms for worker onboarding: the invitation, the volunteer's join form, and a certificate."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from dispatch.forms.family import AcceptInvitationForm
from dispatch.forms.fields import DayField
from dispatch.models.site import TravelMode
from dispatch.models.worker import Skill
from dispatch.platform.labels import choices


class InviteWorkerForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=255)],
                       description=_l("The volunteer gets a link to set a password; no app to install."))


class JoinAsWorkerForm(AcceptInvitationForm):
    travel_mode = SelectField(_l("How do you get around?"), choices=choices(TravelMode),
                              default=TravelMode.E_BIKE.value)


class CertificateForm(FlaskForm):
    skill = SelectField(_l("Skill it vouches for"), choices=choices(Skill), default=Skill.BATHING.value)
    name = StringField(_l("Course or licence"), validators=[DataRequired(), Length(max=120)])
    issued_on = DayField(_l("Issued on"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))])
    expires_on = DayField(_l("Expires on"), validators=[Optional()],
                           description=_l("Leave empty if it does not expire. After this date the planner no "
                                          "longer gives this worker visits that need the skill."))
