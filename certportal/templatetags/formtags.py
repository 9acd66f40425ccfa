"""A form's error summary and fields, as every page draws them (issue 19).

`{% load formtags %}` then `{% form_body form %}` (what portal/_form.html draws: the error
summary, then the fields), `{% error_summary form %}` or `{% form_fields form %}` (what
partials/error_summary.html and partials/form_fields.html draw). The markup used to be
those two templates; a dozen template nodes per field made a form the costliest part of a
page (the partner's request page draws three, one per finding in a loop). Written here it
is the same markup, byte for byte (tests/certportal/test_formtags.py keeps the templates
it replaced and compares them with every form the project declares, bound and unbound):

* the summary, when the form has errors: a heading with the number of fields in error,
  then every non-field error and every field error linking to its field;
* the hidden fields, then per visible field a `div.field` (`has-error`, `field-checkbox`)
  with its label (a `*` when required) before the widget, or after a checkbox, its help
  text and its errors."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_REQUIRED = ' <span class="req" aria-hidden="true">*</span>'


def _error_summary(form: Any) -> str:
    errors = getattr(form, "errors", None)
    if not errors:
        return "\n"
    count = len(errors)
    parts = [
        '\n<div class="error-summary" role="alert" tabindex="-1">\n',
        f"  <h2>Please correct {count} problem{'s' if count != 1 else ''}</h2>\n",
        "  <ul>\n    ",
    ]
    parts += [f"<li>{conditional_escape(e)}</li>" for e in form.non_field_errors()]
    parts.append("\n    ")
    for field in form:
        for error in field.errors:
            parts.append(
                f'<li><a href="#{conditional_escape(field.id_for_label)}">'
                f"{conditional_escape(field.label)}: {conditional_escape(error)}</a></li>"
            )
    parts.append("\n  </ul>\n</div>\n\n")
    return "".join(parts)


def _form_fields(form: Any) -> str:
    if not hasattr(form, "visible_fields"):
        return "\n\n"
    parts = [str(field) for field in form.hidden_fields()]
    parts.append("\n")
    for field in form.visible_fields():
        errors = field.errors
        checkbox = field.widget_type == "checkbox"
        label = (
            f'<label for="{conditional_escape(field.id_for_label)}">'
            f"{conditional_escape(field.label)}{_REQUIRED if field.field.required else ''}</label>"
        )
        widget = str(field)
        parts.append(
            '\n<div class="field'
            f'{" has-error" if errors else ""}{" field-checkbox" if checkbox else ""}">\n  '
        )
        if checkbox:
            parts.append(f"\n    {widget} {label}\n  ")
        else:
            parts.append(f"\n    {label}\n    {widget}\n  ")
        parts.append("\n  ")
        if field.help_text:
            auto_id = conditional_escape(field.auto_id)
            parts.append(f'<p class="help" id="{auto_id}_helptext">{field.help_text}</p>')
        parts.append("\n  ")
        if errors:
            auto_id = conditional_escape(field.auto_id)
            parts += [
                f'<p class="field-error" id="{auto_id}_error">{conditional_escape(e)}</p>'
                for e in errors
            ]
        parts.append("\n</div>\n")
    parts.append("\n")
    return "".join(parts)


@register.simple_tag
def error_summary(form: Any) -> SafeString:
    """partials/error_summary.html's markup (without the file's last newline)."""
    return mark_safe(_error_summary(form)[:-1])  # noqa: S308 (every value escaped above)


@register.simple_tag
def form_fields(form: Any) -> SafeString:
    """partials/form_fields.html's markup (without the file's last newline)."""
    return mark_safe(_form_fields(form)[:-1])  # noqa: S308 (every value escaped above)


@register.simple_tag
def form_body(form: Any) -> SafeString:
    """portal/_form.html's markup: the error summary, then the fields (without the file's
    last newline)."""
    return mark_safe(_error_summary(form) + _form_fields(form))  # noqa: S308 (escaped above)
