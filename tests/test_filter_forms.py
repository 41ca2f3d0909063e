"""A list page's filter form (GET) treats an absent or empty argument as "any", never as an error."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectFieldBase

import dispatch.forms
from dispatch.forms.fields import FilterForm
from dispatch.forms.workers import WorkerFilterForm


def _get_forms() -> list[type]:
    """Every page form (FlaskForm) of ``dispatch/forms`` whose CSRF is off: the GET search and filter forms."""
    found = []
    for info in pkgutil.iter_modules(dispatch.forms.__path__):
        module = importlib.import_module(f"{dispatch.forms.__name__}.{info.name}")
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, FlaskForm) and obj.__module__ == module.__name__
                    and obj.Meta.csrf is False):
                found.append(obj)
    return found


GET_FORMS = _get_forms()


def test_every_get_form_is_a_filter_form():
    assert len(GET_FORMS) >= 6
    assert [f.__name__ for f in GET_FORMS if not issubclass(f, FilterForm)] == []


@pytest.mark.parametrize("form_class", GET_FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("args", [{}, "empty"], ids=["absent", "empty"])
def test_absent_or_empty_arguments_are_no_error(app, form_class, args):
    with app.test_request_context():
        probe = form_class(formdata=MultiDict())
        formdata = MultiDict({name: "" for name in probe._fields} if args == "empty" else {})
        form = form_class(formdata=formdata)
        for field in form:
            if isinstance(field, SelectFieldBase) and not field.choices:
                field.choices = []  # as a view leaves a site filter for a user with no sites
        assert form.validate(), form.errors
        assert form.errors == {}


def test_a_bad_value_that_is_present_still_gets_its_error(app):
    with app.test_request_context():
        form = WorkerFilterForm(formdata=MultiDict({"kind": "astronaut"}))
        assert not form.validate() and list(form.errors) == ["kind"]
        assert form.to_filters().kind is None  # and the list drops it
