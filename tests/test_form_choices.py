"""Every choices field gets ``SelectChoice`` objects, never tuples.

WTForms 3.3 deprecates choices passed as tuples ("Passing SelectField choices
as tuples is deprecated and will be removed in wtforms 3.4") and 3.4 drops
them. The warning only fires for choices given to a field's constructor; the
choices our views set at request time never warn, so these tests also check
the type of every choice: on each form of ``dispatch/forms``, from the
functions that build choices, and on the forms the pages render.
"""
from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import warnings
from datetime import date

import pytest
import sqlalchemy as sa
from flask import template_rendered
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice, SelectFieldBase

import dispatch.forms
from dispatch.extensions import db
from dispatch.forms.family import service_choices
from dispatch.forms.imports import mapping_form
from dispatch.models.site import MealSite
from dispatch.models.subsidy import SubsidyRule
from dispatch.services.imports import seniors as senior_import
from dispatch.services.people import user_directory
from dispatch.web.staff.seniors import site_choices as senior_site_choices
from tests.factories import create_senior, create_site, create_user, create_worker, login_as
from tests.import_files import as_csv, senior_rows

TUPLE_WARNING = "choices as tuples"

def _form_classes() -> dict[str, type[Form]]:
    """Every form class defined in a module of ``dispatch/forms`` (FlaskForms and the plain row forms)."""
    found = {}
    for info in pkgutil.iter_modules(dispatch.forms.__path__):
        module = importlib.import_module(f"{dispatch.forms.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Form) and obj.__module__ == module.__name__:
                found[f"{info.name}.{name}"] = obj
    return found


FORMS = _form_classes()


def _choice_fields(fields):
    """The choices fields among ``fields``, inside FieldLists and FormFields too."""
    for field in fields:
        if isinstance(field, SelectFieldBase):
            yield field
        elif isinstance(field, FormField):
            yield from _choice_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _choice_fields(field.entries)


def _tuple_warnings(caught) -> list[str]:
    return [f"{w.filename}:{w.lineno}: {w.message}" for w in caught
            if issubclass(w.category, DeprecationWarning) and TUPLE_WARNING in str(w.message)]


def _not_select_choices(field) -> list:
    choices = field.choices
    if choices is None or callable(choices):
        return []
    return [c for c in choices if not isinstance(c, SelectChoice)]


def _build(key: str, cls: type[Form], sites) -> Form:
    """The form as a page builds it: constructor arguments, and the choices set before rendering."""
    if key == "workers.WorkerForm":
        form = cls(sites=sites)
        form.add_blank_shift_rows()
        return form
    if key == "workers.WorkerFilterForm":
        return cls(sites=sites)
    if key == "imports.MappingForm":
        return mapping_form(("Name", "Phone"), senior_import.COLUMNS, senior_import.column_label,
                            [SelectChoice(None, "None"), *(SelectChoice(s.id, s.name) for s in sites)])
    form = cls()
    if key == "subsidies.SubsidyRuleForm":
        form.set_choices(sites, district_wide=True)
    return form


def test_the_forms_are_found():
    assert {"accounts.CreateUserForm", "enrollments.EnrollmentForm", "family.RequestForm", "seniors.SeniorSearchForm",
            "workers.WorkerForm", "workers.ShiftForm", "imports.MappingForm"} <= set(FORMS)
    assert all(issubclass(cls, FlaskForm) for key, cls in FORMS.items()
               if key not in ("seniors.ContactForm", "sites.WindowForm", "workers.ShiftForm"))


@pytest.mark.parametrize("key", sorted(FORMS))
def test_form_builds_and_renders_its_choices_without_tuples(app, key):
    sites = [create_site(name="North canteen"), create_site(name="South canteen")]
    with app.test_request_context(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        form = _build(key, FORMS[key], sites)
        fields = list(_choice_fields(form))
        rendered = [str(field) for field in fields]
    assert _tuple_warnings(caught) == []
    for field in fields:
        assert _not_select_choices(field) == [], field.name
    assert all(rendered)


def test_choice_builders_give_select_choices(app):
    site = create_site(name="East canteen")
    worker = create_worker(site)
    with app.test_request_context():
        built = {
            "site_choices": user_directory.site_choices(),
            "unlinked_worker_choices": user_directory.unlinked_worker_choices(),
            "service_choices": service_choices(),
            "seniors.site_choices": senior_site_choices(sa.select(MealSite)),
        }
    for name, choices in built.items():
        assert choices, name
        assert all(isinstance(c, SelectChoice) for c in choices), name
    assert [(c.value, c.label) for c in built["site_choices"]] == [(site.id, "East canteen")]
    assert [(c.value, c.label) for c in built["unlinked_worker_choices"]] == [
        (worker.id, f"{worker.full_name} (#{worker.id})")]


@pytest.fixture
def rendered_forms(app):
    """Our forms handed to templates while the test runs."""
    forms = []

    def record(sender, template, context, **extra):
        for value in context.values():
            if isinstance(value, Form) and type(value).__module__.startswith("dispatch."):
                forms.append((template.name, value))

    template_rendered.connect(record, app)
    yield forms
    template_rendered.disconnect(record, app)


def _check(forms) -> None:
    for template, form in forms:
        for field in _choice_fields(form):
            assert _not_select_choices(field) == [], f"{template}: {field.name}"


def test_pages_set_select_choices_at_request_time(app, client, rendered_forms):
    site = create_site(name="West canteen")
    senior = create_senior(site)
    create_worker(site)
    rule = SubsidyRule(name="Aged 60-74", site_id=site.id, min_age=60, max_age=74, valid_from=date(2026, 1, 1),
                       meal_price_cents=1500, subsidy_cents=100)
    db.session.add(rule)
    db.session.commit()
    login_as(client, create_user("admin"))
    rows, _bad = senior_rows(3, site_name="West canteen", bad_share=0)
    upload = client.post("/staff/import/seniors", data={"file": (io.BytesIO(as_csv(rows)), "s.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    pages = ["/admin/users/new", "/admin/users", "/staff/seniors", "/staff/seniors/new",
             f"/staff/seniors/{senior.id}/edit", "/staff/enrollments", f"/staff/enrollments/new?senior_id={senior.id}",
             "/staff/subsidies/new", f"/staff/subsidies/{rule.id}/new-version", upload.headers["Location"]]
    for page in pages:
        assert client.get(page).status_code == 200, page
    expected = {"admin/user_new.html", "staff/seniors/list.html", "staff/seniors/form.html",
                "staff/enrollments/list.html", "staff/enrollments/form.html", "staff/subsidies/form.html",
                "staff/imports/preview.html"}
    assert expected <= {template for template, _form in rendered_forms}
    _check(rendered_forms)

    rendered_forms.clear()
    family = app.test_client()
    login_as(family, create_user("family", seniors=[senior]))
    for page in ("/family/request", "/family/notifications"):
        assert family.get(page).status_code == 200, page
    assert {"family/request.html", "family/notifications.html"} <= {template for template, _f in rendered_forms}
    _check(rendered_forms)
