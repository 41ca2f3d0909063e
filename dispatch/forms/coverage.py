"""The what-if siting form: how many new sites, their circle, and optional candidate places."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.fields import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from dispatch.models.site import TravelMode
from dispatch.platform.labels import choices
from dispatch.services.coverage.siting import MAX_K
from dispatch.services.people.sites import CIRCLE_MINUTES_RANGE


class SitingForm(FlaskForm):
    k = IntegerField(_l("New sites to choose"), default=3, validators=[InputRequired(), NumberRange(1, MAX_K)],
                     render_kw={"min": 1, "max": MAX_K, "inputmode": "numeric"})
    minutes = IntegerField(_l("Their service circle (minutes)"), default=15,
                           validators=[InputRequired(), NumberRange(*CIRCLE_MINUTES_RANGE)],
                           render_kw={"min": CIRCLE_MINUTES_RANGE[0], "max": CIRCLE_MINUTES_RANGE[1],
                                      "inputmode": "numeric"})
    mode = SelectField(_l("Circle measured by"), choices=choices(TravelMode), default=TravelMode.WALK.value)
    candidates = FileField(
        _l("Candidate places (CSV, optional)"),
        description=_l("Columns lat, lon and optionally name; at most 5,000 rows and 8 MB. "
                       "Without a file, a grid over the gaps is tried."),
        render_kw={"accept": ".csv,text/csv"},
    )
