"""The form tags (certportal.templatetags.formtags) draw byte for byte what the templates
they replaced drew: those templates are kept here and rendered beside the tags for every
form the project declares (unbound, and bound to empty and to hostile data) and for forms
made to hit every branch (hidden fields, checkboxes, help text, errors of both kinds)."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import engines
from django.utils.safestring import mark_safe

from tests.security.hostile import form_field_names  # imports every form module

pytestmark = pytest.mark.django_db

# The templates as they were before the tags (partials/error_summary.html,
# partials/form_fields.html and portal/_form.html including the two).
ERROR_SUMMARY = """{% if form.errors %}
<div class="error-summary" role="alert" tabindex="-1">
  <h2>Please correct {{ form.errors|length }} problem{{ form.errors|length|pluralize }}</h2>
  <ul>
    {% for error in form.non_field_errors %}<li>{{ error }}</li>{% endfor %}
    {% for field in form %}{% for error in field.errors %}<li><a href="#{{ field.id_for_label }}">{{ field.label }}: {{ error }}</a></li>{% endfor %}{% endfor %}
  </ul>
</div>
{% endif %}
"""
FORM_FIELDS = """{% for field in form.hidden_fields %}{{ field }}{% endfor %}
{% for field in form.visible_fields %}
<div class="field{% if field.errors %} has-error{% endif %}{% if field.widget_type == 'checkbox' %} field-checkbox{% endif %}">
  {% if field.widget_type == 'checkbox' %}
    {{ field }} <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} <span class="req" aria-hidden="true">*</span>{% endif %}</label>
  {% else %}
    <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} <span class="req" aria-hidden="true">*</span>{% endif %}</label>
    {{ field }}
  {% endif %}
  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text|safe }}</p>{% endif %}
  {% for error in field.errors %}<p class="field-error" id="{{ field.auto_id }}_error">{{ error }}</p>{% endfor %}
</div>
{% endfor %}
"""


class Awkward(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, initial="<t&>")
    second = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label='Name <"quoted">', help_text="Use <em>your</em> name")
    agree = forms.BooleanField(label="I agree & sign", required=True)
    optional = forms.BooleanField(required=False, help_text=mark_safe("<b>bold</b>"))
    note = forms.CharField(widget=forms.Textarea, required=False, label="")
    choice = forms.ChoiceField(choices=[("a", "A <1>"), ("b", "B")], required=False)
    count = forms.IntegerField(min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if data.get("name") == "both":
            raise ValidationError(["Whole <form> wrong", "and twice"])
        return data


def render(source: str, form) -> str:
    return engines["django"].from_string(source).render({"form": form})


def tags(tag: str, form) -> str:
    return render("{% load formtags %}{% " + tag + " form %}\n", form)


def check(form) -> None:
    assert tags("error_summary", form) == render(ERROR_SUMMARY, form)
    assert tags("form_fields", form) == render(FORM_FIELDS, form)
    # portal/_form.html: the two included, then its own last newline.
    body = render(ERROR_SUMMARY, form) + render(FORM_FIELDS, form) + "\n"
    assert tags("form_body", form) == body


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"name": "both", "agree": "on", "count": "x<"},
        {"name": '<script>"', "count": "0", "choice": "z", "token": "&amp;"},
        {"name": "fine", "agree": "on", "note": "line\n<b>two</b>"},
    ],
)
def test_tags_match_the_templates_on_every_branch(data):
    check(Awkward(data) if data is not None else Awkward())
    check(Awkward(data, prefix="p", auto_id="x_%s") if data is not None else Awkward(auto_id=False))


def test_tags_match_the_templates_without_a_form():
    for missing in ("", None):
        check(missing)


def test_tags_match_the_templates_for_every_project_form():
    form_field_names()
    pending, seen, checked = [forms.Form, forms.ModelForm], set(), 0
    while pending:
        for cls in pending.pop().__subclasses__():
            if cls in seen:
                continue
            seen.add(cls)
            pending.append(cls)
            for args in ((), ({},), ({name: "<x&" for name in cls.base_fields},)):
                try:
                    form = cls(*args)
                    form.errors  # noqa: B018 (validation may need what only a view passes)
                except Exception:  # noqa: S112 (forms that need constructor arguments)
                    continue
                check(form)
                checked += 1
    assert checked > 50
