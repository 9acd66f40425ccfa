"""The form renderer (settings.FORM_RENDERER): Django's, with its commonest templates
(`<input>`, `<textarea>`, `<select>` and the field's `<label>`) written in Python (issue 19).

Django draws every widget by rendering a template: `<input>` through input.html and
attrs.html, `<textarea>` through textarea.html and attrs.html, `<select>` through
select.html and one select_option.html per option. On the partner's request page the
three small forms (a reply per finding, resubmit, withdraw) cost a quarter of the page's
CPU that way; on the reviewers' request page the finding form's selects and labels cost
2-3 ms per draw. `FastTemplates` writes the same markup directly, byte for byte what
those templates give (tests/certportal/test_formrender.py compares every field of every
form the project declares), and only while the templates it stands for are Django's own:
a project or app that overrides one of them gets its template rendered as usual."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
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
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
LABEL_TEMPLATE = "django/forms/label.html"
_TEMPLATES = _WIDGETS.parent.parent.parent
# What each directly written template includes (and must be stock too).
_INCLUDES = {
    LABEL_TEMPLATE: ("django/forms/attrs.html",),
    SELECT_TEMPLATE: ("django/forms/widgets/attrs.html", OPTION_TEMPLATE),
    TEXTAREA_TEMPLATE: ("django/forms/widgets/attrs.html",),
}
_INPUT_INCLUDES = ("django/forms/widgets/input.html", "django/forms/widgets/attrs.html")


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


def _label(value: Any) -> str | None:
    """`{{ label }}` for a text label (None for anything else, left to the template)."""
    if isinstance(value, (str, Promise)):
        return conditional_escape(value)
    return None


def _select(widget: dict[str, Any]) -> str | None:
    """select.html and select_option.html, or None when an option is not the stock
    option or has a label the template would format (a number, a date, a callable)."""
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            group = _label(group_name)
            if group is None:
                return None
            out.append(f'\n  <optgroup label="{group}">')
        for option in group_choices:
            label = _label(option["label"])
            if (
                label is None
                or option.get("template_name") != OPTION_TEMPLATE
                or callable(option["value"])
                or any(callable(v) for v in option["attrs"].values())
            ):
                return None
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"'
                f"{_attrs(option['attrs'])}>{label}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")  # the renderer strips the file's last newline
    return "".join(out)


def _label_tag(context: dict[str, Any]) -> str | None:
    """label.html (`field.label_tag`): `<label for=…>text</label>`, or the text alone
    when the field has no id; None for a label the template would format."""
    text = _label(context.get("label"))
    if text is None:
        return None
    if not context.get("use_tag"):
        return text.strip()
    tag = conditional_escape(context.get("tag"))
    return f"<{tag}{_attrs(context.get('attrs') or {})}>{text}</{tag}>"


class FastTemplates(DjangoTemplates):
    """Django's DjangoTemplates form renderer; `<input>`, `<textarea>` and `<select>`
    written directly while their templates are Django's own."""

    def __init__(self) -> None:
        self._direct: dict[str, Any] = {}

    def _writer(self, template_name: str):
        if template_name not in self._direct:
            writer = None
            writers = {
                TEXTAREA_TEMPLATE: _textarea,
                SELECT_TEMPLATE: _select,
                LABEL_TEMPLATE: _label_tag,
            }
            if template_name in INPUT_TEMPLATES or template_name in writers:
                origin = Path(self.get_template(template_name).origin.name)
                # The stock file, and what it includes stock too.
                parts = _INCLUDES.get(template_name, _INPUT_INCLUDES)
                stock = origin == _TEMPLATES / template_name and all(
                    Path(self.get_template(part).origin.name) == _TEMPLATES / part for part in parts
                )
                if stock:
                    writer = writers.get(template_name, _input)
            self._direct[template_name] = writer
        return self._direct[template_name]

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        writer = self._writer(template_name)
        # A label is written from the whole context, a widget from its `widget`.
        subject = context if writer is _label_tag else context.get("widget")
        written = None
        if writer is not None and isinstance(subject, dict) and not _calls_something(subject):
            written = writer(subject)
        if written is None:
            return super().render(template_name, context, request=request)
        return written


def _calls_something(widget: dict[str, Any]) -> bool:
    """A callable value, which the template language would call: left to the template."""
    values = [widget.get(key) for key in ("type", "name")]
    value = widget.get("value")
    values += value if isinstance(value, list) else [value]
    values += list((widget.get("attrs") or {}).values())
    return any(callable(value) for value in values)
