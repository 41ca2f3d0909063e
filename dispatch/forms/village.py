"""The village-point form: every field labelled, every bad value explained next to its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import BooleanField, FloatField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from dispatch.forms.fields import finite, text_field
from dispatch.models.village import VillagePointKind
from dispatch.platform.labels import choices
from dispatch.services.rural.points import SEATS_MAX, UNLOAD_RANGE, PointData


class PointForm(FlaskForm):
    name = text_field(_l("Name"), 120, required=True)
    name_zh = text_field(_l("Name in Chinese"), 120)
    kind = SelectField(_l("Kind"), choices=choices(VillagePointKind), default=VillagePointKind.HAPPINESS_HOME.value)
    address = text_field(_l("Address"), 255, required=True)
    address_zh = text_field(_l("Address in Chinese"), 255)
    lat = FloatField(_l("Latitude"), validators=[InputRequired(), finite, NumberRange(-90, 90)],
                     render_kw={"inputmode": "decimal", "step": "any"})
    lon = FloatField(_l("Longitude"), validators=[InputRequired(), finite, NumberRange(-180, 180)],
                     render_kw={"inputmode": "decimal", "step": "any"})
    dine_in = BooleanField(_l("Seniors dine here"))
    seats = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(1, SEATS_MAX)],
                         description=_l("Only for a point where seniors dine."),
                         render_kw={"min": 1, "max": SEATS_MAX})
    unload_minutes = IntegerField(
        _l("Minutes to hand the boxes over"), default=5, validators=[InputRequired(), NumberRange(*UNLOAD_RANGE)],
        description=_l("Before a volunteer can set out with the meals."),
        render_kw={"min": UNLOAD_RANGE[0], "max": UNLOAD_RANGE[1]},
    )

    def to_data(self) -> PointData:
        """The validated input as a ``PointData`` (raises ``FieldError`` for what only it checks)."""
        return PointData(
            name=self.name.data or "", name_zh=self.name_zh.data or None, kind=VillagePointKind(self.kind.data),
            address=self.address.data or "", address_zh=self.address_zh.data or None, lat=self.lat.data,
            lon=self.lon.data, dine_in=bool(self.dine_in.data), seats=self.seats.data,
            unload_minutes=self.unload_minutes.data,
        )


class PointActiveForm(FlaskForm):
    """The deactivate / bring-back button (a POST with its CSRF token)."""
