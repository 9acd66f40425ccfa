"""The form renderer writes <input> and <textarea> in Python (certportal.formrender): the
markup must be byte for byte what Django's widget templates give, for every field of
every form the project declares and for the stock widgets with awkward values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from certportal.formrender import INPUT_TEMPLATES, TEXTAREA_TEMPLATE, FastTemplates
from tests.security.hostile import form_field_names  # imports every form module

VALUES = [
    None,
    "",
    "plain",
    " <b>\"quoted\" & 'single'</b> ",
    mark_safe("<i>safe</i>"),
    "line one\nline two\n",
    0,
    42,
    Decimal("6500.00"),
    dt.date(2026, 12, 2),
    True,
    False,
    ("a", "b"),
]
ATTRS = [
    {},
    {"id": "f1_body", "rows": 3, "maxlength": 10000, "required": True, "disabled": False},
    {"class": 'x" onmouseover="y', "data-n": 0, "aria-describedby": mark_safe("a&b")},
]


def project_fields():
    form_field_names()
    pending, seen, found = [forms.Form, forms.ModelForm], set(), []
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            pending.append(sub)
            for name, field in getattr(sub, "base_fields", {}).items():
                found.append((f"{sub.__module__}.{sub.__name__}.{name}", field))
    return found


STOCK_WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"placeholder": "<who?>", "autofocus": True}),
    forms.NumberInput(attrs={"step": Decimal("0.01"), "min": 0}),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.PasswordInput(),
    forms.HiddenInput(),
    forms.DateInput(),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
    forms.FileInput(),
    forms.CheckboxInput(),
    forms.CheckboxInput(check_test=lambda v: v == "on"),
    forms.Textarea(),
    forms.Textarea(attrs={"rows": 2, "cols": None}),
]


def test_the_direct_writers_cover_the_templates_they_stand_for():
    fast = FastTemplates()
    for name in [*INPUT_TEMPLATES, TEXTAREA_TEMPLATE]:
        assert fast._writer(name) is not None, name
    assert fast._writer("django/forms/widgets/select.html") is None


def test_the_project_uses_the_fast_renderer():
    assert isinstance(get_default_renderer(), FastTemplates)


@pytest.mark.parametrize("widget", STOCK_WIDGETS, ids=lambda w: type(w).__name__)
def test_stock_widgets_render_as_django_does(widget):
    stock, fast = DjangoTemplates(), FastTemplates()
    for value in VALUES:
        for attrs in ATTRS:
            expected = widget.render("body", value, attrs=dict(attrs), renderer=stock)
            got = widget.render("body", value, attrs=dict(attrs), renderer=fast)
            assert got == expected, (value, attrs)
            assert type(got) is type(expected)


@pytest.mark.django_db
def test_every_project_field_renders_as_django_does():
    stock, fast = DjangoTemplates(), FastTemplates()
    direct = {*INPUT_TEMPLATES, TEXTAREA_TEMPLATE}
    fields = [(label, f) for label, f in project_fields() if f.widget.template_name in direct]
    assert len(fields) > 100
    for label, field in fields:
        initial = None if callable(field.initial) else field.initial  # now() differs
        for value in (None, "", "x<y>&", initial):
            attrs = field.widget_attrs(field.widget) | {"id": "id_x"}
            expected = field.widget.render("name", value, attrs=dict(attrs), renderer=stock)
            got = field.widget.render("name", value, attrs=dict(attrs), renderer=fast)
            assert got == expected, (label, value)
