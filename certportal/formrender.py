"""The form renderer (settings.FORM_RENDERER): Django's, with its two commonest widget
templates written in Python (issue 19).

Django draws every widget by rendering a template: `<input>` through input.html and
attrs.html, `<textarea>` through textarea.html and attrs.html. On the partner's request
page the three small forms (a reply per finding, resubmit, withdraw) cost a quarter of the
page's CPU that way. `FastTemplates` writes the same markup directly, byte for byte what
those templates give (tests/certportal/test_formrender.py compares every field of every
form the project declares), and only while the templates it stands for are Django's own:
a project or app that overrides one of them gets its template rendered as usual."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

_WIDGETS = Path(django.forms.__file__).parent / "templates" / "django" / "forms" / "widgets"
# Widget templates that are `{% include "django/forms/widgets/input.html" %}` (or it).
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` with autoescaping: stringformat keeps a safe
    string safe (is_safe) and escaping skips it."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 (stringformat's own formatting, tuples included)
    except (ValueError, TypeError):
        text = ""
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html: ` name="value"` per attribute, ` name` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is not False:
            out.append(f" {conditional_escape(name)}")
            if value is not True:
                out.append(f'="{_formatted(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    text = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{text}</textarea>"
    )


class FastTemplates(DjangoTemplates):
    """Django's DjangoTemplates form renderer; `<input>` and `<textarea>` written directly
    while their templates are Django's own."""

    def __init__(self) -> None:
        self._direct: dict[str, Any] = {}

    def _writer(self, template_name: str):
        if template_name not in self._direct:
            writer = None
            if template_name in INPUT_TEMPLATES or template_name == TEXTAREA_TEMPLATE:
                origin = Path(self.get_template(template_name).origin.name)
                # The stock file, and input.html / attrs.html stock too (what it includes).
                stock = origin == _WIDGETS / Path(template_name).name and all(
                    Path(self.get_template(f"django/forms/widgets/{part}").origin.name)
                    == _WIDGETS / part
                    for part in ("input.html", "attrs.html")
                )
                if stock:
                    writer = _textarea if template_name == TEXTAREA_TEMPLATE else _input
            self._direct[template_name] = writer
        return self._direct[template_name]

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        writer = self._writer(template_name)
        widget = context.get("widget")
        if writer is None or not isinstance(widget, dict) or _calls_something(widget):
            return super().render(template_name, context, request=request)
        return writer(widget)


def _calls_something(widget: dict[str, Any]) -> bool:
    """A callable value, which the template language would call: left to the template."""
    values = [widget.get(key) for key in ("type", "name", "value")]
    values += list(widget.get("attrs", {}).values())
    return any(callable(value) for value in values)
