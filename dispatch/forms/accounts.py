"""Forms for the administrators' user pages: search, create, and the per-user actions.

The forms check shape only (required, lengths, a list of ids); whether an
account is valid (email format, password strength, a staff account's sites)
is ``services.accounts.create_user``'s call, and its ``FieldError`` is
shown next to the field it names via ``field_for``.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import (
    EmailField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from dispatch.forms.fields import FilterForm, MultiCheckboxField, optional_int
from dispatch.models.user import RoleName
from dispatch.platform.labels import choices
from dispatch.platform.validation import id_or_none

# ``services.errors.FieldError.field`` -> the form field showing it.
SERVICE_FIELDS = {
    "email": "email", "password": "password", "role": "role", "site": "sites",
    "senior": "seniors", "worker": "worker_id",
}


class IdListField(StringField):
    """Record ids typed as "12, 15 40"; ``data`` is the list of ints."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = []
        for token in re.split(r"[\s,;，、]+", self.raw.strip()):
            if not token:
                continue
            record_id = id_or_none(token)
            if record_id is None:
                raise ValueError(_l("Use numbers separated by commas, e.g. 12, 15."))
            self.data.append(record_id)

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None:
            return self.raw
        return ", ".join(str(i) for i in self.data or [])


class UserSearchForm(FilterForm):
    """The list's search box and role filter (GET, no CSRF: it changes nothing)."""

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)], description=_l("Email or name"))
    role = SelectField(_l("Role"), choices=choices(RoleName, blank=_l("Any role")),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=[SelectChoice("", _l("All")), SelectChoice("active", _l("Active")),
                                                SelectChoice("disabled", _l("Disabled"))], validators=[Optional()])


class CreateUserForm(FlaskForm):
    """A new account: one role, and its scope (sites for staff, seniors for family)."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=255)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)],
                               description=_l("Shown in the menu and on records; defaults to the part before @."))
    role = SelectField(_l("Role"), choices=choices(RoleName),
                       validators=[InputRequired()])
    password = PasswordField(_l("Initial password"), validators=[InputRequired(), Length(max=128)],
                             description=_l("At least 10 characters. Give it to the person privately; "
                                            "they can change it after logging in."))
    sites = MultiCheckboxField(_l("Meal sites (staff only)"), coerce=int, choices=[], validate_choice=False)
    seniors = IdListField(_l("Senior ids (family only)"),
                          description=_l("The ids of the seniors this family member may follow, "
                                         "as shown on the staff seniors page, e.g. 12, 15."))
    relation = StringField(_l("Relation to the seniors (family only)"), default="family",
                           validators=[Optional(), Length(max=60)], description=_l("e.g. daughter, son, niece"))
    worker_id = SelectField(_l("Worker record (workers only)"), coerce=optional_int, choices=[],
                            validators=[Optional()], validate_choice=False,
                            description=_l("Link the login to the worker's record so their route shows up."))

    def validate_relation(self, field: StringField) -> None:
        if self.role.data == RoleName.FAMILY.value and not (field.data or "").strip():
            raise ValidationError(_l("Say how this person is related, e.g. daughter."))


class UserActionForm(FlaskForm):
    """A bare POST for disable / enable / log out everywhere / reset two-factor: the CSRF token."""
