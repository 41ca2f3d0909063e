"""Forms for seniors: the search toolbar and the create/edit form with emergency contacts.

The forms check the shape of the input (types, lengths, formats) so errors
show next to the field; the senior service re-checks everything and owns the
rules that need the database or the user (age range, allowed sites).
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    FormField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from dispatch.forms.fields import FilterForm, MultiCheckboxField, optional_int
from dispatch.models.senior import Diet, Gender, Mobility, SeniorCategoryType
from dispatch.platform.labels import choices

PHONE = Regexp(r"^[0-9+\- ]{5,20}$", message=_l("Use 5 to 20 digits, spaces, dashes or a leading +."))



class ContactForm(Form):
    """One emergency contact; all three fields or none (the first is required)."""

    name = StringField(_l("Contact name"), validators=[Optional(), Length(max=120)])
    relation = StringField(_l("Relation"), validators=[Optional(), Length(max=60)],
                           description=_l("e.g. daughter, neighbour"))
    phone = StringField(_l("Contact phone"), validators=[Optional(), PHONE])


class SeniorForm(FlaskForm):
    """Create or edit a senior. Set ``home_site_id.choices`` before validating."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    full_name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=120)])
    gender = SelectField(_l("Gender"), choices=choices(Gender, blank=_l("Not recorded")),
                         validators=[Optional()])
    date_of_birth = DateField(_l("Date of birth"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))],
                              description=_l("Age must be between 50 and 120."))
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=255)])
    address_zh = StringField(_l("Address in Chinese"), validators=[Optional(), Length(max=255)])
    neighbourhood = StringField(_l("Neighbourhood"), validators=[Optional(), Length(max=80)])
    lat = FloatField(_l("Latitude"), validators=[Optional()], description=_l("Optional; give both or neither."))
    lon = FloatField(_l("Longitude"), validators=[Optional()])
    lives_alone = BooleanField(_l("Lives alone"))
    mobility = SelectField(_l("Mobility"), choices=choices(Mobility), default=Mobility.INDEPENDENT.value)
    diet = SelectField(_l("Diet"), choices=choices(Diet), default=Diet.REGULAR.value)
    allergies = TextAreaField(_l("Allergies"), validators=[Optional(), Length(max=2000)])
    access_notes = TextAreaField(_l("Access notes"), validators=[Optional(), Length(max=2000)],
                                 description=_l("Gate code, dog, hard of hearing: what a worker needs at the door."))
    categories = MultiCheckboxField(_l("Categories"), choices=choices(SeniorCategoryType))
    home_site_id = SelectField(_l("Home site"), coerce=optional_int, choices=[])
    # Set apart from ``service_data``: a county senior's village point (``services.rural.points``).
    village_point_id = SelectField(_l("Village point"), coerce=optional_int, choices=[], validators=[Optional()],
                                   description=_l("A senior of a rural county: the point of the home site they dine "
                                                  "at, or whose volunteer walks their meal to the door."))
    contacts = FieldList(FormField(ContactForm), label=_l("Emergency contacts"), min_entries=3, max_entries=3)

    def service_data(self) -> dict[str, Any]:
        """The validated input as the senior service expects it."""
        data = {name: self[name].data for name in (
            "full_name", "full_name_zh", "gender", "date_of_birth", "phone", "address", "address_zh",
            "neighbourhood", "lat", "lon", "lives_alone", "mobility", "diet", "allergies", "access_notes",
            "categories", "home_site_id")}
        data["contacts"] = [entry.form.data for entry in self.contacts]
        return data


class SeniorEditForm(SeniorForm):
    """The edit form carries the version the user loaded (optimistic locking)."""

    version = HiddenField()


class SeniorSearchForm(FilterForm):
    """The list's search box and filters (GET, no CSRF: it changes nothing)."""

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)],
                    description=_l("Name (English or Chinese), last digits of the phone, address or neighbourhood"))
    site = SelectField(_l("Site"), coerce=optional_int, choices=[], validators=[Optional()])
    lives_alone = SelectField(_l("Lives alone"), choices=[
        SelectChoice("", _l("Any")), SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No")),
    ], validators=[Optional()])
    diet = SelectField(_l("Diet"), choices=choices(Diet, blank=_l("Any")), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[
        SelectChoice("active", _l("Active")), SelectChoice("inactive", _l("Inactive")), SelectChoice("all", _l("All")),
    ], default="active", validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A bare POST form: the CSRF token is the only field."""
