"""The form renderer (settings.FORM_RENDERER): Django's own form and widget templates drawn
by Jinja2, everything else by the Django engine.

Django ships both sets of its ``django/forms/`` templates, printing the same HTML; drawn by
the Django engine a select includes one template per option and one per attribute set,
which made the forms of the review page (guideline and reviewer choices) a tenth of its CPU.
Templates outside ``django/forms/`` (the admin's widget wrappers, a project override) keep
the Django engine."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.utils.functional import cached_property

BUILTIN_PREFIX = "django/forms/"


class FormRenderer(BaseRenderer):
    @cached_property
    def _jinja2(self) -> Jinja2:
        return Jinja2()

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        if template_name.startswith(BUILTIN_PREFIX):
            return self._jinja2.get_template(template_name)
        return self._django.get_template(template_name)
