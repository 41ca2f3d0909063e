"""Forms for locating seniors: the pin staff drop on the map, and the button that starts geocoding."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import FloatField, HiddenField
from wtforms.validators import InputRequired, NumberRange


class PinForm(FlaskForm):
    lat = FloatField(_l("Latitude"), validators=[InputRequired(), NumberRange(-90, 90)],
                     description=_l("Click the map or drag the pin to the door; the numbers follow."))
    lon = FloatField(_l("Longitude"), validators=[InputRequired(), NumberRange(-180, 180)])
    version = HiddenField()


class LocateForm(FlaskForm):
    """Only the CSRF token: the button starts geocoding the pending addresses."""
