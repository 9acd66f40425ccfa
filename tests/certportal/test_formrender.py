"""The form renderer writes <input>, <textarea> and <select> in Python (certportal.formrender): the
markup must be byte for byte what Django's widget templates give, for every field of
every form the project declares and for the stock widgets with awkward values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from certportal.formrender import (
    INPUT_TEMPLATES,
    SELECT_TEMPLATE,
    TEXTAREA_TEMPLATE,
    FastTemplates,
)
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
    forms.Select(),
    forms.Select(choices=[("", "---------"), ("a", "A & <b>"), ("b", mark_safe("<i>B</i>"))]),
    forms.Select(choices=[(1, gettext_lazy("One")), (2, "Two"), (True, "yes"), (None, "none")]),
    forms.Select(choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "X")]),
    forms.Select(choices=[(1, 1), (2, dt.date(2026, 1, 2))]),  # labels the template formats
    forms.Select(choices=[("<g>", [(mark_safe("&amp;"), "amp")])], attrs={"class": "c"}),
    forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]),
    forms.NullBooleanSelect(),
]


def test_the_direct_writers_cover_the_templates_they_stand_for():
    fast = FastTemplates()
    for name in [*INPUT_TEMPLATES, TEXTAREA_TEMPLATE, SELECT_TEMPLATE]:
        assert fast._writer(name) is not None, name
    assert fast._writer("django/forms/widgets/radio.html") is None


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
    direct = {*INPUT_TEMPLATES, TEXTAREA_TEMPLATE, SELECT_TEMPLATE}
    fields = [
        (label, f)
        for label, f in project_fields()
        if f.widget.template_name in direct
        # A choice field whose queryset its form's __init__ sets has no options to draw.
        and not (isinstance(f, forms.ModelChoiceField) and f.queryset is None)
    ]
    assert len(fields) > 100
    for label, field in fields:
        initial = None if callable(field.initial) else field.initial  # now() differs
        for value in (None, "", "x<y>&", initial):
            attrs = field.widget_attrs(field.widget) | {"id": "id_x"}
            expected = field.widget.render("name", value, attrs=dict(attrs), renderer=stock)
            got = field.widget.render("name", value, attrs=dict(attrs), renderer=fast)
            assert got == expected, (label, value)


def test_selects_with_text_labels_are_written_directly():
    """The equality tests above would pass if every select fell back to the template:
    the common selects (text labels, optgroups, several chosen) are written in Python,
    and one whose labels the template would format is not."""
    from certportal.formrender import _select

    for widget in (
        forms.Select(choices=[("", "---------"), ("a", "A & <b>")]),
        forms.Select(choices=[("Fruit", [("apple", "Apple")]), ("x", gettext_lazy("X"))]),
        forms.SelectMultiple(choices=[("a", "A"), ("b", "B")]),
    ):
        context = widget.get_context("f", ["a", "b"], {"id": "id_f"})["widget"]
        expected = widget.render("f", ["a", "b"], attrs={"id": "id_f"}, renderer=DjangoTemplates())
        assert _select(context) == expected
    dated = forms.Select(choices=[(1, dt.date(2026, 1, 2))])
    assert _select(dated.get_context("f", 1, {})["widget"]) is None


@pytest.mark.django_db
def test_labels_render_as_django_does():
    """`field.label_tag` (label.html) for every project field and for awkward labels,
    with and without an id, a suffix and a required class."""
    from certportal.formrender import LABEL_TEMPLATE, _label_tag

    stock, fast = DjangoTemplates(), FastTemplates()
    assert fast._writer(LABEL_TEMPLATE) is _label_tag
    assert _label_tag({"label": "Title", "use_tag": True, "tag": "label", "attrs": None}) == (
        "<label>Title</label>"
    )

    class Probe(forms.Form):
        required_css_class = "req"
        plain = forms.CharField(label="Title")
        hostile = forms.CharField(label='<b>Who?</b> & "why"', required=False)
        safe = forms.CharField(label=mark_safe("<i>Safe</i>"))
        lazy = forms.CharField(label=gettext_lazy("Lazy"))
        spaced = forms.CharField(label="  spaced  ")

    def both(form, name, **kwargs):
        form.renderer = fast
        got = form[name].label_tag(**kwargs)
        form.renderer = stock
        return got, form[name].label_tag(**kwargs)

    labels = [f for _, f in project_fields() if f.label]
    assert len(labels) > 100
    for auto_id in ("id_%s", False):
        for extra in ({}, {"label_suffix": " →"}):
            probe = Probe(auto_id=auto_id, **extra)
            for name in probe.fields:
                got, expected = both(probe, name, attrs={"class": "x"})
                assert got == expected, (auto_id, name)
        for field in labels:
            one = forms.Form(auto_id=auto_id)
            one.fields["f"] = field
            got, expected = both(one, "f")
            assert got == expected, field.label
