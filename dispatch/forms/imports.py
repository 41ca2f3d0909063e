"""Forms for importing a spreadsheet: the upload, and the preview's column choices."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.fields import SelectField
from wtforms.fields.choices import SelectChoice

from dispatch.forms.fields import optional_int
from dispatch.services.imports.columns import Column


class UploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("The first row names the columns. CSV in UTF-8 or GB18030; XLSX without "
                                    "formulas or merged cells."))


class MappingForm(FlaskForm):
    """Which file column feeds each field; built per file by ``mapping_form``."""

    default_site = SelectField(_l("Home site for rows without one"), coerce=optional_int, choices=[])


def mapping_form(headers: tuple[str, ...], columns: tuple[Column, ...], labels, site_choices: list[SelectChoice],
                 **kwargs) -> MappingForm:
    class _Form(MappingForm):
        pass

    options = [SelectChoice("", _("— not imported —"))] + [
        SelectChoice(str(i), header or _("Column %(n)s", n=i + 1)) for i, header in enumerate(headers)]
    for column in columns:
        setattr(_Form, f"map_{column.key}", SelectField(labels(column.key), choices=options, default=""))
    form = _Form(**kwargs)
    form.default_site.choices = list(site_choices)
    return form
